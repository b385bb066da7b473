"""Version scopes of ignore rules (`versions: '>=5.16.0, <5.16.10'`): every operator, at, below
and above its bound, and a version that cannot be compared is never in scope."""

from __future__ import annotations

import pytest

from vcaudit import versioning
from vcaudit.models import Feed, Product
from vcaudit.policy import VersionSpec

CASES = [
    # (spec, version, in scope)
    ("<6.2.3", "6.2.2", True),
    ("<6.2.3", "6.2.3", False),
    ("<6.2.3", "6.2.4", False),
    ("<=6.2.3", "6.2.2", True),
    ("<=6.2.3", "6.2.3", True),
    ("<=6.2.3", "6.2.4", False),
    (">6.2.3", "6.2.2", False),
    (">6.2.3", "6.2.3", False),
    (">6.2.3", "6.2.4", True),
    (">=6.2.3", "6.2.2", False),
    (">=6.2.3", "6.2.3", True),
    (">=6.2.3", "6.2.4", True),
    ("==6.2.3", "6.2.3", True),
    ("==6.2.3", "6.2.4", False),
    ("=6.2.3", "6.2.3", True),
    ("6.2.3", "6.2.3", True),
    ("6.2.3", "6.2.2", False),
    (">=5.16.0, <5.16.10", "5.16.9", True),
    (">=5.16.0, <5.16.10", "5.16.10", False),
    (">=5.16.0, <5.16.10", "5.15.0", False),
    # A prefix whose answer depends on the parts it lacks is not certainly in scope.
    ("<=6.2.3", "6.2", False),
    (">6.2.3", "6.2", False),
    ("==6.2.3", "6.2", False),
]


def meetly(feed: Feed) -> Product:
    (product,) = [p for p in feed.products if p.id == "meetly"]
    return product


@pytest.mark.parametrize(("spec", "version", "inside"), CASES)
def test_every_operator(test_feed: Feed, spec: str, version: str, inside: bool) -> None:
    product = meetly(test_feed)
    parsed = VersionSpec.parse(spec)
    assert parsed is not None
    installed = versioning.parse(product.version_scheme, version)
    assert installed is not None
    assert parsed.contains(product, installed) is inside


def test_no_version_is_never_in_scope(test_feed: Feed) -> None:
    parsed = VersionSpec.parse(">=0")
    assert parsed is not None
    assert parsed.contains(meetly(test_feed), None) is False


def test_a_bound_the_product_cannot_read_is_never_in_scope(test_feed: Feed) -> None:
    # "6.2.3 (48000)" is a Zoom-style version (so the rule is accepted); a product of another
    # scheme cannot compare with it, and its rows are never in scope.
    others = [
        p
        for p in test_feed.products
        if versioning.parse_feed_version(p.version_scheme, "6.2.3 (48000)") is None
    ]
    assert others
    for product in others:
        installed = versioning.parse(product.version_scheme, "6.2.3")
        assert installed is not None
        for op in ("<=", ">=", "<", ">", "=="):
            spec = VersionSpec.parse(f"{op}6.2.3 (48000)")
            assert spec is not None
            assert spec.contains(product, installed) is False


@pytest.mark.parametrize("text", ["5.x", "abc", ">=", "<5.16, latest", ""])
def test_what_is_not_a_comparison_is_refused(text: str) -> None:
    assert VersionSpec.parse(text) is None
