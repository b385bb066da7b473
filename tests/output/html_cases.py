"""A small synthetic fleet for the HTML report's tests (and the browser test): versions that
sort differently as versions, as decimals and as text, hosts numbered past 9, a group with
more advisories than a cell shows, and references of every kind a feed could hold."""

from __future__ import annotations

import datetime as dt

from tests.conftest import make_installation
from vcaudit.audit import run_audit
from vcaudit.models import (
    Advisory,
    AffectedRange,
    AuditReport,
    Feed,
    FeedInfo,
    Identification,
    Installation,
    LatestRelease,
    Lifecycle,
    Platform,
    Product,
    Risk,
    Source,
    VersionScheme,
)
from vcaudit.policy import Policy

TODAY = dt.date(2026, 11, 27)
WIN = Platform.WINDOWS
DEMO_LATEST = "5.17.11.34827"
TEAMSY_LATEST = "24243.1309.3132.617"


def advisory(id_: str, *references: str, fixed: str = "5.17.0") -> Advisory:
    return Advisory(
        id=id_,
        aliases=(),
        title=f"{id_} title",
        published=dt.date(2026, 1, 1),
        severity=Risk.HIGH,
        cvss=None,
        kev=False,
        server_side=False,
        affected=(AffectedRange(frozenset(Platform), "0", fixed),),
        references=references or (f"https://example.com/advisories/{id_}",),
    )


def product(pid: str, name: str, latest: str, *advisories: Advisory) -> Product:
    return Product(
        id=pid,
        name=name,
        vendor="Example",
        version_scheme=VersionScheme.DOTTED,
        identify=Identification(),
        lifecycle=Lifecycle(),
        minimum_versions=(),
        latest=tuple(
            (p, LatestRelease(latest, dt.date(2026, 6, 1), "https://example.com/rn"))
            for p in Platform
        ),
        releases=(),
        advisories=advisories,
    )


ADVISORIES = (
    advisory("A-1", "javascript:alert(1)", "https://example.com/advisories/A-1?x=1&y=2"),
    advisory("A-2", "ftp://example.com/A-2"),
    advisory("A-3", 'https://example.com/"onmouseover="alert(1)'),
    advisory("A-4", "https://example.com/a b", "https://exa\u0430mple.com/A-4"),
    *(advisory(f"A-{n}") for n in range(5, 9)),
)
FEED = Feed(
    FeedInfo(1, None, "tests", "synthetic"),
    (
        product("demo", "Demo Meet", DEMO_LATEST, *ADVISORIES),
        product("teamsy", "Teamsy", TEAMSY_LATEST),
    ),
)


def row(product_id: str, version: str, host: str, line: int) -> Installation:
    base = make_installation(product_id, version, WIN, host=host)
    return Installation(
        host=base.host,
        platform=base.platform,
        product=base.product,
        version=base.version,
        source=Source("fleet.csv", line),
    )


def rows() -> list[Installation]:
    """12 hosts on 5.9.3 (pc-1..pc-12), 2 on 5.16.9, 1 on the latest demo release, 3 on
    Teamsy (2 on its latest), in an order that is no sorted order."""
    spec = [
        ("teamsy", TEAMSY_LATEST, "mac-b"),
        ("demo", "5.16.9", "lab-10"),
        *(("demo", "5.9.3", f"pc-{n}") for n in (10, 2, 7, 1, 12, 3, 11, 4, 9, 5, 8, 6)),
        ("demo", DEMO_LATEST, "lab-2"),
        ("teamsy", "24100.1.2.3", "mac-a"),
        ("demo", "5.16.9", "lab-9"),
        ("teamsy", TEAMSY_LATEST, "mac-c"),
    ]
    return [row(p, v, h, i + 2) for i, (p, v, h) in enumerate(spec)]


def report(extra: list[Installation] | None = None) -> AuditReport:
    return run_audit([*rows(), *(extra or [])], FEED, Policy(), TODAY, tool_version="test")
