"""`vcaudit feed export --format osv`: the feed as OSV JSON, one record per vendor advisory.

A vendor advisory (ZSB-24008, cisco-sa-...) is often written under several products of the
feed (Zoom Workplace, its VDI client, Zoom Rooms): it becomes one record whose `affected`
entries are those products, and whose `aliases` join every CVE id the copies name. Ranges are
`ECOSYSTEM` ranges in the vendor's own version scheme. An advisory whose affected versions
are not published yet (`range: unknown`) is exported without ranges, its entry saying
`"range": "unknown"` in `database_specific`: no range is made up for it.

Desktop clients have no OSV ecosystem. The OSV schema admits only registered ecosystems
(npm, PyPI, Debian, ...) in `affected[].package`, and none of them names a conferencing
client: a made-up ecosystem fails validation, and a borrowed one (Debian for a vendor's own
.deb) would make other scanners match the wrong packages. So `affected[].package` is left out
(the schema allows it), and each entry names its product in `database_specific`: a
`package` mapping in the same shape (`{"ecosystem": "vcaudit", "name": "zoom"}`), the
product's name, vendor and platforms, and the identifiers inventories report for it (macOS
bundle ids, deb, rpm, flatpak and snap names, MSIX, winget, Homebrew and Chocolatey ids), so
another scanner can match its installations. See https://ossf.github.io/osv-schema/ and
ossf/osv-schema issue 94 (software outside package managers).

Ids use OSV's `x_` prefix for databases not registered with OSV.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from vcaudit.models import Advisory, Feed, Product

ID_PREFIX = "x_vcaudit"
ECOSYSTEM = "vcaudit"
"""What `database_specific.package.ecosystem` says: the name is a vcaudit product id."""
SCHEMA_VERSION = "1.6.0"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_IDENTIFIERS = (
    "apps", "macos", "msix", "deb", "rpm", "flatpak", "snap", "winget", "homebrew", "chocolatey",
)  # fmt: skip


def osv_id(advisory_id: str) -> str:
    """The OSV id of a vendor advisory: the prefix and the id, every character outside
    letters, digits, `.`, `_` and `-` replaced by `_` (the id names a file too)."""
    return f"{ID_PREFIX}-{_UNSAFE.sub('_', advisory_id)}"


def _timestamp(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    else:
        value = dt.datetime(value.year, value.month, value.day)
    return value.isoformat(timespec="seconds") + "Z"


_CVSS_TYPES = {"3.0": "CVSS_V3", "3.1": "CVSS_V3", "4.0": "CVSS_V4", "2.0": "CVSS_V2"}


def _severity(advisory: Advisory) -> list[dict[str, str]]:
    cvss = advisory.cvss
    if cvss is None or not cvss.vector:
        return []
    kind = _CVSS_TYPES.get(cvss.version)
    return [{"type": kind, "score": cvss.vector}] if kind else []


@dataclass(frozen=True, slots=True)
class _Copy:
    """One product's copy of a vendor advisory."""

    product: Product
    advisory: Advisory


def _identifiers(product: Product) -> dict[str, list[str]]:
    ident = product.identify
    return {kind: list(getattr(ident, kind)) for kind in _IDENTIFIERS if getattr(ident, kind)}


