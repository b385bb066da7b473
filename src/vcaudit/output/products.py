"""`vcaudit products`: what the feed covers, as a table or JSON.

The table is laid out for the terminal's width (output/layout.py): columns when they fit
with every id and version whole, else one hanging item per product.
"""

from __future__ import annotations

import io
import json

from vcaudit.console import make_console
from vcaudit.models import Feed, Platform, Product
from vcaudit.output.layout import MIN_WIDTH, Column, Line, cells, emit, grid, hanging, words
from vcaudit.sanitize import terminal_safe


def _lifecycle(product: Product) -> str:
    life = product.lifecycle
    if not life.eol:
        return "supported"
    text = "end of life"
    if life.eol_date:
        text += f" {life.eol_date.isoformat()}"
    return text


COLUMNS = (
    Column("Id"),
    Column("Product"),
    Column("Lifecycle"),
    *(Column(p.value) for p in Platform),
    Column("Advisories", right=True),
)
_INDENT_MOST = 18
"""The widest a product id column gets in the list (a longer id takes a line of its own)."""


def render_table(feed: Feed, color: bool, width: int) -> str:
    """One row per product: a table when the columns fit `width`, else a list."""
    width = max(width, MIN_WIDTH)
    rows = []
    for product in feed.products:
        style = "red" if product.lifecycle.eol else "green"
        latest = [product.latest_for(p) for p in Platform]
        rows.append(
            [
                words(terminal_safe(product.id, 60)),
                words(terminal_safe(product.name, 120)),
                words(_lifecycle(product), style),
                *[words(terminal_safe(r.version, 60) if r else "-") for r in latest],
                words(f"{len(product.advisories):,}"),
            ]
        )
    lines = grid(COLUMNS, rows, width)
    if lines is None:
        lines = _listed(feed, width)
    buffer = io.StringIO()
    emit(lines, buffer, make_console(buffer, color=color, width=width), color)
    return buffer.getvalue()


def _listed(feed: Feed, width: int) -> list[Line]:
    """Each product as a hanging item: its id, then its name, lifecycle and advisories, then
    its latest version per platform."""
    ids = [terminal_safe(product.id, 60) for product in feed.products]
    indent = min(max((cells(i) for i in ids), default=0) + 2, _INDENT_MOST)
    lines: list[Line] = []
    for product, pid in zip(feed.products, ids, strict=True):
        count = len(product.advisories)
        about = words(terminal_safe(product.name, 120) + ";", "bold")
        about += words(_lifecycle(product) + ";", "red" if product.lifecycle.eol else "green")
        about += words(f"{count:,} {'advisory' if count == 1 else 'advisories'}")
        latest = [
            f"{platform.value} {terminal_safe(release.version, 60)}"
            for platform in Platform
            if (release := product.latest_for(platform)) is not None
        ]
        releases = words("latest: " + (", ".join(latest) if latest else "none known"))
        lines += hanging([(pid, "")], [about, releases], width, indent)
    return lines


def render_json(feed: Feed) -> str:
    """The same as JSON."""
    rows = []
    for product in feed.products:
        rows.append(
            {
                "id": product.id,
                "name": product.name,
                "vendor": product.vendor,
                "lifecycle": {
                    "eol": product.lifecycle.eol,
                    "eol_date": (
                        product.lifecycle.eol_date.isoformat()
                        if product.lifecycle.eol_date
                        else None
                    ),
                    "successor": product.lifecycle.successor or None,
                },
                "latest": {
                    platform.value: {
                        "version": release.version,
                        "date": release.date.isoformat() if release.date else None,
                    }
                    for platform, release in product.latest
                },
                "advisories": len(product.advisories),
            }
        )
    return json.dumps({"schema_version": 1, "products": rows}, indent=2) + "\n"
