"""Webex App and Webex Meetings ranges taken from NVD's CPE configurations, checked on the
bundled feed: a version inside each range is flagged and one outside is not.

Each row names the stored NVD record it was checked against. NVD's configurations are often
non-contiguous (a range, then single versions), so the rows probe both sides of every gap.
Advisories fixed in Cisco's service never flag a client, and advisories whose records name no
usable desktop version are items to review, never matches.
"""

from __future__ import annotations

import pytest

from tests.conftest import TODAY
from vcaudit.matching import Matcher
from vcaudit.models import Feed, Platform

W, M, L = Platform.WINDOWS, Platform.MACOS, Platform.LINUX

NVD = "https://github.com/fkie-cad/nvd-json-data-feeds/blob/"
C0 = NVD + "0c245865ae8a409de2ffd258266ef093198a9ec9/"
NVD_3347 = C0 + "CVE-2020/CVE-2020-33xx/CVE-2020-3347.json"
NVD_3588 = C0 + "CVE-2020/CVE-2020-35xx/CVE-2020-3588.json"
NVD_1536 = C0 + "CVE-2021/CVE-2021-15xx/CVE-2021-1536.json"
NVD_20236 = (
    NVD + "622272eb2efee4c209794c41b8a757883ba55b3c/CVE-2025/CVE-2025-202xx/CVE-2025-20236.json"
)
NVD_3361 = C0 + "CVE-2020/CVE-2020-33xx/CVE-2020-3361.json"
NVD_20133 = C0 + "CVE-2023/CVE-2023-201xx/CVE-2023-20133.json"
NVD_3116 = C0 + "CVE-2020/CVE-2020-31xx/CVE-2020-3116.json"
CVE_20395 = (
    "https://github.com/cisagov/vulnrichment/blob/b0ed758328f47f66438cb04396547b293a18511d/"
    "2024/20xxx/CVE-2024-20395.json"
)
CVE_49731 = (
    "https://github.com/CVEProject/cvelistV5/blob/12dc72f1a42ca45c8319d40b17e8ef5a5a47c462/"
    "cves/2025/49xxx/CVE-2025-49731.json"
)


def hits(feed: Feed, product_id: str, platform: Platform, version: str) -> set[str]:
    product = feed.product(product_id)
    assert product is not None
    match = Matcher(TODAY).match(product, platform, version)
    return {i for hit in match.hits for i in hit.advisory.ids}


def review(feed: Feed, product_id: str, platform: Platform, version: str) -> set[str]:
    product = feed.product(product_id)
    assert product is not None
    match = Matcher(TODAY).match(product, platform, version)
    return {i for advisory in match.review for i in advisory.ids}


@pytest.mark.parametrize(
    ("product", "platform", "version", "advisory", "applies", "source"),
    [
        # webex_meetings desktop windows < 40.4.12, and 40.6.0 alone: 40.4.12 .. 40.5 are a gap.
        ("webex-meetings", W, "40.4.11", "CVE-2020-3347", True, NVD_3347),
        ("webex-meetings", W, "40.4.12", "CVE-2020-3347", False, NVD_3347),
        ("webex-meetings", W, "40.6.0", "CVE-2020-3347", True, NVD_3347),
        ("webex-meetings", W, "40.6.1", "CVE-2020-3347", False, NVD_3347),
        ("webex-meetings", M, "40.4.11", "CVE-2020-3347", False, NVD_3347),  # Windows only
        # webex_meetings windows < 40.6.9, and 40.8.0 up to 40.8.9.
        ("webex-meetings", W, "40.6.8", "CVE-2020-3588", True, NVD_3588),
        ("webex-meetings", W, "40.7.0", "CVE-2020-3588", False, NVD_3588),
        ("webex-meetings", W, "40.8.0", "CVE-2020-3588", True, NVD_3588),
        ("webex-meetings", W, "40.8.9", "CVE-2020-3588", False, NVD_3588),
        # webex_teams 3.0.15485.0 on Windows is the only Webex Teams version NVD names.
        ("webex", W, "3.0.15485.0", "CVE-2021-1536", True, NVD_1536),
        ("webex", W, "3.0.15484.0", "CVE-2021-1536", False, NVD_1536),
        ("webex", W, "3.0.15645.0", "CVE-2021-1536", False, NVD_1536),
        ("webex", M, "3.0.15485.0", "CVE-2021-1536", False, NVD_1536),
        # webex_teams 44.6, 44.6.0.29928, 44.6.0.30148, 44.7, 44.7.0.30141, 44.7.0.30285.
        ("webex", L, "44.6.0.29928", "CVE-2025-20236", True, NVD_20236),
        ("webex", W, "44.7.0.30285", "CVE-2025-20236", True, NVD_20236),
        ("webex", M, "44.6.0.30148", "CVE-2025-20236", True, NVD_20236),
        ("webex", W, "43.4.0.25788", "CVE-2025-20236", False, NVD_20236),  # CVE_20395 names it
        ("webex", W, "46.9.0.35800", "CVE-2025-20236", False, NVD_20236),  # the feed's latest
        # NVD has no configuration for CVE-2024-20395; the CVE record lists 3.0.x and
        # 42.1 .. 43.4.0.25788 builds with defaultStatus unknown, so the one range is kept:
        # 40.12.0.17293 (a 39.x-41.x build the list does not name) is still flagged.
        ("webex", W, "40.12.0.17293", "CVE-2024-20395", True, CVE_20395),
        ("webex", M, "43.4.0.25788", "CVE-2024-20395", True, CVE_20395),
        ("webex", W, "44.6.0.29928", "CVE-2024-20395", False, CVE_20395),
    ],
)
def test_nvd_ranges(
    bundled_feed: Feed,
    product: str,
    platform: Platform,
    version: str,
    advisory: str,
    applies: bool,
    source: str,
) -> None:
    assert source.startswith("https://")
    assert (advisory in hits(bundled_feed, product, platform, version)) is applies


