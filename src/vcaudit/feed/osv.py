"""`vcaudit feed export --format osv`: the feed as OSV JSON, one file per advisory.

Desktop clients have no OSV ecosystem, so `affected[].package` is left out (the schema allows
it) and each entry names the product and platforms in `database_specific`; ranges are
`ECOSYSTEM` ranges in the vendor's own version scheme. Ids use OSV's `x_` prefix for
databases not registered with OSV.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from vcaudit.models import Advisory, Feed, Product

ID_PREFIX = "x_vcaudit"


def osv_id(product: Product, advisory: Advisory) -> str:
    """The OSV id of one advisory of one product (the same CVE can concern several)."""
    return f"{ID_PREFIX}-{product.id}-{advisory.id}"


def _timestamp(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    else:
        value = dt.datetime(value.year, value.month, value.day)
    return value.isoformat(timespec="seconds") + "Z"


def _severity(advisory: Advisory) -> list[dict[str, str]]:
    cvss = advisory.cvss
    if cvss is None or not cvss.vector:
        return []
    kind = {"3.0": "CVSS_V3", "3.1": "CVSS_V3", "4.0": "CVSS_V4", "2.0": "CVSS_V2"}.get(
        cvss.version
    )
    return [{"type": kind, "score": cvss.vector}] if kind else []


def to_osv(product: Product, advisory: Advisory, modified: dt.datetime) -> dict[str, Any]:
    """One advisory as an OSV record."""
    affected = []
    for r in advisory.affected:
        events: list[dict[str, str]] = [{"introduced": r.introduced or "0"}]
        if r.fixed:
            events.append({"fixed": r.fixed})
        elif r.last_affected:
            events.append({"last_affected": r.last_affected})
        affected.append(
            {
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
                "database_specific": {
                    "product": product.id,
                    "product_name": product.name,
                    "vendor": product.vendor,
                    "platforms": sorted(p.value for p in r.platforms),
                    "version_scheme": product.version_scheme,
                    "excluded_versions": list(r.excluded),
                },
            }
        )
    record: dict[str, Any] = {
        "schema_version": "1.6.0",
        "id": osv_id(product, advisory),
        "modified": _timestamp(modified),
        "published": _timestamp(advisory.published),
        "aliases": list(dict.fromkeys((advisory.id, *advisory.aliases))),
        "summary": advisory.title,
        "affected": affected,
        "references": [{"type": "ADVISORY", "url": url} for url in advisory.references],
        "database_specific": {
            "severity": advisory.severity_label,
            "cvss_score": advisory.cvss.score if advisory.cvss else None,
            "known_exploited": advisory.kev,
            "fix": "server" if advisory.server_side else "client",
        },
    }
    severity = _severity(advisory)
    if severity:
        record["severity"] = severity
    if advisory.withdrawn:
        record["withdrawn"] = record["modified"]
    if advisory.notes:
        record["details"] = advisory.notes
    return record


def export(feed: Feed) -> dict[str, str]:
    """File name -> OSV JSON text, for every advisory of every product."""
    modified = feed.info.generated_at or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    files: dict[str, str] = {}
    for product in feed.products:
        for advisory in product.advisories:
            record = to_osv(product, advisory, modified)
            files[f"{record['id']}.json"] = json.dumps(record, indent=2, ensure_ascii=False) + "\n"
    return files
