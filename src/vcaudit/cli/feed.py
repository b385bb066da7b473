"""`vcaudit feed ...`: validate, describe, build, update, import and export the feed."""

from __future__ import annotations

import datetime as dt
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vcaudit.errors import FeedError, UsageError

if TYPE_CHECKING:
    from vcaudit.config import LoadedConfig
from vcaudit.cli.app import feed_app
from vcaudit.cli.common import (
    CacheDirOption,
    ConfigOption,
    FeedOption,
    _errors,
    _load_config,
    _load_feed,
    _warn,
)
from vcaudit.sanitize import terminal_safe


class ExportFormat(StrEnum):
    """`vcaudit feed export --format` choices."""

    OSV = "osv"


@feed_app.command("validate")
def feed_validate(
    path: Annotated[
        Path | None,
        typer.Argument(metavar="[PATH]", help="Feed directory (default: the bundled feed)."),
    ] = None,
) -> None:
    """Validate a feed: the JSON Schema, then checks across records. Exit 4 if invalid."""
    with _errors():
        from vcaudit.feed.load import bundled_feed_dir
        from vcaudit.feed.validate import feed_warnings, schema_problems, semantic_problems

        directory = path or bundled_feed_dir()
        loaded = _load_feed(directory)
        problems = list(schema_problems(directory))
        now = dt.datetime.now(dt.UTC)
        problems.extend(semantic_problems(loaded, now.date(), now=now))
        for problem in problems:
            typer.echo(terminal_safe(str(problem), 0), err=True)
        # Warnings never make a feed invalid: a stale latest release is still a usable feed.
        warnings = feed_warnings(loaded)
        for warning in warnings:
            _warn(str(warning))
        advisories = sum(len(p.advisories) for p in loaded.products)
        if problems:
            raise FeedError(str(directory), f"feed is invalid: {len(problems)} problem(s)")
        warned = f", {len(warnings)} warning(s)" if warnings else ""
        typer.echo(
            f"feed is valid: {len(loaded.products)} products, {advisories} advisories{warned} "
            f"({terminal_safe(loaded.info.location, 0)})"
        )


@feed_app.command("info")
def feed_info(feed: FeedOption = None, cache_dir: CacheDirOption = None) -> None:
    """Which feed is in use, from where, how old it is, how it was verified."""
    with _errors():
        from vcaudit.feed import store

        loaded = _load_feed(feed, cache_dir)
        info = loaded.info
        lines = [f"source:       {terminal_safe(info.location, 0)}"]
        if info.generated_at is not None:
            age = (dt.datetime.now(dt.UTC) - info.generated_at).days
            lines.append(f"generated at: {info.generated_at.isoformat()} ({age} days ago)")
        lines.append(f"publisher:    {terminal_safe(info.publisher, 0)}")
        if feed is None:
            state = store.State.read(store.environ_cache_dir(cache_dir))
            if info.location.startswith("installed") and state is not None:
                check = "checksum and Ed25519 signature" if state.signed else "checksum"
                lines.append(
                    f"verified:     {check} on install ({state.installed_at}), "
                    f"sha256 {state.sha256}"
                )
                lines.append(f"fetched from: {terminal_safe(state.source, 0)}")
            elif info.location == "bundled":
                lines.append("verified:     shipped inside vcaudit")
        total = sum(len(p.advisories) for p in loaded.products)
        unchecked = sum(a.kev_unchecked for p in loaded.products for a in p.advisories)
        if info.kev_catalog_date:
            version = info.kev_catalog_version and f" {terminal_safe(info.kev_catalog_version, 0)}"
            lines.append(
                f"CISA KEV:     checked against catalog{version} of "
                f"{info.kev_catalog_date.isoformat()}; {unchecked} advisories published after "
                "it have their KEV status unchecked"
            )
            if info.kev_catalog_source:
                lines.append(f"              {terminal_safe(info.kev_catalog_source, 0)}")
        else:
            lines.append("CISA KEV:     no catalog named; every advisory's KEV status is unchecked")
        lines.append(f"products:     {len(loaded.products)}, advisories: {total}")
        for product in loaded.products:
            life = "end of life" if product.lifecycle.eol else "supported"
            lines.append(f"  {product.id:<16} {len(product.advisories):>4} advisories  {life}")
        typer.echo("\n".join(lines))


@feed_app.command("build")
def feed_build(
    output: Annotated[
        Path, typer.Option("--output", "-o", metavar="DIR", help="Folder for the bundle.")
    ],
    source: Annotated[
        Path | None,
        typer.Option("--source", metavar="DIR", help="Feed directory (default: bundled)."),
    ] = None,
    sign_key: Annotated[
        Path | None,
        typer.Option("--sign-key", metavar="PEM", help="Ed25519 private key to sign with."),
    ] = None,
    generated_at: Annotated[
        str | None,
        typer.Option(
            "--generated-at",
            metavar="TIME",
            help="Stamp this ISO time instead of now (for reproducible bundles).",
        ),
    ] = None,
) -> None:
    """Build one bundle file of the whole feed, its .sha256 and optionally a .sig."""
    with _errors():
        from vcaudit.feed.load import bundled_feed_dir
        from vcaudit.feed.update import build

        stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
        if generated_at is not None:
            try:
                stamp = dt.datetime.fromisoformat(generated_at)
            except ValueError:
                raise UsageError(
                    f"--generated-at: expected an ISO time, got {generated_at!r}"
                ) from None
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=dt.UTC)
        written = build(source or bundled_feed_dir(), output, sign_key, stamp)
        for path in written:
            typer.echo(f"wrote {path}")


