"""Upgrade advice that is true (issue 13, DESIGN.md Risk model).

"Upgrade to X" names a release that is clean on that platform; "or later" is said only when
every release from X up to the latest is clean; otherwise the latest is named (with the
smaller clean release where it helps); when the latest itself is affected, no clean upgrade
is known. Synthetic products pin each case; the bundled feed pins the case that started it:
Zoom Workplace for Windows 7.1.0 up to 7.1.8 is affected by ZSB-26023, so an old Windows
client must not be told "7.0.5 or later".
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from tests.conftest import make_installation, write_fleet
from tests.output.json_report import installation_rows
from vcaudit import versioning
from vcaudit.advice import next_steps, upgrade_advice, upgrade_target
from vcaudit.audit import run_audit
from vcaudit.cli import main
from vcaudit.matching import Matcher
from vcaudit.models import (
    Advisory,
    AdvisoryHit,
    AffectedRange,
    Assessment,
    Feed,
    FeedInfo,
    Identification,
    LatestRelease,
    Lifecycle,
    MinimumVersion,
    Platform,
    Product,
    Release,
    Risk,
    VersionScheme,
)
from vcaudit.notify import digest, webhook
from vcaudit.notify.kinds import WebhookFormat
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import Policy, assess

TODAY = dt.date(2026, 11, 27)
WIN = Platform.WINDOWS
ALL = frozenset(Platform)


def advisory(id_: str, *ranges: AffectedRange) -> Advisory:
    return Advisory(
        id=id_,
        aliases=(),
        title=f"{id_} title",
        published=dt.date(2026, 1, 1),
        severity=Risk.HIGH,
        cvss=None,
        kev=False,
        server_side=False,
        affected=ranges,
        references=(f"https://example.com/{id_}",),
    )


def on(
    *platforms: Platform,
    introduced: str = "0",
    fixed: str = "",
    last_affected: str = "",
    excluded: tuple[str, ...] = (),
) -> AffectedRange:
    return AffectedRange(frozenset(platforms), introduced, fixed, last_affected, excluded)


def product(
    *advisories: Advisory,
    latest: str | None = "3.0.0",
    latest_on: tuple[Platform, ...] = (WIN,),
    minimum: str = "",
    releases: tuple[tuple[str, tuple[Platform, ...]], ...] = (),
) -> Product:
    return Product(
        id="demo",
        name="Demo Meet",
        vendor="Example",
        version_scheme=VersionScheme.DOTTED,
        identify=Identification(),
        lifecycle=Lifecycle(),
        minimum_versions=(
            (MinimumVersion(minimum, ALL, dt.date(2026, 1, 1), "https://example.com/min"),)
            if minimum
            else ()
        ),
        latest=tuple(
            (p, LatestRelease(latest, dt.date(2026, 6, 1), "https://example.com/rn"))
            for p in latest_on
            if latest is not None
        ),
        releases=tuple(
            Release(v, tuple((p, f"{i}{j}") for j, p in enumerate(ps)), None, ())
            for i, (v, ps) in enumerate(releases)
        ),
        advisories=advisories,
    )


def verdict(prod: Product, version: str, platform: Platform = WIN) -> Assessment:
    return assess(Matcher(TODAY).match(prod, platform, version), Policy(), TODAY)


FIXED_IN_2 = advisory("A-1", on(WIN, fixed="2.0.0"))


def test_a_fix_that_holds_up_to_the_latest_is_said_with_or_later() -> None:
    demo = product(FIXED_IN_2)
    match = Matcher(TODAY).match(demo, WIN, "1.0.0")
    assert (match.fixed_in, match.fix_holds, match.latest_clean) == ("2.0.0", True, True)
    a = verdict(demo, "1.0.0")
    assert (a.upgrade_to, a.or_later, a.also_clean) == ("2.0.0", True, "")
    assert upgrade_advice(a) == "upgrade to 2.0.0 or later"
    assert upgrade_target(a) == "2.0.0 or later"


def test_a_fix_followed_by_an_affected_line_names_the_latest_not_or_later() -> None:
    demo = product(FIXED_IN_2, advisory("A-2", on(WIN, introduced="2.5.0", fixed="2.5.3")))
    match = Matcher(TODAY).match(demo, WIN, "1.0.0")
    assert (match.fixed_in, match.fix_holds) == ("2.0.0", False)
    assert match.fix.affected_from == "2.5.0"
    a = verdict(demo, "1.0.0")
    assert (a.upgrade_to, a.or_later, a.also_clean, a.affected_from) == (
        "3.0.0",
        True,  # "or later" is true of the latest itself; the words say "the latest"
        "2.0.0",
        "2.5.0",
    )
    words = upgrade_advice(a)
    assert words == (
        "upgrade to 3.0.0, the latest "
        "(2.0.0 is clean too, but some releases from 2.5.0 on are affected)"
    )
    assert "or later" not in words
    assert upgrade_target(a) == "3.0.0 (latest)"
    # Above the affected line, the fix holds again.
    assert upgrade_advice(verdict(demo, "2.5.1")) == "upgrade to 2.5.3 or later"


def test_an_affected_line_on_another_platform_does_not_break_or_later() -> None:
    demo = product(FIXED_IN_2, advisory("A-2", on(Platform.MACOS, introduced="2.5.0")))
    assert upgrade_advice(verdict(demo, "1.0.0")) == "upgrade to 2.0.0 or later"


def test_a_range_with_no_fix_above_the_candidate_breaks_or_later() -> None:
    demo = product(FIXED_IN_2, advisory("A-2", on(WIN, introduced="2.5.0")))
    match = Matcher(TODAY).match(demo, WIN, "1.0.0")
    assert (match.fixed_in, match.fix_holds, match.latest_clean) == ("2.0.0", False, False)
    a = verdict(demo, "1.0.0")
    # The latest is affected: the smallest clean release is named, without "or later".
    assert (a.upgrade_to, a.or_later, a.also_clean) == ("2.0.0", False, "")
    assert upgrade_advice(a) == (
        "upgrade to 2.0.0 (some releases from 2.5.0 on are affected, the latest 3.0.0 among them)"
    )
    assert upgrade_target(a) == "2.0.0 (latest affected)"


def test_without_a_latest_release_later_ones_are_unknown_not_affected() -> None:
    """A platform the feed knows no latest release for (Element on Linux, Zoom Rooms): the
    clean release is named alone, and the words say why, not that later ones are affected."""
    a = verdict(product(FIXED_IN_2, latest=None), "1.0.0")
    assert (a.upgrade_to, a.or_later, a.later_affected) == ("2.0.0", False, False)
    assert upgrade_target(a) == "2.0.0 (latest unknown)"
    assert upgrade_advice(a) == (
        "upgrade to 2.0.0 (no latest release is known here, so later ones are unchecked)"
    )
    # A published range above it, with no latest release either: later ones are affected.
    ranged = product(FIXED_IN_2, advisory("A-2", on(WIN, introduced="2.5.0")), latest=None)
    b = verdict(ranged, "1.0.0")
    assert (b.upgrade_to, b.or_later, b.later_affected) == ("2.0.0", False, True)
    assert upgrade_target(b) == "2.0.0 (later affected)"
    assert upgrade_advice(b) == "upgrade to 2.0.0 (some releases from 2.5.0 on are affected)"


def test_a_range_starting_above_the_latest_does_not_break_or_later() -> None:
    demo = product(FIXED_IN_2, advisory("A-2", on(WIN, introduced="3.1.0")))
    assert upgrade_advice(verdict(demo, "1.0.0")) == "upgrade to 2.0.0 or later"


def test_a_latest_that_is_itself_affected_gives_no_upgrade() -> None:
    demo = product(advisory("A-1", on(WIN, introduced="2.0.0")))
    vulnerable = verdict(demo, "2.1.0")
    assert vulnerable.status.value == "vulnerable"
    assert (vulnerable.upgrade_to, vulnerable.or_later, vulnerable.latest_clean) == (
        "",
        False,
        False,
    )
    assert (
        upgrade_advice(vulnerable) == "no clean upgrade is known (the latest, 3.0.0, is affected)"
    )
    assert upgrade_target(vulnerable) == "no clean release"
    # A clean client behind an affected latest is not sent to it either.
    outdated = verdict(demo, "1.0.0")
    assert outdated.status.value == "outdated"
    assert outdated.upgrade_to == ""
    assert upgrade_advice(outdated) == "no clean upgrade is known (the latest, 3.0.0, is affected)"


def test_an_outdated_client_is_sent_to_a_clean_latest() -> None:
    a = verdict(product(FIXED_IN_2), "2.1.0")
    assert a.status.value == "outdated"
    assert (a.upgrade_to, a.or_later) == ("3.0.0", True)
    assert upgrade_advice(a) == "upgrade to 3.0.0, the latest"


def test_an_enforced_minimum_that_is_affected_is_never_advised() -> None:
    # The vendor blocks clients below 2.0.0, and 2.0.0 up to 2.1.0 are affected by A-1.
    demo = product(advisory("A-1", on(WIN, introduced="1.9.0", fixed="2.1.0")), minimum="2.0.0")
    match = Matcher(TODAY).match(demo, WIN, "1.5.0")
    assert match.hits == ()
    assert match.below_minimum is not None
    assert (match.minimum_fix.smallest, match.minimum_fix.holds) == ("2.1.0", True)
    a = verdict(demo, "1.5.0")
    assert a.status.value == "unsupported"
    assert (a.upgrade_to, a.or_later) == ("2.1.0", True)
    assert upgrade_advice(a) == "upgrade to 2.1.0 or later"


def test_a_clean_minimum_that_does_not_hold_names_the_latest() -> None:
    demo = product(advisory("A-1", on(WIN, introduced="2.2.0", fixed="2.4.0")), minimum="2.0.0")
    a = verdict(demo, "1.5.0")
    assert a.status.value == "unsupported"
    assert (a.upgrade_to, a.also_clean, a.affected_from) == ("3.0.0", "2.0.0", "2.2.0")


def test_a_vulnerable_client_below_the_minimum_is_sent_at_or_above_the_minimum() -> None:
    # 1.2.0 clears A-1, but the vendor blocks everything below 2.5.0.
    demo = product(advisory("A-1", on(WIN, fixed="1.2.0")), minimum="2.5.0")
    a = verdict(demo, "1.0.0")
    assert a.status.value == "vulnerable"
    assert a.fixed_in == "1.2.0"
    assert upgrade_advice(a) == "upgrade to 2.5.0 or later"


def test_a_backport_is_clean_but_not_or_later() -> None:
    # 1.4.7 is a backport clear of A-1; 1.5.0 up to 2.0.0 are still affected.
    demo = product(advisory("A-1", on(WIN, fixed="2.0.0", excluded=("1.4.7",))))
    a = verdict(demo, "1.4.0")
    assert (a.upgrade_to, a.also_clean, a.affected_from) == ("3.0.0", "1.4.7", "")
    assert upgrade_advice(a) == (
        "upgrade to 3.0.0, the latest (1.4.7 is clean too, but some later releases are affected)"
    )


def test_without_a_latest_any_range_above_the_fix_breaks_or_later() -> None:
    demo = product(FIXED_IN_2, advisory("A-2", on(WIN, introduced="9.0.0")), latest=None)
    a = verdict(demo, "1.0.0")
    assert (a.upgrade_to, a.or_later) == ("2.0.0", False)
    assert upgrade_advice(a) == "upgrade to 2.0.0 (some releases from 9.0.0 on are affected)"


def test_without_a_latest_a_clean_fix_is_never_or_later() -> None:
    # Nothing known affects releases after 2.0.0, but with no latest release there is no
    # "up to the latest" to check: the clean release is named alone.
    demo = product(FIXED_IN_2, latest=None)
    a = verdict(demo, "1.0.0")
    assert (a.upgrade_to, a.or_later) == ("2.0.0", False)
    assert "or later" not in upgrade_advice(a)


def test_the_release_table_gives_the_first_clean_release_after_a_range_without_a_fix() -> None:
    # A-1 names no fix (last affected 1.4.0); the table knows 1.4.2 shipped on Windows.
    demo = product(
        advisory("A-1", on(WIN, last_affected="1.4.0")),
        releases=(("1.4.2", (WIN,)), ("1.4.1", (Platform.MACOS,))),
    )
    a = verdict(demo, "1.3.0")
    assert (a.upgrade_to, a.or_later) == ("1.4.2", True)


@pytest.mark.slow
def test_the_advised_release_is_clean_for_every_bundled_product(bundled_feed: Feed) -> None:
    """Whatever the installed version, the release named is clean on its platform, and when
    "or later" is said every known release from it up to the latest is clean too."""
    matcher = Matcher(TODAY)
    checked = held = 0
    for prod in bundled_feed.products:
        for platform in Platform:
            latest = prod.latest_for(platform)
            texts = {r.version for r in prod.releases} | ({latest.version} if latest else set())
            for adv in prod.advisories:
                for r in adv.affected:
                    texts |= {t for t in (r.introduced, r.fixed, r.last_affected) if t}
            known = [
                v
                for v in (versioning.parse_feed_version(prod.version_scheme, t) for t in texts)
                if v
            ]
            for installed in sorted(texts):
                a = assess(matcher.match(prod, platform, installed), Policy(), TODAY)
                if not a.upgrade_to:
                    continue
                checked += 1
                target = matcher.match(prod, platform, a.upgrade_to)
                assert target.hits == (), (prod.id, platform, installed, a.upgrade_to)
                assert target.ambiguous == ()
                if a.or_later and latest is not None:
                    held += 1
                    low = versioning.parse_feed_version(prod.version_scheme, a.upgrade_to)
                    top = versioning.parse_feed_version(prod.version_scheme, latest.version)
                    assert low is not None
                    assert top is not None
                    for v in known:
                        if versioning.at_most(low, v) and versioning.at_most(v, top):
                            assert matcher.match(prod, platform, v.raw).hits == (), (
                                prod.id,
                                platform,
                                installed,
                                a.upgrade_to,
                                v.raw,
                            )
    assert checked > 50
    assert held > 20


def zoom(feed: Feed) -> Product:
    found = feed.product("zoom")
    assert found is not None
    return found


def test_bundled_zoom_for_windows_is_not_told_7_0_5_or_later(bundled_feed: Feed) -> None:
    prod = zoom(bundled_feed)
    # The premise, read from advisories/zoom.yaml: ZSB-26023 affects Windows 7.1.0 up to 7.1.8.
    zsb = next(a for a in prod.advisories if a.id == "ZSB-26023")
    assert [(r.platforms, r.introduced, r.fixed) for r in zsb.affected] == [
        (frozenset({WIN}), "7.1.0", "7.1.8")
    ]
    latest = prod.latest_for(WIN)
    assert latest is not None
    for installed in ("6.0.0", "6.4.12", "7.0.0", "7.0.4"):
        match = Matcher(TODAY).match(prod, WIN, installed)
        assert match.fixed_in == "7.0.5", installed
        assert not match.fix_holds
        a = assess(match, Policy(), TODAY)
        words = upgrade_advice(a)
        assert "or later" not in words, (installed, words)
        assert a.upgrade_to == latest.version
        assert a.also_clean == "7.0.5"
        assert a.affected_from == "7.1.0"
        assert words.startswith(f"upgrade to {latest.version}, the latest (7.0.5 is clean too")
    # Past the affected 7.1 line, "or later" is true again.
    assert upgrade_advice(verdict(prod, "7.1.2")) == "upgrade to 7.1.8 or later"


def test_next_steps_are_one_line_per_product_and_platform_naming_five_hosts() -> None:
    demo = product(
        advisory("A-1", on(WIN, Platform.MACOS, fixed="2.0.0")),
        advisory("A-2", on(WIN, introduced="2.5.0", fixed="2.5.3")),
        latest_on=(WIN, Platform.MACOS),
    )
    feed = Feed(FeedInfo(1, None, "tests", "synthetic"), (demo,))
    rows = [make_installation("demo", "1.0.0", host=f"pc-{i:02}", line=i) for i in range(14, 0, -1)]
    rows.append(make_installation("demo", "2.5.1", host="pc-99", line=20))
    rows.append(make_installation("demo", "1.0.0", Platform.MACOS, host="mac-1", line=21))
    report = run_audit(rows, feed, Policy(), TODAY)
    steps = [(s.text, s.hosts) for s in next_steps(report)]
    assert steps == [
        # A-2 is Windows-only: on macOS the fix holds.
        ("Upgrade Demo Meet on macos on 1 host (mac-1) to 2.0.0 or later", 1),
        # Windows 1.0.0 (to 3.0.0, the latest) and 2.5.1 (to 2.5.3 or later) share one line:
        # the highest release either is sent to, clean and above both. The hosts are sorted.
        (
            "Upgrade Demo Meet on windows on 15 hosts (pc-01, pc-02, pc-03, pc-04, pc-05 +10 more)"
            " to 3.0.0, the latest",
            15,
        ),
    ]


def test_next_steps_keep_the_smaller_clean_release_when_every_group_agrees() -> None:
    demo = product(FIXED_IN_2, advisory("A-2", on(WIN, introduced="2.5.0", fixed="2.5.3")))
    feed = Feed(FeedInfo(1, None, "tests", "synthetic"), (demo,))
    rows = [
        make_installation("demo", "1.0.0", host="b"),
        make_installation("demo", "1.1.0", host="a"),
    ]
    steps = [s.text for s in next_steps(run_audit(rows, feed, Policy(), TODAY))]
    assert steps == [
        "Upgrade Demo Meet on windows on 2 hosts (a, b) to 3.0.0, the latest "
        "(2.0.0 is clean too, but some releases from 2.5.0 on are affected)"
    ]


def test_next_steps_watch_for_a_fix_when_no_clean_release_is_known() -> None:
    demo = product(advisory("A-1", on(WIN, introduced="2.0.0")))
    feed = Feed(FeedInfo(1, None, "tests", "synthetic"), (demo,))
    report = run_audit([make_installation("demo", "2.1.0", host="pc-1")], feed, Policy(), TODAY)
    assert [s.text for s in next_steps(report)] == [
        "Watch for a fix for Demo Meet on windows on 1 host (pc-1): "
        "no clean upgrade is known (the latest, 3.0.0, is affected)"
    ]


@pytest.fixture
def old_zoom_fleet(tmp_path: Path) -> Path:
    return write_fleet(
        tmp_path / "fleet.csv",
        [
            *(f"pc-{i:02},windows,Zoom Workplace (64-bit),6.0.0" for i in range(1, 8)),
            "pc-20,windows,zoom,7.0.4",
        ],
    )


def test_cli_table_and_sarif_do_not_say_or_later_for_old_zoom_on_windows(
    old_zoom_fleet: Path, bundled_feed: Feed, capsys: pytest.CaptureFixture[str]
) -> None:
    latest = zoom(bundled_feed).latest_for(WIN)
    assert latest is not None
    args = ["scan", str(old_zoom_fleet), "--as-of", TODAY.isoformat(), "--fail-on", "none"]
    assert main([*args, "--color", "never"]) == 0
    table = capsys.readouterr().out
    steps = " ".join(table.split("Next steps", 1)[1].split())  # the table wraps long steps
    assert "or later" not in steps
    assert (
        "Upgrade Zoom Workplace on windows on 8 hosts (pc-01, pc-02, pc-03, pc-04, pc-05 +3 more)"
        f" to {latest.version}, the latest (7.0.5 is clean too" in steps
    )
    assert main([*args, "--format", "sarif"]) == 0
    sarif = json.loads(capsys.readouterr().out)
    results = sarif["runs"][0]["results"]
    # Advisories to review (no published range) are notes of their own, with no advice.
    messages = [r["message"]["text"] for r in results if not r["properties"].get("review")]
    assert messages
    for message in messages:
        assert "or later" not in message
        assert f"Upgrade to {latest.version}, the latest" in message


@pytest.mark.parametrize(
    "fmt",
    [OutputFormat.TABLE, OutputFormat.SARIF, OutputFormat.JUNIT, OutputFormat.MARKDOWN,
     OutputFormat.HTML, OutputFormat.JSON],
)  # fmt: skip
def test_every_format_words_the_same_advice(fmt: OutputFormat) -> None:
    demo = product(FIXED_IN_2, advisory("A-2", on(WIN, introduced="2.5.0", fixed="2.5.3")))
    feed = Feed(FeedInfo(1, None, "tests", "synthetic"), (demo,))
    report = run_audit([make_installation("demo", "1.0.0", host="pc-1")], feed, Policy(), TODAY)
    text = " ".join(formatter_for(fmt)(report, RenderOptions(width=100)).split())
    assert "or later" not in text
    assert "2.0.0 is clean too" in text or fmt is OutputFormat.JSON
    if fmt is OutputFormat.JSON:
        row = installation_rows(json.loads(text))[0]
        assert (row["fixed_in"], row["upgrade_to"]) == ("2.0.0", "3.0.0")


def test_mail_and_webhooks_word_the_same_advice() -> None:
    demo = product(FIXED_IN_2, advisory("A-2", on(WIN, introduced="2.5.0", fixed="2.5.3")))
    feed = Feed(FeedInfo(1, None, "tests", "synthetic"), (demo,))
    report = run_audit([make_installation("demo", "1.0.0", host="pc-1")], feed, Policy(), TODAY)
    mail = digest.build(report, None)
    for body in (mail.text, mail.html):
        assert "or later" not in body
        assert "to 3.0.0, the latest (2.0.0 is clean too" in body
    for fmt in WebhookFormat:
        body = json.dumps(webhook.payload(fmt, report, mail, None))
        assert "or later" not in body
        assert "to 3.0.0, the latest" in body


def test_a_retired_products_installer_is_removed_and_hosts_are_in_natural_order(
    bundled_feed: Feed,
) -> None:
    rows = [
        make_installation("Teams Machine-Wide Installer", "1.6.0.27573", host=f"pc-{n}")
        for n in (10, 2, 1)
    ]
    rows.append(make_installation("Microsoft Teams", "1.6.00.376", host="pc-3"))
    report = run_audit(rows, bundled_feed, Policy(), TODAY)
    steps = [step.text for step in next_steps(report)]
    assert (
        "Replace Microsoft Teams classic on windows on 1 host (pc-3) with Microsoft Teams" in steps
    )
    assert (
        "Remove Microsoft Teams classic (machine-wide installer) on windows on 3 hosts "
        "(pc-1, pc-2, pc-10): it installs a retired client"
    ) in steps


def test_hosts_sort_in_natural_order_whatever_their_numbers() -> None:
    from vcaudit.advice import hosts_named

    long_number = "9" * 5000  # past Python's int() digit limit: compared as digits
    named = hosts_named(["pc-10", "pc-2", "pc-1", f"pc-{long_number}"], most=3)
    assert named == "pc-1, pc-2, pc-10 +1 more"


def test_host_names_are_named_whole_so_two_hosts_never_read_the_same() -> None:
    from vcaudit.advice import hosts_named

    pool = [f"vdi-pool-finance-emea-frankfurt-primary-{n:04d}.corp.example.com" for n in (2, 1)]
    assert hosts_named(pool) == (
        "vdi-pool-finance-emea-frankfurt-primary-0001.corp.example.com, "
        "vdi-pool-finance-emea-frankfurt-primary-0002.corp.example.com"
    )
    # Past any real host name's length, the middle goes: both ends stay, so names that
    # differ at either end still differ.
    monster = ["a" * 200 + "-1", "a" * 200 + "-2"]
    shown = hosts_named(monster).split(", ")
    assert len(shown) == 2
    assert shown[0] != shown[1]
    assert all(len(name) == 120 and "…" in name for name in shown)


def test_advisory_ids_are_named_worst_first(test_feed: Feed) -> None:
    import dataclasses

    from vcaudit.advice import advisories_worst_first, short_ids
    from vcaudit.models import Cvss

    base = next(a for p in test_feed.products for a in p.advisories)
    low = dataclasses.replace(base, id="A-LOW", severity=Risk.LOW, kev=False, cvss=None)
    high = dataclasses.replace(base, id="B-HIGH", severity=Risk.HIGH, kev=False, cvss=None)
    high_scored = dataclasses.replace(
        high, id="C-HIGH-8.8", cvss=Cvss("3.1", 8.8, "CVSS:3.1/AV:N", "nvd")
    )
    exploited = dataclasses.replace(base, id="D-KEV", severity=Risk.MEDIUM, kev=True, cvss=None)
    critical = dataclasses.replace(base, id="E-CRIT", severity=Risk.CRITICAL, kev=False, cvss=None)
    feed_order = [low, high, high_scored, exploited, critical]
    assert [a.id for a in advisories_worst_first(feed_order)] == [
        "D-KEV",  # known exploited: critical, and before a critical nobody exploits
        "E-CRIT",
        "C-HIGH-8.8",  # a score ranks within a severity
        "B-HIGH",
        "A-LOW",
    ]
    hits = tuple(AdvisoryHit(a, "9.9") for a in feed_order)
    meetly = next(p for p in test_feed.products if p.id == "meetly")
    assessment = dataclasses.replace(verdict(meetly, "5.16.9"), hits=hits)
    assert short_ids(assessment, 2) == "D-KEV, E-CRIT +3"


def test_an_unapproved_product_gets_a_step_saying_why(test_feed: Feed) -> None:
    from vcaudit.config import parse_policy

    policy = parse_policy("approved: [meetly]\n", "vcaudit.yaml").policy
    rows = [
        make_installation("slackish", "4.41.105", Platform.LINUX, host="pc-2"),
        make_installation("slackish", "4.41.105", Platform.LINUX, host="pc-10", line=3),
    ]
    report = run_audit(rows, test_feed, policy, TODAY)
    assert [step.text for step in next_steps(report)] == [
        "Remove or replace Slackish on linux on 2 hosts (pc-2, pc-10): the policy does not "
        "allow it (not on the approved list)"
    ]
