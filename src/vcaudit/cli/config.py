"""`vcaudit config init` and `vcaudit config check`: the policy file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from vcaudit.errors import UsageError

if TYPE_CHECKING:
    pass
from vcaudit.cli.app import config_app
from vcaudit.cli.common import (
    CacheDirOption,
    FeedOption,
    _errors,
    _load_config,
    _load_feed,
    _warn,
)
from vcaudit.sanitize import terminal_safe


@config_app.command("init")
def config_init(
    path: Annotated[Path, typer.Argument(metavar="[PATH]", help="Where to write it.")] = Path(
        "vcaudit.yaml"
    ),
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example policy file."""
    with _errors():
        from vcaudit.config import EXAMPLE
        from vcaudit.errors import OutputError
        from vcaudit.files import atomic_write

        if path.exists() and not force:
            raise OutputError(f"{path}: already exists (use --force to overwrite)")
        atomic_write(path, EXAMPLE)
        typer.echo(f"wrote {path}; edit it, then run: vcaudit config check {path}")


@config_app.command("check")
def config_check(
    path: Annotated[
        str | None,
        typer.Argument(metavar="[PATH]", help="Policy file (default: as scan finds it)."),
    ] = None,
    feed: FeedOption = None,
    cache_dir: CacheDirOption = None,
) -> None:
    """Validate a policy file; exit 3 with file, line and key when it is wrong."""
    with _errors():
        loaded_config = _load_config(path)
        if loaded_config is None:
            raise UsageError(
                "no policy file: give a path, set VCAUDIT_CONFIG or create vcaudit.yaml",
                hint="vcaudit config init",
            )
        from vcaudit.config import check_known_products

        known = {p.id for p in _load_feed(feed, cache_dir, loaded_config).products}
        warnings = check_known_products(loaded_config, known)
        for warning in warnings:
            _warn(warning)
        policy = loaded_config.policy
        typer.echo(
            f"{terminal_safe(loaded_config.path, 0)} is valid: fail_on {policy.fail_on.label}, "
            f"{len(policy.ignores)} ignore rule(s), "
            f"{len(policy.approved) if policy.approved is not None else 'no'} approved "
            f"product(s), {len(policy.owners_by_product) + len(policy.owners_by_tag)} owner(s)"
        )
