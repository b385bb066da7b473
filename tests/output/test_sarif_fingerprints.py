"""SARIF fingerprints: stable across runs for the same rule, product, version and platform,
and different when any of them differs, so that code scanning closes an alert once the
version changes (an upgrade) and never merges two versions into one alert."""

from __future__ import annotations

import dataclasses
import json

from tests.conftest import TODAY, make_installation
from vcaudit.audit import run_audit
from vcaudit.models import Feed, Platform
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import Policy


def fingerprints(feed: Feed, *rows: tuple[str, Platform, str]) -> dict[tuple[str, ...], str]:
    """The fingerprint of each result, by rule, version and platform."""
    installations = [
        make_installation("meetly", version, platform, host=host, line=2 + i)
        for i, (version, platform, host) in enumerate(rows)
    ]
    report = run_audit(installations, feed, Policy(), TODAY)
    doc = json.loads(formatter_for(OutputFormat.SARIF)(report, RenderOptions()))
    found: dict[tuple[str, ...], str] = {}
    for result in doc["runs"][0]["results"]:
        props = result["properties"]
        prints = result["partialFingerprints"]
        assert prints["vcaudit/v1"] == prints["primaryLocationLineHash"]
        assert len(prints["vcaudit/v1"]) == 32
        found[(result["ruleId"], props["version"], props["platform"])] = prints["vcaudit/v1"]
    return found


W, M = Platform.WINDOWS, Platform.MACOS


def test_the_version_is_part_of_the_fingerprint(test_feed: Feed) -> None:
    found = fingerprints(test_feed, ("5.16.9", W, "a"), ("5.16.8", W, "b"))
    rules = {rule for rule, _, _ in found}
    assert rules
    for rule in rules:
        assert found[(rule, "5.16.9", "windows")] != found[(rule, "5.16.8", "windows")]


def test_the_platform_and_the_rule_are_part_of_the_fingerprint(test_feed: Feed) -> None:
    found = fingerprints(test_feed, ("5.16.9", W, "a"), ("5.16.9", M, "b"))
    rules = {rule for rule, _, _ in found}
    for rule in rules:
        assert found[(rule, "5.16.9", "windows")] != found[(rule, "5.16.9", "macos")]
    assert len(set(found.values())) == len(found)


def test_the_fingerprint_is_stable_across_runs_hosts_and_lines(test_feed: Feed) -> None:
    one = fingerprints(test_feed, ("5.16.9", W, "a"))
    two = fingerprints(test_feed, ("6.2.5", M, "x"), ("5.16.9", W, "other-host"))
    assert one
    for key, value in one.items():
        assert two[key] == value


def test_two_advisories_on_one_version_have_two_fingerprints(test_feed: Feed) -> None:
    """A copy of MSB-001 under another id: one group, two rules, two alerts."""
    products = []
    for product in test_feed.products:
        if product.id == "meetly":
            (msb1,) = [a for a in product.advisories if a.id == "MSB-001"]
            twin = dataclasses.replace(msb1, id="MSB-901", aliases=())
            product = dataclasses.replace(product, advisories=(*product.advisories, twin))
        products.append(product)
    feed = dataclasses.replace(test_feed, products=tuple(products))
    found = fingerprints(feed, ("5.16.9", W, "a"))
    assert set(found) == {("MSB-001", "5.16.9", "windows"), ("MSB-901", "5.16.9", "windows")}
    assert len(set(found.values())) == 2
