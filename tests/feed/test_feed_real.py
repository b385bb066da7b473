"""Real cases from the records behind the bundled feed.

Each row was checked against the CVE record or NVD entry cited in the advisory (for example
https://www.cve.org/CVERecord?id=CVE-2024-24691: Windows only, bulletin ZSB-24008; NVD gives
the desktop client < 5.16.5 and the VDI client < 5.16.10 except 5.14.14 and 5.15.12).
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.conftest import TODAY
from vcaudit.matching import Matcher
from vcaudit.models import Feed, Platform

W, M, L = Platform.WINDOWS, Platform.MACOS, Platform.LINUX


def ids(feed: Feed, product_id: str, platform: Platform, version: str) -> set[str]:
    product = feed.product(product_id)
    assert product is not None
    match = Matcher(TODAY).match(product, platform, version)
    return {i for hit in match.hits for i in hit.advisory.ids}


@pytest.mark.parametrize(
    ("product", "platform", "version", "advisory", "applies"),
    [
        ("zoom", W, "5.16.4", "CVE-2024-24691", True),
        ("zoom", W, "5.16.5", "CVE-2024-24691", False),  # the fixed version
        ("zoom", W, "5.16.4 (23812)", "ZSB-24008", True),  # per-user DisplayVersion spelling
        ("zoom", M, "5.16.4", "CVE-2024-24691", False),  # Windows only
        ("zoom-vdi", W, "5.14.13", "CVE-2024-24691", True),
        ("zoom-vdi", W, "5.14.14", "CVE-2024-24691", False),  # backport excluded
        ("zoom-vdi", W, "5.15.12", "CVE-2024-24691", False),  # backport excluded
        ("zoom-vdi", W, "5.16.10", "CVE-2024-24691", False),
        ("teams-classic", W, "1.6.00.18680", "CVE-2023-29328", True),
        ("teams-classic", W, "1.6.00.18681", "CVE-2023-29328", False),
        ("teams-classic", W, "1.6.0.18681", "CVE-2023-29328", False),  # unpadded spelling
        ("teams-classic", M, "1.6.00.17553", "CVE-2023-29330", True),
        ("teams-classic", M, "1.6.00.17554", "CVE-2023-29330", False),
        ("teams", M, "25163.3001.3726.6502", "CVE-2025-49737", True),
        ("teams", W, "25163.3001.3726.6502", "CVE-2025-49737", False),  # macOS only
        ("teams", W, "25122.1415.3698.6811", "CVE-2025-53783", True),
        ("teams", W, "25122.1415.3698.6812", "CVE-2025-53783", False),
        ("jitsi-meet", L, "2.2.9", "CVE-2020-25019", True),
        ("jitsi-meet", L, "2.3.0", "CVE-2020-25019", False),
        # The Zoom CNA record of CVE-2026-108186: Zoom Workplace for Windows 7.1 up to 7.1.8.
        ("zoom", W, "7.1.5", "CVE-2026-108186", True),
        ("zoom", W, "7.1.43453", "ZSB-26023", True),  # the MSI spelling of 7.1.5
        ("zoom", W, "7.1.8", "CVE-2026-108186", False),
        ("zoom", W, "7.0.5", "CVE-2026-108186", False),
        ("zoom", M, "7.1.5", "CVE-2026-108186", False),
        # NVD's CPE ranges for cisco-sa-webex-client-g3zevBcp: < 39.5.24, = 39.7.4,
        # 40.4.0 up to 40.4.6 and 40.4.10 up to 40.6.0.
        ("webex-meetings", W, "39.5.23", "CVE-2020-3501", True),
        ("webex-meetings", W, "39.5.24", "CVE-2020-3501", False),
        ("webex-meetings", M, "39.7.4", "CVE-2020-3502", True),
        ("webex-meetings", M, "40.4.6", "CVE-2020-3502", False),  # between two ranges
        ("webex-meetings", W, "40.5.0", "CVE-2020-3502", True),
        ("webex-meetings", W, "40.6.0", "CVE-2020-3502", False),
        ("element", L, "1.11.102", "CVE-2025-48937", True),
        ("element", L, "1.11.103", "CVE-2025-48937", False),
        ("element", W, "1.8.3", "CVE-2021-40823", True),
        ("element", W, "1.8.4", "CVE-2021-40823", False),
        # MSRC's record: Skype for Consumer before 8.113; two-part Windows versions are prefixes.
        ("skype", W, "8.112", "CVE-2024-21411", True),
        ("skype", W, "8.113", "CVE-2024-21411", False),
        ("skype", L, "8.112.0.211", "CVE-2024-21411", True),
        ("skype", M, "8.113.0.210", "CVE-2024-21411", False),
        ("skype", M, "8.59.0.77", "CVE-2020-24003", True),  # macOS, through 8.59.0.77
        ("skype", M, "8.60.0.76", "CVE-2020-24003", False),
        ("skype", W, "8.59.0.77", "CVE-2020-24003", False),
    ],
)
def test_real_cases(
    bundled_feed: Feed,
    product: str,
    platform: Platform,
    version: str,
    advisory: str,
    applies: bool,
) -> None:
    assert (advisory in ids(bundled_feed, product, platform, version)) is applies


def test_variant_only_advisories_never_reach_the_desktop_client(bundled_feed: Feed) -> None:
    """Rooms, VDI and SDK advisories share version numbers with the client but not its code."""
    desktop = bundled_feed.product("zoom")
    assert desktop is not None
    desktop_ids = {i for a in desktop.advisories for i in a.ids}
    variant_only = {
        i
        for pid in ("zoom-rooms", "zoom-vdi", "zoom-sdk")
        for a in (bundled_feed.product(pid) or desktop).advisories
        for i in a.ids
        if i.startswith("CVE-")
    } - desktop_ids
    assert variant_only, "the feed should hold variant-only advisories"
    matcher = Matcher(TODAY)
    for platform in Platform:
        for version in ("4.0.0", "5.0.0", "5.10.0", "5.14.0", "6.0.0"):
            hit = {
                i for h in matcher.match(desktop, platform, version).hits for i in h.advisory.ids
            }
            assert not hit & variant_only


def test_server_side_advisories_never_match(bundled_feed: Feed) -> None:
    """The bundled feed has no server-side advisory yet, so each product gets a synthetic one:
    a copy of an advisory that matches, marked fixed on the servers. The original matches
    and the copy never does."""
    matcher = Matcher(TODAY)
    checked = 0
    for product in bundled_feed.products:
        for platform in Platform:
            for version in ("0.1", "1.0.0", "5.0.0"):
                found = matcher.match(product, platform, version).hits
                if not found:
                    continue
                original = found[0].advisory
                synthetic = dataclasses.replace(
                    original, id="SYNTH-SERVER-1", aliases=(), server_side=True
                )
                with_it = dataclasses.replace(product, advisories=(*product.advisories, synthetic))
                hits = {
                    h.advisory.id for h in Matcher(TODAY).match(with_it, platform, version).hits
                }
                assert original.id in hits
                assert "SYNTH-SERVER-1" not in hits
                checked += 1
        server_side = {a.id for a in product.advisories if a.server_side}
        for platform in Platform:
            for version in ("0.1", "1.0.0", "5.0.0"):
                hits = {h.advisory.id for h in matcher.match(product, platform, version).hits}
                assert not hits & server_side
    assert checked >= 5
