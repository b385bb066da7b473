"""The typer applications (vcaudit, vcaudit feed, vcaudit config) and the root options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from vcaudit import __version__

if TYPE_CHECKING:
    pass


app = typer.Typer(
    name="vcaudit",
    help="Audit installed videoconferencing clients against a sourced advisory feed.",
    add_completion=True,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class _State:
    debug = False


def _version_callback(value: bool) -> None:
    if value:
        from vcaudit.feed import store
        from vcaudit.sanitize import terminal_safe

        summary = store.feed_summary(store.environ_cache_dir(None))
        typer.echo(f"vcaudit {__version__}, {terminal_safe(summary, 300)}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_version_callback,
            is_eager=True,
            help="Print the version and the date of the feed in use, and exit.",
        ),
    ] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Show a traceback for internal errors (also accepted after the command).",
        ),
    ] = False,
) -> None:
    """vcaudit: is any conferencing client in the fleet vulnerable, outdated or end-of-life?"""
    _State.debug = _State.debug or debug


feed_app = typer.Typer(
    help="Check, describe and export the advisory feed.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


app.add_typer(feed_app, name="feed")


config_app = typer.Typer(
    help="Write or check a policy file (vcaudit.yaml).",
    no_args_is_help=True,
    rich_markup_mode=None,
)


app.add_typer(config_app, name="config")
