"""The data-protection sheet of a product: where its calls' data goes.

`vcaudit products --data` shows every product's sheet, `vcaudit product ID` one product's with
the source and read date of each fact; the report formats show the sheets of the products
found in the fleet. Every value comes from the feed and passes through `terminal_safe` before
it reaches rich (whose consoles never parse markup, see `console.py`).
"""

from __future__ import annotations

import io
import json
from typing import TYPE_CHECKING, Any

from vcaudit.console import make_console
from vcaudit.models import Fact, FactName, Feed, Product
from vcaudit.sanitize import json_safe, terminal_safe

if TYPE_CHECKING:
    from rich.table import Table
    from rich.text import Text

    from vcaudit.output.layout import Words

JSON_SCHEMA_VERSION = 1

_NO_SHEET = "the feed has no data-protection sheet for this product yet: every fact is unknown"
_STYLE = {"yes": "green", "no": "red", "unknown": "yellow"}


def facts(product: Product) -> tuple[Fact, ...]:
    """Every fact of the product's sheet in the sheet's order, unknown where unstated (the
    end-of-life fact only for an end-of-life product)."""
    return tuple(
        product.fact(name)
        for name in FactName
        if name is not FactName.END_OF_LIFE or product.lifecycle.eol
    )


def fact_data(fact: Fact) -> dict[str, Any]:
    """One fact as JSON data: value (true, false, text or null for unknown), source, read,
    note."""
    return {
        "value": fact.value,
        "source": fact.source or None,
        "read": fact.read.isoformat() if fact.read else None,
        "note": fact.note or None,
    }


def sheet_data(product: Product) -> dict[str, Any]:
    """The product's sheet as JSON data: fact name -> fact."""
    return {fact.name.value: fact_data(fact) for fact in facts(product)}


def _value(fact: Fact) -> Text:
    from rich.text import Text  # rich only when a sheet is printed: JSON reports need none

    shown = terminal_safe(fact.shown, 0)
    return Text(shown, style=_STYLE.get(fact.shown, ""))


def _heading(product: Product) -> Text:
    from rich.text import Text

    text = Text(terminal_safe(product.name, 0), style="bold")
    text.append(f" ({product.id})")
    if product.vendor:
        text.append(f", {terminal_safe(product.vendor, 0)}")
    if product.lifecycle.eol:
        text.append(" - end of life", style="red")
    return text


def _grid() -> Table:
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    return grid


def _render(parts: list[Any], color: bool, width: int) -> str:
    """Print the parts; no line keeps the spaces rich pads cells with."""
    buffer = io.StringIO()
    console = make_console(buffer, color=color, width=width)
    for part in parts:
        console.print(part)
    return "".join(line.rstrip(" ") + "\n" for line in buffer.getvalue().splitlines())


_FOOTER = (
    "unknown: no source read states it. The sheet is a starting point for a data protection "
    "impact assessment (DPIA), not legal advice."
)


def render_sheets(feed: Feed, color: bool, width: int) -> str:
    """Every product's sheet: a heading, then one line per fact (sources: `product ID`)."""
    from rich.padding import Padding
    from rich.text import Text

    parts: list[Any] = []
    for product in feed.products:
        parts.append(_heading(product))
        if not product.data_protection:
            parts.append(Padding(Text(_NO_SHEET, style="yellow"), (0, 0, 1, 2)))
            continue
        grid = _grid()
        for fact in facts(product):
            grid.add_row(Text(fact.name.label), _value(fact))
        parts.append(Padding(grid, (0, 0, 1, 2)))
    parts.append(Text("Sources and notes of each fact: vcaudit product ID. " + _FOOTER))
    return _render(parts, color, width)


def render_sheet(product: Product, color: bool, width: int) -> str:
    """One product's sheet: each fact with its note, the date its source was read and the
    source's URL, laid out for `width` columns by `output/layout.py`: words wrap at spaces,
    and a URL is never cut: one longer than what is left of its line goes on a line of its
    own, indented (`read 2026-12-01:`, then the address), so only an address wider than the
    terminal passes its edge."""
    from vcaudit.output.layout import MIN_WIDTH, Line, emit, hanging, plain, words

    width = max(width, MIN_WIDTH)
    lines: list[Line] = []

    def paragraph(text: Words, indent: int = 0) -> None:
        lines.extend(hanging([], [text], width, indent, 0 if indent == 0 else 2, cut=False))

    vendor = f", {terminal_safe(product.vendor, 0)}" if product.vendor else ""
    heading = words(f"{terminal_safe(product.name, 0)} ({product.id}){vendor}", "bold")
    if product.lifecycle.eol:
        heading += words("- end of life", "bold red")
    paragraph(heading)
    lines.append([])
    if not product.data_protection:
        paragraph(words(_NO_SHEET, "yellow"))
        lines.append([])
    for fact in facts(product):
        shown = terminal_safe(fact.shown, 0)
        paragraph(words(f"{fact.name.label}:") + words(shown, _STYLE.get(fact.shown, "")))
        if fact.note:
            lines.extend(hanging([], [words(terminal_safe(fact.note, 0))], width, 2, 0, cut=False))
        if fact.source:
            read = f"read {fact.read.isoformat()}: " if fact.read else ""
            paragraph(words(f"{read}{terminal_safe(fact.source, 0)}"), indent=2)
        lines.append([])
    paragraph(words(_FOOTER))
    buffer = io.StringIO()
    # As wide as the widest line: rich must not fold an address that stands on its own line.
    widest = max((len(plain(line)) for line in lines), default=width)
    emit(lines, buffer, make_console(buffer, color=color, width=max(width, widest)), color)
    return buffer.getvalue()


def _product_data(product: Product) -> dict[str, Any]:
    return {
        "id": product.id,
        "name": product.name,
        "vendor": product.vendor,
        "eol": product.lifecycle.eol,
        "sheet": bool(product.data_protection),
        "data_protection": sheet_data(product),
    }


def render_sheets_json(feed: Feed) -> str:
    """Every product's sheet as JSON."""
    doc = {
        "schema_version": JSON_SCHEMA_VERSION,
        "products": [_product_data(product) for product in feed.products],
    }
    return json_safe(json.dumps(doc, indent=2)) + "\n"


def render_sheet_json(product: Product) -> str:
    """One product's sheet as JSON."""
    doc = {"schema_version": JSON_SCHEMA_VERSION, "product": _product_data(product)}
    return json_safe(json.dumps(doc, indent=2)) + "\n"