AllowHttp = Annotated[
    bool, typer.Option("--allow-http", help="Allow plain http to hosts other than loopback.")
]


AllowDowngrade = Annotated[
    bool,
    typer.Option("--allow-downgrade", help="Install a feed older than the one in use."),
]


PublicKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--public-key",
        metavar="PEM",
        help="Ed25519 public key the feed must be signed with (default: vcaudit.yaml feed).",
    ),
]


def _public_key(option: Path | None, loaded_config: LoadedConfig | None) -> str | None:
    if option is not None:
        from vcaudit.feed import store
        from vcaudit.feed.store import read_regular

        try:
            # Bounded, and never waiting on a FIFO or /dev/zero (as feed.public_key_file).
            return read_regular(option, store.MAX_KEY_BYTES).decode("utf-8")
        except OSError as exc:
            raise UsageError(f"--public-key: cannot read {option}: {exc.strerror}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise UsageError(f"--public-key: {option}: {exc}") from None
    if loaded_config is not None and loaded_config.feed_public_key:
        return loaded_config.feed_public_key
    return os.environ.get("VCAUDIT_FEED_PUBLIC_KEY") or None


@feed_app.command("update")
def feed_update(
    url: Annotated[
        str | None,
        typer.Option(
            "--url",
            envvar="VCAUDIT_FEED_URL",
            metavar="URL",
            help="Bundle URL (default: vcaudit.yaml feed.url); its checksum is URL.sha256.",
        ),
    ] = None,
    cache_dir: CacheDirOption = None,
    config: ConfigOption = None,
    public_key: PublicKeyOption = None,
    allow_http: AllowHttp = False,
    allow_downgrade: AllowDowngrade = False,
    timeout: Annotated[
        float,
        typer.Option(
            "--timeout",
            min=0.1,
            metavar="SECONDS",
            help="Deadline for the whole update: the bundle, its .sha256 and .sig, redirects "
            "and retries (at most 86400).",
        ),
    ] = 30.0,
    retries: Annotated[
        int, typer.Option("--retries", min=0, help="Retries on connection errors and 5xx.")
    ] = 3,
    backoff: Annotated[
        float,
        typer.Option("--backoff", min=0.0, metavar="SECONDS", help="First retry delay; doubles."),
    ] = 0.5,
    max_size: Annotated[
        int, typer.Option("--max-size", min=1024, metavar="BYTES", help="Largest bundle.")
    ] = 32 * 1024 * 1024,
) -> None:
    """Fetch a newer feed, verify it and install it; the previous feed stays on failure."""
    with _errors():
        from vcaudit.feed import store
        from vcaudit.feed.update import FetchOptions, update

        loaded_config = _load_config(config)
        target = url or (loaded_config.feed_url if loaded_config else "")
        if not target:
            raise UsageError(
                "no feed URL: give --url, set VCAUDIT_FEED_URL or feed.url in vcaudit.yaml"
            )
        with _progress() as progress:
            outcome = update(
                target,
                store.environ_cache_dir(cache_dir),
                public_key=_public_key(public_key, loaded_config),
                allow_downgrade=allow_downgrade,
                options=FetchOptions(
                    timeout=timeout,
                    retries=retries,
                    backoff=backoff,
                    max_bytes=max_size,
                    allow_http=allow_http,
                    progress=progress,
                ),
            )
        typer.echo(outcome.message)


@feed_app.command("import")
def feed_import(
    bundle: Annotated[
        Path, typer.Argument(metavar="FILE", help="Bundle file; FILE.sha256 must be beside it.")
    ],
    cache_dir: CacheDirOption = None,
    config: ConfigOption = None,
    public_key: PublicKeyOption = None,
    allow_downgrade: AllowDowngrade = False,
) -> None:
    """Verify and install a bundle from disk, for machines without network access."""
    with _errors():
        from vcaudit.feed import store
        from vcaudit.feed.update import import_file

        loaded_config = _load_config(config)
        outcome = import_file(
            bundle,
            store.environ_cache_dir(cache_dir),
            public_key=_public_key(public_key, loaded_config),
            allow_downgrade=allow_downgrade,
        )
        typer.echo(outcome.message)


@contextmanager
def _progress() -> Iterator[Callable[[int, int | None], None] | None]:
    """A download progress bar on stderr when it is a terminal that can redraw a line (not
    TERM=dumb, where the bar would be left behind); nothing otherwise."""
    from vcaudit.console import can_redraw

    if not can_redraw(sys.stderr, os.environ):
        yield None
        return
    from rich.progress import DownloadColumn, Progress, TransferSpeedColumn

    from vcaudit.console import make_console

    console = make_console(sys.stderr, color=True)
    with Progress(
        *Progress.get_default_columns(), DownloadColumn(), TransferSpeedColumn(), console=console
    ) as bar:
        task = bar.add_task("feed", total=None)

        def advance(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        yield advance


@feed_app.command("export")
def feed_export(
    directory: Annotated[Path, typer.Argument(metavar="DIR", help="Folder to write into.")],
    export_format: Annotated[
        ExportFormat, typer.Option("--format", "-f", help="Export format.")
    ] = ExportFormat.OSV,
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
) -> None:
    """Write the feed in another format: one OSV JSON file per advisory."""
    with _errors():
        from vcaudit.errors import OutputError
        from vcaudit.feed import osv
        from vcaudit.files import atomic_write

        loaded = _load_feed(feed, cache_dir)
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(f"{directory}: cannot create: {exc.strerror}") from None
        files = osv.export(loaded)
        for name, text in files.items():
            atomic_write(directory / name, text)
        typer.echo(f"wrote {len(files)} OSV records to {directory}")
