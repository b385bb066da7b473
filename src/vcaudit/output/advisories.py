"""`vcaudit advisory ID`: one advisory, every product it concerns, ranges and sources."""

from __future__ import annotations

import datetime as dt
import json

from vcaudit.models import Advisory, Feed, Product
from vcaudit.output.layout import MIN_WIDTH, cells, hanging, plain, words
from vcaudit.sanitize import terminal_safe


def find(feed: Feed, wanted: str) -> list[tuple[Product, Advisory]]:
    """Every (product, advisory) whose id or alias is `wanted` (case-insensitive)."""
    key = wanted.strip().casefold()
    return [
        (product, advisory)
        for product in feed.products
        for advisory in product.advisories
        if key in (i.casefold() for i in advisory.ids)
    ]


def s(text: str) -> str:
    """Feed text made safe for a terminal, at full length."""
    return terminal_safe(text, 0)


def kev_status(advisory: Advisory) -> str:
    """listed, not listed, or unchecked (published after the feed's KEV catalog)."""
    if advisory.kev:
        return "listed"
    return "unchecked" if advisory.kev_unchecked else "not listed"


def _exploited(advisory: Advisory, kev_catalog: dt.date | None) -> str:
    if advisory.kev:
        added = f" (added {advisory.kev_added.isoformat()})" if advisory.kev_added else ""
        return f"yes, in CISA KEV{added}"
    if not advisory.kev_unchecked:
        return "not in CISA KEV"
    if kev_catalog is None:
        return "unchecked: the feed names no CISA KEV catalog"
    return (
        f"unchecked: published after the CISA KEV catalog of {kev_catalog.isoformat()} "
        "that the feed was checked against"
    )


_ROOM = 30
"""Cells a range needs beside its platforms; with less, the range goes under them."""


def render_text(
    found: list[tuple[Product, Advisory]], kev_catalog: dt.date | None = None, width: int = 100
) -> str:
    """Readable text laid out for `width` columns: every value wrapped under its label, never
    inside a word (an id, a version or an address longer than a line stands whole on a line
    of its own, to be copied); every feed value passes through terminal_safe."""
    width = max(width, MIN_WIDTH)
    out: list[str] = []

    def field(label: str, value: str, indent: int = 13) -> None:
        head = [(f"  {label}:", "")] if label else []
        lines = hanging(head, [words(value)], width, indent, 0, cut=False)
        out.extend(plain(line) for line in lines)

    for product, advisory in found:
        name = words(f"{s(product.name)} ({product.id})")
        first = hanging(
            [(s(advisory.id), "")], [name], width, cells(s(advisory.id)) + 2, 2, cut=False
        )
        out.extend(plain(line) for line in first)
        if advisory.aliases:
            field("aliases", ", ".join(s(a) for a in advisory.aliases))
        field("title", s(advisory.title))
        if advisory.published:
            field("published", advisory.published.isoformat())
        severity = advisory.severity_label
        if not advisory.scored:
            severity += " (the feed has no score for it yet; counted as high)"
        if advisory.cvss:
            severity += f" (CVSS {advisory.cvss.version} {advisory.cvss.score}"
            severity += f", {advisory.cvss.source})"
        if advisory.vendor_severity:
            severity += (
                f"; the vendor calls it {s(advisory.vendor_severity)} "
                "(shown, not used to rank: severity is the band of the CVSS score)"
            )
        field("severity", severity)
        field("exploited", _exploited(advisory, kev_catalog))
        if advisory.server_side:
            field("fix", "on the vendor's servers; no client version is affected")
        if advisory.withdrawn:
            field("withdrawn", "yes; never matched")
        if not advisory.range_known:
            platforms = ", ".join(sorted(p.value for p in advisory.platforms))
            field(
                "affected",
                "not published yet (range: unknown); shown as an item to review on "
                f"every {s(product.name)} installation on {platforms}, never counted as a "
                "vulnerability",
            )
        else:
            out.append("  affected:")
        for r in advisory.affected:
            platforms = ", ".join(sorted(p.value for p in r.platforms))
            span = f">= {s(r.introduced)}" if r.introduced not in ("", "0") else "all versions"
            if r.fixed:
                span += f", fixed in {s(r.fixed)}"
            elif r.last_affected:
                span += f", up to and including {s(r.last_affected)}"
            else:
                span += ", no fix known"
            if r.excluded:
                span += f" (not affected: {', '.join(s(e) for e in r.excluded)})"
            head = f"    {platforms}:"
            indent = cells(head) + 1 if width - cells(head) > _ROOM else 6
            lines = hanging([(head, "")], [words(span)], width, indent, 0, cut=False)
            out.extend(plain(line) for line in lines)
        if advisory.notes:
            field("notes", s(advisory.notes))
        out.append("  sources:")
        out.extend(f"    {s(url)}" for url in advisory.references)
        out.append("")
    return "\n".join(out)


def render_json(found: list[tuple[Product, Advisory]]) -> str:
    """The same as JSON."""
    rows = []
    for product, advisory in found:
        rows.append(
            {
                "product": product.id,
                "id": advisory.id,
                "aliases": list(advisory.aliases),
                "title": advisory.title,
                "published": advisory.published.isoformat() if advisory.published else None,
                "severity": advisory.severity_label,
                "vendor_severity": advisory.vendor_severity or None,
                "cvss": (
                    {
                        "version": advisory.cvss.version,
                        "score": advisory.cvss.score,
                        "vector": advisory.cvss.vector,
                        "source": advisory.cvss.source,
                    }
                    if advisory.cvss
                    else None
                ),
                "kev": advisory.kev,
                "kev_status": kev_status(advisory),
                "kev_added": advisory.kev_added.isoformat() if advisory.kev_added else None,
                "fix": "server" if advisory.server_side else "client",
                "withdrawn": advisory.withdrawn,
                "range": "known" if advisory.range_known else "unknown",
                "platforms": sorted(p.value for p in advisory.platforms),
                "affected": [
                    {
                        "platforms": sorted(p.value for p in r.platforms),
                        "introduced": r.introduced,
                        "fixed": r.fixed or None,
                        "last_affected": r.last_affected or None,
                        "excluded": list(r.excluded),
                    }
                    for r in advisory.affected
                ],
                "references": list(advisory.references),
                "notes": advisory.notes,
            }
        )
    return json.dumps({"advisories": rows}, indent=2) + "\n"