def _affected(copy: _Copy, record: Advisory) -> list[dict[str, Any]]:
    """The entries of one product: one per range, or one without ranges when the range is
    not published yet."""
    product, advisory = copy.product, copy.advisory
    named: dict[str, Any] = {
        "package": {"ecosystem": ECOSYSTEM, "name": product.id},
        "product": product.id,
        "product_name": product.name,
        "vendor": product.vendor,
        "version_scheme": product.version_scheme,
        "identifiers": _identifiers(product),
    }
    # Where this product's copy says something else than the record.
    if advisory.title != record.title:
        named["summary"] = advisory.title
    if advisory.severity_label != record.severity_label:
        named["severity"] = advisory.severity_label
    if advisory.notes and advisory.notes != record.notes:
        named["notes"] = advisory.notes
    platforms = sorted(p.value for p in advisory.platforms)
    if not advisory.range_known:
        return [{"database_specific": {**named, "platforms": platforms, "range": "unknown"}}]
    if advisory.server_side or (advisory.withdrawn and not record.withdrawn):
        # No client version of this product is affected: no range another scanner could match.
        why = {"fix": "server"} if advisory.server_side else {"withdrawn": True}
        return [{"database_specific": {**named, "platforms": platforms, **why}}]
    entries: list[dict[str, Any]] = []
    for r in advisory.affected:
        events: list[dict[str, str]] = [{"introduced": r.introduced or "0"}]
        if r.fixed:
            events.append({"fixed": r.fixed})
        elif r.last_affected:
            events.append({"last_affected": r.last_affected})
        entries.append(
            {
                "ranges": [{"type": "ECOSYSTEM", "events": events}],
                "database_specific": {
                    **named,
                    "platforms": sorted(p.value for p in r.platforms),
                    "excluded_versions": list(r.excluded),
                },
            }
        )
    return entries


def to_osv(copies: list[_Copy], modified: dt.datetime, record_id: str) -> dict[str, Any]:
    """One vendor advisory, from its copies in every product that has it, as an OSV record."""
    record = copies[0].advisory  # the first product's copy speaks for the record
    aliases = list(dict.fromkeys(i for c in copies for i in c.advisory.ids))
    references = list(dict.fromkeys(url for c in copies for url in c.advisory.references))
    published = min((c.advisory.published for c in copies if c.advisory.published), default=None)
    unranged = [c.product.name for c in copies if not c.advisory.range_known]
    out: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": record_id,
        "modified": _timestamp(modified),
        "published": _timestamp(published),
        "aliases": aliases,
        "summary": record.title,
        "affected": [entry for c in copies for entry in _affected(c, record)],
        "references": [{"type": "ADVISORY", "url": url} for url in references],
        "database_specific": {
            "severity": record.severity_label,
            "cvss_score": record.cvss.score if record.cvss else None,
            "known_exploited": any(c.advisory.kev for c in copies),
            "fix": "server" if all(c.advisory.server_side for c in copies) else "client",
            "products": [c.product.id for c in copies],
        },
    }
    severity = _severity(record)
    if severity:
        out["severity"] = severity
    if all(c.advisory.withdrawn for c in copies):
        out["withdrawn"] = out["modified"]
    details = [record.notes] if record.notes else []
    if unranged:
        details.append(
            "Affected versions not published yet for "
            + ", ".join(unranged)
            + ": those entries have no ranges (database_specific.range is unknown)."
        )
    if details:
        out["details"] = "\n\n".join(details)
    return out


def records(feed: Feed) -> list[dict[str, Any]]:
    """One OSV record per vendor advisory id, in id order; each product's copy of it is one
    or more of its `affected` entries (products in id order)."""
    modified = feed.info.generated_at or dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    by_id: dict[str, list[_Copy]] = {}
    for product in sorted(feed.products, key=lambda p: p.id):
        for advisory in product.advisories:
            by_id.setdefault(advisory.id, []).append(_Copy(product, advisory))
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for key in sorted(by_id):
        record_id = base = osv_id(key)
        count = 2
        while record_id.casefold() in used:  # ids that differ only in unsafe characters or case
            record_id = f"{base}-{count}"
            count += 1
        used.add(record_id.casefold())
        out.append(to_osv(by_id[key], modified, record_id))
    return out


def export(feed: Feed) -> dict[str, str]:
    """File name (the record's id) -> OSV JSON text, one file per vendor advisory."""
    return {
        f"{record['id']}.json": json.dumps(record, indent=2, ensure_ascii=False) + "\n"
        for record in records(feed)
    }