@pytest.mark.parametrize(
    ("advisory", "inside", "outside", "source"),
    [
        # webex_meetings <= 39.5.25, 40.1.0 .. 40.4.10, and 40.6.0 alone (a Webex site's tokens).
        ("CVE-2020-3361", "39.5.25", "40.5.0", NVD_3361),
        # 32 single webex_meetings versions, the web interface of the service.
        ("CVE-2023-20133", "43.5.0", "41.0.0", NVD_20133),
    ],
)
def test_service_side_advisories_keep_nvd_ranges_but_never_flag_a_client(
    bundled_feed: Feed, advisory: str, inside: str, outside: str, source: str
) -> None:
    product = bundled_feed.product("webex-meetings")
    assert product is not None
    (record,) = [a for a in product.advisories if advisory in a.ids]
    assert record.server_side, source
    assert record.range_known
    for version in (inside, outside):
        for platform in (W, M):
            assert advisory not in hits(bundled_feed, "webex-meetings", platform, version)


def test_service_side_single_versions_are_recorded_one_by_one(bundled_feed: Feed) -> None:
    """NVD lists 32 single versions for CVE-2023-20133 and no range between them."""
    product = bundled_feed.product("webex-meetings")
    assert product is not None
    (record,) = [a for a in product.advisories if "CVE-2023-20133" in a.ids]
    assert len(record.affected) == 32
    assert all(r.introduced == r.last_affected and not r.fixed for r in record.affected)
    listed = {r.introduced for r in record.affected}
    assert {"39.6", "40.4.10", "42.6", "43.5.0"} <= listed
    assert "41.1" not in listed  # nothing from 40.7 to 42.5 is listed (NVD_20133)


@pytest.mark.parametrize(
    ("product", "platform", "version", "advisory", "reviewed", "source"),
    [
        # NVD names only webex_meetings_online 1.3.43 and Webex Meetings Server 4.0.
        ("webex-meetings", W, "41.12.5.10", "CVE-2020-3116", True, NVD_3116),
        ("webex-meetings", M, "39.5.0", "cisco-sa-20200108-webex-centers-dos", True, NVD_3116),
        ("webex", W, "41.12.5.10", "CVE-2020-3116", False, NVD_3116),  # Webex Meetings only
        # NVD: webex_meetings_desktop "-" on Windows; webex_teams 3.0.15485.0 is ranged instead.
        ("webex-meetings", W, "41.12.5.10", "CVE-2021-1536", True, NVD_1536),
        ("webex-meetings", M, "41.12.5.10", "CVE-2021-1536", False, NVD_1536),
        # MSRC: Microsoft Teams for Desktop 1.0.0 lessThan "25060212643"; NVD: teams:-:windows.
        ("teams", W, "25060.205.3499.6849", "CVE-2025-49731", True, CVE_49731),
        ("teams", W, "26260.1701.5139.3736", "CVE-2025-49731", True, CVE_49731),
        ("teams", M, "25060.205.3499.6849", "CVE-2025-49731", False, CVE_49731),
    ],
)
def test_unranged_advisories_are_review_items(
    bundled_feed: Feed,
    product: str,
    platform: Platform,
    version: str,
    advisory: str,
    reviewed: bool,
    source: str,
) -> None:
    assert source.startswith("https://")
    assert (advisory in review(bundled_feed, product, platform, version)) is reviewed
    assert advisory not in hits(bundled_feed, product, platform, version)
