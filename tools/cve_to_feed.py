"""Draft feed advisories from CVE JSON 5 records, for a person to review before adding.

    python tools/cve_to_feed.py --product zoom cves/2024/24xxx/CVE-2024-24691.json > draft.yaml

Reads local files only (a checkout of CVEProject/cvelistV5, or records saved by hand). For
each record it writes one advisory in the feed's format: the vendor id found in the
references (ZSB-..., cisco-sa-..., GHSA-...) or else the CVE id, the CVE as an alias, title,
publication date, the CNA's CVSS and severity, and one affected range per platform group
from the record's `lessThan` / `lessThanOrEqual` versions. What a record does not say is not
invented: a record whose versions are "see references" gets no range and a `TODO` comment,
so `vcaudit feed validate` refuses the draft until a person fills it from the bulletin.
CISA KEV status is not in CVE records: every draft says `kev: false` with a note to check.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

import yaml

_PLATFORMS = {
    "windows": "windows",
    "macos": "macos",
    "mac os": "macos",
    "macos x": "macos",
    "linux": "linux",
}
_VENDOR_ID = re.compile(r"(ZSB-\d{5}|cisco-sa-[\w-]+|GHSA-[\w-]+|JSA-\d{4}-\d+)", re.IGNORECASE)
_VERSION = re.compile(r"^\d+(\.\d+)*$")


def _metric(cna: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    for metric in cna.get("metrics", []):
        for key, version in (("cvssV4_0", "4.0"), ("cvssV3_1", "3.1"), ("cvssV3_0", "3.0")):
            if key in metric:
                return version, metric[key]
    return None


def _platforms(affected: dict[str, Any]) -> list[str]:
    found = []
    for name in affected.get("platforms", []):
        platform = _PLATFORMS.get(str(name).strip().casefold())
        if platform and platform not in found:
            found.append(platform)
    return found or ["windows", "macos", "linux"]


def _ranges(cna: dict[str, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    ranges: list[dict[str, Any]] = []
    todo: list[str] = []
    for affected in cna.get("affected", []):
        product = affected.get("product", "?")
        for version in affected.get("versions", []):
            if version.get("status") != "affected":
                continue
            start = str(version.get("version", "0"))
            start = start if _VERSION.match(start) else "0"
            entry: dict[str, Any] = {"platforms": _platforms(affected), "introduced": start}
            if _VERSION.match(str(version.get("lessThan", ""))):
                entry["fixed"] = str(version["lessThan"])
            elif _VERSION.match(str(version.get("lessThanOrEqual", ""))):
                entry["last_affected"] = str(version["lessThanOrEqual"])
            else:
                todo.append(f"{product}: no version range in the record ({version})")
                continue
            ranges.append(entry)
    return ranges, todo


def draft(record: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """One advisory in the feed's format, and what a person must still fill in."""
    meta = record["cveMetadata"]
    cna = record["containers"]["cna"]
    cve = meta["cveId"]
    references = [f"https://www.cve.org/CVERecord?id={cve}"]
    references += [ref["url"] for ref in cna.get("references", []) if ref.get("url")]
    vendor_ids = [m.group(1) for url in references if (m := _VENDOR_ID.search(url))]
    descriptions = [d["value"] for d in cna.get("descriptions", []) if d.get("lang") == "en"]
    title = cna.get("title") or (descriptions[0].strip().split(". ")[0] if descriptions else cve)
    advisory: dict[str, Any] = {
        "id": vendor_ids[0] if vendor_ids else cve,
        "aliases": [cve] if vendor_ids else [],
        "title": " ".join(str(title).split()),
        "published": str(meta.get("datePublished", ""))[:10],
    }
    todo: list[str] = []
    metric = _metric(cna)
    if metric is not None:
        version, data = metric
        advisory["severity"] = str(data.get("baseSeverity", "")).lower()
        advisory["cvss"] = {
            "version": version,
            "score": data.get("baseScore"),
            "vector": data.get("vectorString", ""),
            "source": "vendor",
        }
    else:
        todo.append("no CVSS in the CNA container: take the vendor's or NVD's severity")
    advisory["kev"] = False
    advisory["fix"] = "client"
    ranges, missing = _ranges(cna)
    todo += missing
    if ranges:
        advisory["affected"] = ranges
    advisory["references"] = list(dict.fromkeys(references))
    advisory["notes"] = (
        f"Drafted by tools/cve_to_feed.py from the CVE record of {cve}; check CISA KEV and the "
        "vendor bulletin before adding."
    )
    return advisory, todo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Draft feed advisories from CVE JSON 5 files.")
    parser.add_argument("records", nargs="+", type=Path, help="CVE JSON 5 files")
    parser.add_argument("--product", default="", help="product id, for the heading comment")
    args = parser.parse_args(argv)
    out = [f"# Draft advisories for {args.product or 'a product'}: review every line.\n"]
    for path in args.records:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            advisory, todo = draft(record)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(f"{path}: cannot draft: {exc}", file=sys.stderr)
            return 3
        text = yaml.safe_dump([advisory], sort_keys=False, allow_unicode=True, width=100)
        out.append("".join(f"# TODO: {item}\n" for item in todo) + text)
    sys.stdout.write("\n".join(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
