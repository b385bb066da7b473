"""Shared fixtures: the synthetic test feed, the bundled feed, installation builders."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import settings

from vcaudit.feed.load import load_feed
from vcaudit.models import Feed, Installation, Ownership, Platform, Source

# In CI the generated examples are the same on every run, so a run fails for the code and not
# for the draw; locally each run draws afresh and finds new cases.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

DATA = Path(__file__).parent / "data"
TEST_FEED_DIR = DATA / "feed"
TODAY = dt.date(2026, 1, 15)


@pytest.fixture(autouse=True)
def _private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tests never touch the user's cache folder, and lay reports out at the width of piped
    output (100 columns) whatever COLUMNS the shell running them exports."""
    monkeypatch.setenv("VCAUDIT_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("COLUMNS", raising=False)


@pytest.fixture(scope="session")
def test_feed() -> Feed:
    feed = load_feed(TEST_FEED_DIR)
    # A location that is the same on every checkout, so golden files do not depend on it.
    return replace(feed, info=replace(feed.info, location="tests/data/feed"))


@pytest.fixture(scope="session")
def bundled_feed() -> Feed:
    return load_feed()


def make_installation(
    product: str,
    version: str,
    platform: Platform = Platform.WINDOWS,
    *,
    host: str = "host-1",
    publisher: str = "",
    ownership: Ownership = Ownership.COMPANY,
    line: int = 2,
) -> Installation:
    return Installation(
        host=host,
        platform=platform,
        product=product,
        version=version,
        source=Source("fleet.csv", line),
        publisher=publisher,
        ownership=ownership,
    )


def write_fleet(
    path: Path, rows: Iterable[str], header: str = "host,platform,product,version"
) -> Path:
    """A native CSV inventory: the header, then one line per row."""
    path.write_text("".join(f"{line}\n" for line in (header, *rows)), encoding="utf-8")
    return path
