"""`vcaudit advisory ID`: one advisory, every product it concerns, ranges and sources."""

from __future__ import annotations

import datetime as dt
import json

from vcaudit.models import Advisory, Feed, Product
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


def render_text(found: list[tuple[Product, Advisory]], kev_catalog: dt.date | None = None) -> str:
    """Readable text; every feed value passes through terminal_safe."""
    out: list[str] = []
    for product, advisory in found:
        out.append(f"{s(advisory.id)}  {s(product.name)} ({product.id})")
        if advisory.aliases:
            out.append(f"  aliases:   {', '.join(s(a) for a in advisory.aliases)}")
        out.append(f"  title:     {s(advisory.title)}")
        if advisory.published:
            out.append(f"  published: {advisory.published.isoformat()}")
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
        out.append(f"  severity:  {severity}")
        out.append(f"  exploited: {_exploited(advisory, kev_catalog)}")
        if advisory.server_side:
            out.append("  fix:       on the vendor's servers; no client version is affected")
        if advisory.withdrawn:
            out.append("  withdrawn: yes; never matched")
        if not advisory.range_known:
            platforms = ", ".join(sorted(p.value for p in advisory.platforms))
            out.append(
                "  affected:  not published yet (range: unknown); shown as an item to review on "
                f"every {s(product.name)} installation on {platforms}, never counted as a "
                "vulnerability"
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
            out.append(f"    {platforms}: {span}")
        if advisory.notes:
            out.append(f"  notes:     {s(advisory.notes)}")
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
