"""`vcaudit products`, `vcaudit product` and `vcaudit advisory`: what the feed holds."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from vcaudit.console import ColorMode, use_color
from vcaudit.errors import UsageError
from vcaudit.sanitize import terminal_safe

if TYPE_CHECKING:
    pass
from vcaudit.cli.app import app
from vcaudit.cli.common import (
    CacheDirOption,
    FeedOption,
    ListFormat,
    ListFormatOption,
    _emit,
    _errors,
    _load_feed,
    _width,
)


@app.command()
def products(
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
    output_format: ListFormatOption = ListFormat.TABLE,
    data: Annotated[
        bool,
        typer.Option(
            "--data",
            help="Show each product's data-protection sheet: where meeting content and "
            "recordings are processed and stored, EU/EEA residency, end-to-end encryption, "
            "self-hosting, DPA.",
        ),
    ] = False,
) -> None:
    """List the feed's products: lifecycle, latest version per platform, advisories."""
    with _errors():
        from vcaudit.output import products as products_output

        loaded = _load_feed(feed, cache_dir)
        if data:
            from vcaudit.output import dataprotection

            if output_format is ListFormat.JSON:
                text = dataprotection.render_sheets_json(loaded)
            else:
                colored = use_color(ColorMode.AUTO, sys.stdout, os.environ)
                text = dataprotection.render_sheets(loaded, colored, _width(sys.stdout))
        elif output_format is ListFormat.JSON:
            text = products_output.render_json(loaded)
        else:
            colored = use_color(ColorMode.AUTO, sys.stdout, os.environ)
            text = products_output.render_table(loaded, colored, _width(sys.stdout))
        _emit(text, None, ())


@app.command("product")
def product_command(
    product_id: Annotated[str, typer.Argument(metavar="ID", help="Product id (vcaudit products).")],
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
    output_format: ListFormatOption = ListFormat.TABLE,
) -> None:
    """Show one product's data-protection sheet, with the source and read date of each fact."""
    with _errors():
        from vcaudit.output import dataprotection

        loaded = _load_feed(feed, cache_dir)
        found = loaded.product(product_id.strip().casefold())
        if found is None:
            raise UsageError(
                f"no product '{terminal_safe(product_id, 60)}' in the feed",
                hint="vcaudit products lists the ids (zoom, teams, webex, ...)",
            )
        if output_format is ListFormat.JSON:
            text = dataprotection.render_sheet_json(found)
        else:
            colored = use_color(ColorMode.AUTO, sys.stdout, os.environ)
            text = dataprotection.render_sheet(found, colored, _width(sys.stdout))
        _emit(text, None, ())


@app.command("advisory")
def advisory_command(
    advisory_id: Annotated[str, typer.Argument(metavar="ID", help="Vendor id or CVE.")],
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
    output_format: ListFormatOption = ListFormat.TABLE,
) -> None:
    """Show one advisory (by vendor id or CVE alias): ranges per platform and sources."""
    with _errors():
        from vcaudit.output import advisories as advisory_output

        loaded = _load_feed(feed, cache_dir)
        found = advisory_output.find(loaded, advisory_id)
        if not found:
            raise UsageError(
                f"no advisory {advisory_id!r} in the feed",
                hint="ids are vendor ids (ZSB-24008, cisco-sa-...) or CVE ids",
            )
        if output_format is ListFormat.JSON:
            text = advisory_output.render_json(found)
        else:
            text = advisory_output.render_text(
                found, loaded.info.kev_catalog_date, _width(sys.stdout)
            )
        _emit(text, None, ())
