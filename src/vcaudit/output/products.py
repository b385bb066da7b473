"""`vcaudit products`: what the feed covers, as a table or JSON."""

from __future__ import annotations

import io
import json

from rich.table import Table
from rich.text import Text

from vcaudit.console import make_console
from vcaudit.models import Feed, Platform, Product
from vcaudit.sanitize import terminal_safe


def _lifecycle(product: Product) -> str:
    life = product.lifecycle
    if not life.eol:
        return "supported"
    text = "end of life"
    if life.eol_date:
        text += f" {life.eol_date.isoformat()}"
    return text


def render_table(feed: Feed, color: bool, width: int) -> str:
    """One row per product."""
    table = Table(show_edge=False, pad_edge=False, header_style="bold")
    for name in ("Id", "Product", "Lifecycle", *[p.value for p in Platform], "Advisories"):
        table.add_column(name, overflow="fold")
    for product in feed.products:
        latest = [product.latest_for(p) for p in Platform]
        table.add_row(
            Text(product.id),
            Text(terminal_safe(product.name, 40)),
            Text(_lifecycle(product), style="red" if product.lifecycle.eol else "green"),
            *[Text(terminal_safe(r.version, 24) if r else "-") for r in latest],
            Text(str(len(product.advisories)), justify="right"),
        )
    buffer = io.StringIO()
    console = make_console(buffer, color=color, width=width)
    console.print(table)
    return buffer.getvalue()


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
