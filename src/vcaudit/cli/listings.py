"""`vcaudit products` and `vcaudit advisory`: what the feed holds."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from vcaudit.console import ColorMode, use_color
from vcaudit.errors import UsageError

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
) -> None:
    """List the feed's products: lifecycle, latest version per platform, advisories."""
    with _errors():
        from vcaudit.output import products as products_output

        loaded = _load_feed(feed, cache_dir)
        if output_format is ListFormat.JSON:
            text = products_output.render_json(loaded)
        else:
            colored = use_color(ColorMode.AUTO, sys.stdout, os.environ)
            text = products_output.render_table(loaded, colored, _width(sys.stdout))
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
            text = advisory_output.render_text(found, loaded.info.kev_catalog_date)
        _emit(text, None, ())
