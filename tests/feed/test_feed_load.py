"""Loading the feed: the bundled feed validates, broken feeds fail with file, line and field."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from vcaudit.errors import FeedError
from vcaudit.feed.load import bundled_feed_dir, load_feed
from vcaudit.models import Feed, Risk

ROOT = Path(__file__).resolve().parent.parent.parent
FEED_SCHEMA = json.loads((ROOT / "schema" / "feed.schema.json").read_text(encoding="utf-8"))

META = "schema_version: 1\ngenerated_at: '2026-01-01T00:00:00Z'\npublisher: tests\n"
PRODUCT_HEAD = "id: demo\nname: Demo\nvendor: Example\nversion_scheme: dotted\n"
ADVISORY = (
    "advisories:\n"
    "  - id: A-1\n"
    "    title: t\n"
    "    published: '2025-01-01'\n"
    "    severity: high\n"
    "    affected:\n"
    "      - platforms: [windows]\n"
    "        fixed: '2.0'\n"
    "    references: ['https://example.com/a']\n"
)


def _plain(value: Any) -> Any:
    """YAML dates as ISO strings, as the schema expects."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@pytest.mark.slow
def test_bundled_feed_loads_and_every_file_matches_the_schema(bundled_feed: Feed) -> None:
    assert len(bundled_feed.products) >= 5
    validator = jsonschema.Draft202012Validator(FEED_SCHEMA)
    meta_validator = jsonschema.Draft202012Validator(
        {**FEED_SCHEMA["$defs"]["meta"], "$defs": FEED_SCHEMA["$defs"]}
    )
    for path in sorted(bundled_feed_dir().glob("*.yaml")):
        doc = _plain(yaml.safe_load(path.read_text(encoding="utf-8")))
        chosen = meta_validator if path.name == "feed.yaml" else validator
        errors = [f"{path.name}: {list(e.path)}: {e.message}" for e in chosen.iter_errors(doc)]
        assert errors == []


def test_every_advisory_is_sourced(bundled_feed: Feed) -> None:
    for product in bundled_feed.products:
        for advisory in product.advisories:
            assert advisory.references, advisory.id
            assert all(r.startswith("https://") for r in advisory.references), advisory.id


def write_feed(tmp_path: Path, product: str, name: str = "demo.yaml") -> Path:
    (tmp_path / "feed.yaml").write_text(META, encoding="utf-8")
    (tmp_path / name).write_text(product, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("product", "message"),
    [
        (PRODUCT_HEAD + "colour: red\n", "demo.yaml, line 5: colour: unknown key"),
        (PRODUCT_HEAD + "name: Again\n", "demo.yaml, line 5: duplicate key 'name'"),
        (
            PRODUCT_HEAD + ADVISORY.replace("high", "severe"),
            "line 9: advisories[0].severity: expected one of",
        ),
        (
            PRODUCT_HEAD + ADVISORY.replace("'2.0'", "2.10"),
            "line 12: advisories[0].affected[0].fixed: write 2.1 in quotes",
        ),
        (
            PRODUCT_HEAD + ADVISORY.replace("'2.0'", "'2.0-beta'"),
            "advisories[0].affected[0].fixed: version '2.0-beta' does not parse",
        ),
        (
            PRODUCT_HEAD + ADVISORY.replace("[windows]", "[beos]"),
            "advisories[0].affected[0].platforms: unknown platform 'beos'",
        ),
        (
            PRODUCT_HEAD
            + ADVISORY.replace("fixed: '2.0'", "introduced: '3.0'\n        fixed: '2.0'"),
            "advisories[0].affected[0].fixed: must come after introduced",
        ),
        (
            PRODUCT_HEAD + ADVISORY.replace("    references: ['https://example.com/a']\n", ""),
            "advisories[0].references: every advisory needs at least one source URL",
        ),
        (
            PRODUCT_HEAD + ADVISORY.replace("https://example.com/a", "http://example.com/a"),
            "expected an https:// URL",
        ),
        (
            PRODUCT_HEAD + ADVISORY + ADVISORY.replace("advisories:\n", ""),
            "advisories[1].id: duplicate advisory id (first on line 6)",
        ),
        (
            PRODUCT_HEAD + "identify:\n  windows:\n    - {name: 'Demo ('}\n",
            "identify.windows[0].name: not a valid regular expression",
        ),
        (PRODUCT_HEAD.replace("id: demo", "id: other"), "id: must match the file name (demo)"),
        (PRODUCT_HEAD + "x: &a [1]\ny: *a\n", "aliases (*name) are not allowed"),
        (
            PRODUCT_HEAD + "lifecycle: {status: eol}\n",
            "lifecycle.sources: an end-of-life product needs the source",
        ),
        ("id: demo\n  bad: [\n", "demo.yaml, line 2: not valid YAML"),
        (
            PRODUCT_HEAD
            + ADVISORY.replace(
                "severity: high\n",
                "severity: unscored\n    cvss: {version: '3.1', score: 7.0}\n",
            ),
            "advisories[0].cvss: an unscored advisory has no CVSS",
        ),
    ],
)
def test_broken_product_files(tmp_path: Path, product: str, message: str) -> None:
    with pytest.raises(FeedError) as caught:
        load_feed(write_feed(tmp_path, product))
    assert message in str(caught.value)


def test_identifier_claimed_by_two_products(tmp_path: Path) -> None:
    write_feed(tmp_path, PRODUCT_HEAD + "identify: {macos: [com.example.app]}\n")
    (tmp_path / "other.yaml").write_text(
        PRODUCT_HEAD.replace("demo", "other") + "identify: {macos: [com.example.APP]}\n",
        encoding="utf-8",
    )
    with pytest.raises(FeedError, match=r"'com\.example\.app' is also claimed by product 'demo'"):
        load_feed(tmp_path)


def test_missing_and_empty_feeds(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="no such feed"):
        load_feed(tmp_path / "nope")
    with pytest.raises(FeedError, match=r"no feed\.yaml"):
        load_feed(tmp_path)
    (tmp_path / "feed.yaml").write_text(META, encoding="utf-8")
    with pytest.raises(FeedError, match="holds no product files"):
        load_feed(tmp_path)
    (tmp_path / "feed.yaml").write_text(META.replace("1", "2", 1), encoding="utf-8")
    with pytest.raises(FeedError, match="reads feed schema 1, got 2"):
        load_feed(tmp_path)


def test_an_unscored_advisory_counts_as_high(tmp_path: Path) -> None:
    """A range is known but no score yet: the feed says so, and vcaudit counts it as high."""
    feed = load_feed(write_feed(tmp_path, PRODUCT_HEAD + ADVISORY.replace("high", "unscored")))
    product = feed.product("demo")
    assert product is not None
    (advisory,) = product.advisories
    assert not advisory.scored
    assert advisory.severity_label == "unscored"
    assert advisory.severity is Risk.HIGH
    assert advisory.cvss is None
