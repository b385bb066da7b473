"""`vcaudit discover`, `vcaudit import` and `vcaudit identify`: inventories themselves."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vcaudit.errors import UsageError
from vcaudit.inventory.formats import InputFormat
from vcaudit.inventory.writer import InventoryFormat
from vcaudit.models import Ownership, Platform

if TYPE_CHECKING:
    pass
from vcaudit.cli.app import app
from vcaudit.cli.common import (
    AllowPartialOption,
    CacheDirOption,
    FeedOption,
    _emit,
    _errors,
    _load_feed,
)
from vcaudit.sanitize import terminal_safe


@app.command("discover")
def discover_command(
    output_format: Annotated[
        InventoryFormat, typer.Option("--format", "-f", help="Inventory format to print.")
    ] = InventoryFormat.CSV,
    ownership: Annotated[
        Ownership, typer.Option("--ownership", help="Who owns this machine.")
    ] = Ownership.COMPANY,
    owner: Annotated[
        str, typer.Option("--owner", metavar="WHO", help="Who answers for its clients.")
    ] = "",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write to FILE (atomically)."),
    ] = None,
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
) -> None:
    """Print this machine's conferencing clients as a native inventory."""
    with _errors():
        from vcaudit.inventory.writer import render

        loaded = _load_feed(feed, cache_dir)
        from vcaudit.audit import this_machine
        from vcaudit.inventory.context import reading_context

        context = reading_context(loaded.products)
        found = this_machine(context, ownership, owner)
        for line in (*found.notes, *found.failures):
            typer.echo(f"vcaudit: note: {terminal_safe(line, 0)}", err=True)
        _emit(render(found.installations, output_format), output, ())
        typer.echo(
            f"vcaudit: found {len(found.installations)} conferencing client(s) on this machine",
            err=True,
        )


@app.command("import")
def import_command(
    source_format: Annotated[
        InputFormat,
        typer.Argument(
            metavar="FORMAT",
            help="osquery, osquery-log, fleet, intune, jamf, "
            "configmgr, dpkg, rpm, flatpak, snap (or auto).",
        ),
    ],
    export: Annotated[str, typer.Argument(metavar="FILE", help="The export; '-' for stdin.")],
    output_format: Annotated[
        InventoryFormat, typer.Option("--format", "-f", help="Inventory format to write.")
    ] = InventoryFormat.CSV,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", metavar="FILE", help="Write to FILE (atomically)."),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option("--host", metavar="NAME", help="Host for exports that carry none."),
    ] = None,
    allow_partial: AllowPartialOption = False,
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
) -> None:
    """Convert an inventory tool's export into a native inventory of conferencing clients."""
    with _errors():
        from vcaudit.inventory.context import reading_context
        from vcaudit.inventory.sources import read_inventory
        from vcaudit.inventory.writer import render

        loaded = _load_feed(feed, cache_dir)
        context = reading_context(loaded.products, host or "", allow_partial=allow_partial)
        rows = list(read_inventory(export, source_format, ctx=context))
        _emit(render(rows, output_format), output, (export,))
        for note in context.report_notes():
            typer.echo(f"vcaudit: note: {terminal_safe(note, 0)}", err=True)


@app.command("identify")
def identify_command(
    name: Annotated[
        str,
        typer.Argument(
            metavar="NAME",
            help="The product as an inventory names it: a DisplayName, app, bundle id, package.",
        ),
    ],
    platform: Annotated[
        Platform | None, typer.Option("--platform", help="The row's platform.")
    ] = None,
    version: Annotated[
        str, typer.Option("--version", metavar="VERSION", help="The row's version, as reported.")
    ] = "",
    publisher: Annotated[
        str, typer.Option("--publisher", metavar="TEXT", help="The row's publisher (vendor).")
    ] = "",
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
) -> None:
    """Say which product and release an inventory row resolves to, by which rule, and why
    other products' rules did not take it."""
    with _errors():
        from vcaudit import versioning
        from vcaudit.inventory.identify import Identified, Identifier

        if not name.strip():
            raise UsageError("identify: NAME must not be empty")
        loaded = _load_feed(feed, cache_dir)
        identifier = Identifier(loaded.products)
        found = identifier.resolve(name, publisher, platform, version)
        shown = [f"name {name!r}"]
        if publisher:
            shown.append(f"publisher {publisher!r}")
        if platform is not None:
            shown.append(f"platform {platform.value}")
        if version:
            shown.append(f"version {version!r}")
        lines = ["Row: " + ", ".join(shown)]
        if isinstance(found, Identified):
            product = found.product
            lines.append(f"Product: {product.name} ({product.id}), by {found.rule}")
            if found.installer:
                lines.append("  a deployment helper of the client, counted apart from it")
            if found.note:
                lines.append(f"  note: {found.note}")
            if version and platform is not None:
                table = versioning.BuildTable(product.releases)
                placed = versioning.parse(product.version_scheme, version, platform, table)
                lines.append(
                    f"Release: {placed}" + (f" (build {placed.build})" if placed.build else "")
                    if placed is not None
                    else f"Release: {version!r} is not a {product.name} version vcaudit can place"
                )
            elif version:
                lines.append("Release: give --platform to place the version (builds differ)")
        else:
            lines.append(f"Product: none: {found.reason}")
        considered = identifier.explain(name, publisher, platform, version)
        lines.append("Rules that matched the name:" if considered else "No rule matched the name.")
        lines += [f"  - {line}" for line in considered]
        for line in lines:
            typer.echo(terminal_safe(line, 0))
