"""Reading a JSON report (schema_version 2) back as one mapping per installation, for tests:
each row with its finding's fields and its advisories' bodies, as schema_version 1 laid out."""

from __future__ import annotations

from typing import Any


def installation_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Each installation of `doc` joined with its finding, and each advisory key replaced by
    the advisory's body (its `fixed` the versions that fix it on the row's product and
    platform)."""
    findings = {f["id"]: f for f in doc["findings"]}
    advisories = doc["advisories"]

    def body(key: str, finding: dict[str, Any]) -> dict[str, Any]:
        found = advisories[key]
        fixed = found["fixed"].get(finding["product"], {}).get(finding["platform"], [])
        return {**found, "key": key, "fixed": fixed}

    out = []
    for row in doc["installations"]:
        finding = findings[row["finding"]]
        out.append(
            {
                **{k: v for k, v in finding.items() if k not in ("id", "name", "owner")},
                **row,
                "advisories": [body(k, finding) for k in finding["advisories"]],
                "ignored": [
                    {**body(i["id"], finding), "reason": i["reason"], "until": i["until"]}
                    for i in finding["ignored"]
                ],
                "review": [body(k, finding) for k in finding["review"]],
            }
        )
    return out
