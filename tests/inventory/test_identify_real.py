"""Identification of real inventory names, identifiers and versions, with the source each
was seen in, and the precedence between the signals a row carries.

Every real case names where the string was read (a registry row recorded by an admin, a
winget manifest, a Homebrew cask, Fleet's detection queries, a flathub manifest): the same
sources the feed's rules cite.
"""

# The tables of real names read best one case to a line, with its source: E501 is off here.
# ruff: noqa: E501

from __future__ import annotations

import pytest

from vcaudit.inventory.identify import Identified, Identifier, NotIdentified, name_variants
from vcaudit.models import (
    Feed,
    Identification,
    Lifecycle,
    NotClientRule,
    Platform,
    Product,
    VersionScheme,
    WindowsRule,
)

W, M, L = Platform.WINDOWS, Platform.MACOS, Platform.LINUX
WINSOFT = (
    "https://github.com/GabrielMoreau/winsoft-main/blob/362ce144ceafbc374b565aa489a107b7a3063244"
)
FLEET = "https://github.com/fleetdm/fleet/blob/main/ee/maintained-apps/outputs"
WINGET = "https://github.com/microsoft/winget-pkgs/blob/HEAD/manifests"
CASK = "https://github.com/Homebrew/homebrew-cask/blob/HEAD/Casks"

# (name, publisher, platform, version, expected product id, where it was seen)
CLIENTS = [
    # Zoom Workplace
    ("Zoom Workplace (64-bit)", "Zoom", W, "6.1.43316", "zoom", f"{WINSOFT}/zoom/README.md"),
    ("Zoom Workplace (64-bit)", "Zoom Video Communications, Inc.", W, "6.2.47507", "zoom",
     "a publisher column with Zoom's legal name (issue 13)"),
    ("Zoom (64-bit)", "Zoom", W, "5.17.38121", "zoom", "choco-bot gist bd3484257bbb"),
    ("Zoom", "Zoom Video Communications, Inc.", W, "5.12.2 (8964)", "zoom",
     f"{WINGET}/z/Zoom/Zoom/5.12.8964/Zoom.Zoom.installer.yaml"),
    ("zoom.us.app", "", M, "5.16.10 (25689)", "zoom", "osquery apps row (Loki post)"),
    ("zoom.us", "", M, "6.2.3 (47507)", "zoom", "Fleet names apps by bundle_name (queries.go)"),
    ("us.zoom.xos", "", M, "5.16.10.25689", "zoom", f"{FLEET}/zoom/darwin.json"),
    ("zoom", "", L, "6.2.11.4905", "zoom", "deb package zoom (zoom_amd64.deb)"),
    ("us.zoom.Zoom", "", L, "7.0.5.3034", "zoom", "https://github.com/flathub/us.zoom.Zoom"),
    ("zoom-client", "", L, "6.2.11.4905", "zoom", "https://github.com/ogra1/zoom-snap"),
    ("Zoom.Zoom", "", W, "6.2.3.47507", "zoom", f"{WINGET}/z/Zoom/Zoom"),
    # Zoom's other products never match the desktop client
    ("Zoom Client for VDI", "", W, "6.6.26890", "zoom-vdi",
     f"{WINGET}/z/Zoom/Zoom/VDI/6.6.26890/Zoom.Zoom.VDI.locale.en-US.yaml"),
    ("Zoom VDI Workplace", "Zoom Video Communications, Inc.", W, "6.6.26890", "zoom-vdi",
     f"{WINGET}/z/Zoom/Zoom/VDI/6.6.26890/Zoom.Zoom.VDI.locale.en-US.yaml"),
    ("us.zoom.ZoomPresence", "", M, "7.1.0.13088", "zoom-rooms", f"{FLEET}/zoom-rooms/darwin.json"),
    ("ZoomPresence.app", "", M, "7.1.0.13088", "zoom-rooms", f"{FLEET}/zoom-rooms/darwin.json"),
    ("Zoom Rooms", "Zoom Video Communications, Inc.", W, "6.3.10", "zoom-rooms",
     f"{FLEET}/zoom-rooms/windows.json"),
    # new Microsoft Teams
    ("Microsoft Teams", "Microsoft Corporation", W, "26149.1205.4798.6437", "teams",
     f"{FLEET}/microsoft-teams/windows.json"),
    ("MSTeams", "", W, "24215.1007.3082.1590", "teams", f"{WINSOFT}/msteams/README.md"),
    ("MSTeams_8wekyb3d8bbwe", "", W, "25060.205.3499.6849", "teams", "osquery programs.cpp"),
    ("Microsoft Teams (work or school).app", "", M, "24152.405.2925.6762", "teams",
     "https://github.com/Homebrew/homebrew-cask/pull/173648"),
    ("Microsoft Teams.app", "", M, "25079.2107.3576.1611", "teams", f"{CASK}/m/microsoft-teams.rb"),
    ("Microsoft Teams", "", M, "26120.3106.4725.800", "teams", f"{FLEET}/microsoft-teams/darwin.json"),
    ("com.microsoft.teams2", "", M, "26120.3106.4725.800", "teams", f"{FLEET}/microsoft-teams/darwin.json"),
    # classic Teams: the same name with 1.x versions, on Windows, macOS and Linux
    ("Microsoft Teams", "Microsoft Corporation", W, "1.6.00.376", "teams-classic",
     "https://github.com/microsoft/winget-pkgs/pull/95122"),
    ("Microsoft Teams", "", M, "1.6.00.4472", "teams-classic", "p1tsi blog (classic app on macOS)"),
    ("Microsoft Teams.app", "", M, "1.5.00.23861", "teams-classic", "pre-2023 cask microsoft-teams"),
    ("Microsoft Teams classic.app", "", M, "1.7.00.15956", "teams-classic",
     f"{CASK}/m/microsoft-teams@classic.rb"),
    ("com.microsoft.teams", "", M, "1.7.00.15956", "teams-classic", f"{CASK}/m/microsoft-teams@classic.rb"),
    ("teams", "", L, "1.5.00.23861", "teams-classic",
     "https://github.com/markhobson/ubuntu/blob/8cb002debf407a429d1d233ccada261306188e5f/teams.sh"),
    ("Teams Machine-Wide Installer", "Microsoft Corporation", W, "1.6.0.27573", "teams-classic",
     f"{WINSOFT}/msteams/README.md"),
    # Webex
    ("Webex", "Cisco Systems, Inc", W, "44.7.0.30285", "webex", f"{WINSOFT}/webex/README.md"),
    ("Cisco Webex", "Cisco Systems, Inc", W, "46.9.0.35800", "webex", f"{FLEET}/webex/windows.json"),
    ("Webex.app", "", M, "46.4.0.34620", "webex", f"{CASK}/w/webex.rb"),
    ("Cisco-Systems.Spark", "", M, "46.4.0.34620", "webex", f"{FLEET}/webex/darwin.json"),
    ("Cisco Webex Meetings", "", W, "41.12.5.10", "webex-meetings",
     f"{WINGET}/c/Cisco/CiscoWebexMeetings/41.12.5.10/Cisco.CiscoWebexMeetings.locale.en-US.yaml"),
    ("Cisco Webex Meetings.app", "", M, "41.12.5.10", "webex-meetings", f"{CASK}/w/webex-meetings.rb"),
    # Slack
    ("Slack", "Slack Technologies Inc.", W, "4.51.180", "slack", f"{FLEET}/slack/windows.json"),
    ("Slack (Machine - MSI)", "Slack Technologies Inc.", W, "4.41.98.0", "slack",
     "https://github.com/fleetdm/fleet/pull/37948"),
    ("Slack (Machine)", "", W, "4.41.98.0", "slack", "issue 13: an inventory's shortened name"),
    ("Slack.app", "", M, "4.40.128", "slack", f"{CASK}/s/slack.rb"),
    ("com.tinyspeck.slackmacgap", "", M, "4.40.128", "slack", f"{FLEET}/slack/darwin.json"),
    ("slack-desktop", "", L, "4.41.105", "slack", "packagecloud slack-desktop_<ver>_amd64.deb"),
    ("com.slack.Slack", "", L, "4.51.180", "slack", "https://github.com/flathub/com.slack.Slack"),
    # GoTo Meeting, Jitsi, RingCentral, Element, Skype
    ("GoToMeeting 10.19.0.19950", "LogMeIn, Inc.", W, "10.19.0.19950", "gotomeeting",
     f"{FLEET}/gotomeeting/windows.json"),
    ("Jitsi Meet 2026.6.0", "Jitsi Team", W, "2026.6.0", "jitsi-meet", f"{FLEET}/jitsi-meet/windows.json"),
    ("Jitsi Meet.app", "", M, "2024.5.0", "jitsi-meet", f"{CASK}/j/jitsi-meet.rb"),
    ("RingCentral", "RingCentral", W, "26.3.2012.1787", "ringcentral", f"{FLEET}/ringcentral/windows.json"),
    ("com.ringcentral.glip", "", M, "26.2.10", "ringcentral", f"{FLEET}/ringcentral/darwin.json"),
    ("Element.app", "", M, "1.12.27", "element", f"{CASK}/e/element.rb"),
    ("im.riot.Riot", "", L, "1.11.111", "element", "https://github.com/flathub/im.riot.Riot"),
    ("Skype version 8.118", "Skype Technologies S.A.", W, "8.118", "skype",
     f"{WINSOFT}/_obsolete/skype/README.md"),
    ("Skype.app", "", M, "8.101.0.212", "skype", f"{CASK}/s/skype.rb"),
    ("skypeforlinux", "", L, "8.65.0.78", "skype", "repo.skype.com"),
    # the Microsoft Store app, by its package and family name (Get-AppxPackage, Intune)
    ("Microsoft.SkypeApp", "Microsoft Corporation", W, "15.134.3202.0", "skype",
     "https://github.com/seochan2/setup/blob/main/windows/app-remove/Windows10-App-Remover.bat"),
    ("Microsoft.SkypeApp_kzf8qxf38zg5c", "", W, "15.134.3202.0", "skype",
     "Remove-AppxPackage Microsoft.SkypeApp_14.35.152.0_x64__kzf8qxf38zg5c in public scripts"),
]  # fmt: skip

# Names that look like a product but are an add-in or helper (nothing to audit), or another
# product the feed does not cover (unknown): never the desktop client.
NOT_CLIENTS = [
    ("Microsoft Teams Meeting Add-in for Microsoft Office", "Microsoft", W, "1.24.31301", True,
     f"{WINSOFT}/msteams/README.md"),
    ("Zoom Outlook Plugin", "Zoom", W, "6.2.5", True,
     f"{WINGET}/z/Zoom/ZoomOutlookPlugin/6.2.5/Zoom.ZoomOutlookPlugin.locale.en-US.yaml"),
    ("Zoom Rooms Installer", "Zoom Video Communications, Inc.", W, "6.3.10", True,
     f"{WINGET}/z/Zoom/ZoomRooms/6.3.10/Zoom.ZoomRooms.installer.yaml"),
    ("Cisco Webex Productivity Tools", "", W, "41.12.5.10", True,
     "https://github.com/sysadmin0815/Remove-CiscoWebexLowerThanVersion"),
    ("WebEx Productivity Tools", "", W, "33.0.1.66", True, "an Intune discovered-apps row"),
    ("Zoom VDI Universal Plugin", "", W, "6.6.27060", False,
     f"{WINGET}/z/Zoom/ZoomVDIUniversalPlugin/6.6.27060/Zoom.ZoomVDIUniversalPlugin.locale.en-US.yaml"),
    ("Skype for Business", "", W, "16.0.5452.1000", False, f"{CASK}/s/skype-for-business.rb"),
    ("Skype for Business.app", "", M, "16.31.0.11", False, f"{CASK}/s/skype-for-business.rb"),
    ("Slack Deployment Tool", "", W, "1.0.0", False, "issue 13"),
    ("GoTo Opener", "", W, "1.0.532", False, "issue 13"),
    ("RingCentral Meetings", "", W, "21.4.53875.1128", False, f"{CASK}/r/ringcentral-meetings.rb"),
    ("MicrosoftTeams_8wekyb3d8bbwe", "", W, "25153.907.3722.8959", False,
     f"{WINGET}/m/Microsoft/Teams/Free/25153.907.3722.8959/Microsoft.Teams.Free.installer.yaml"),
]  # fmt: skip


def product_of(
    identifier: Identifier, name: str, publisher: str, platform: Platform, version: str
) -> str | None:
    """The id of the product a row resolves to, or None."""
    found = identifier.identify(name, publisher, platform, version)
    return found.product.id if found is not None else None


@pytest.fixture(scope="module")
def identifier(bundled_feed: Feed) -> Identifier:
    return Identifier(bundled_feed.products)


@pytest.mark.parametrize(
    ("name", "publisher", "platform", "version", "expected", "source"),
    CLIENTS,
    ids=[f"{c[0]}|{c[3]}" for c in CLIENTS],
)
def test_real_client_names(
    identifier: Identifier,
    name: str,
    publisher: str,
    platform: Platform,
    version: str,
    expected: str,
    source: str,
) -> None:
    found = identifier.resolve(name, publisher, platform, version)
    assert isinstance(found, Identified), f"{name} ({source}): {found}"
    assert found.product.id == expected, source


@pytest.mark.parametrize(
    ("name", "publisher", "platform", "version", "helper", "source"),
    NOT_CLIENTS,
    ids=[c[0] for c in NOT_CLIENTS],
)
def test_add_ins_helpers_and_other_products_are_never_the_client(
    identifier: Identifier,
    name: str,
    publisher: str,
    platform: Platform,
    version: str,
    helper: bool,
    source: str,
) -> None:
    found = identifier.resolve(name, publisher, platform, version)
    assert isinstance(found, NotIdentified), f"{name} ({source}) taken for {found}"
    assert found.not_client is helper
    assert ("nothing to audit" in found.reason) is helper
    # Helpers are skipped from exports; other products are kept and reported as unknown.
    assert identifier.relevant(name, publisher) is not helper


def test_classic_and_new_teams_are_told_apart_by_version(identifier: Identifier) -> None:
    for platform in (W, M):
        old = identifier.identify(
            "Microsoft Teams", "Microsoft Corporation", platform, "1.7.00.33761"
        )
        new = identifier.identify(
            "Microsoft Teams", "Microsoft Corporation", platform, "24215.1007.3082.1590"
        )
        assert old is not None
        assert old.product.id == "teams-classic"
        assert new is not None
        assert new.product.id == "teams"


@pytest.mark.parametrize("version", ["5.0", "3.1.2", "1.6", "26149.1205"])
def test_a_version_that_fits_no_product_sharing_the_name_is_unknown(
    identifier: Identifier, version: str
) -> None:
    found = identifier.resolve("Microsoft Teams", "Microsoft Corporation", W, version)
    assert isinstance(found, NotIdentified)
    assert f"version {version!r}" in found.reason
    assert "Microsoft Teams classic (1.x.y or 1.x.y.z" in found.reason


def test_no_version_to_tell_shared_names_apart_is_unknown(identifier: Identifier) -> None:
    found = identifier.resolve("Microsoft Teams", "Microsoft Corporation", W, "")
    assert isinstance(found, NotIdentified)
    assert "could be Microsoft Teams or Microsoft Teams classic" in found.reason
    # An identifier only one product claims needs no version.
    assert product_of(identifier, "com.microsoft.teams2", "", M, "") == "teams"


def test_unknown_names_name_the_closest_rule(identifier: Identifier) -> None:
    found = identifier.resolve("Zoom Workplace Preview", "", W, "7.0.0")
    assert isinstance(found, NotIdentified)
    assert found.closest.startswith("Zoom Workplace (zoom)")
    assert "closest: Zoom Workplace (zoom)" in found.reason


def test_platform_from_the_name_alone(identifier: Identifier) -> None:
    assert identifier.platform_of("us.zoom.xos") is M
    assert identifier.platform_of("zoom.us.app") is M
    assert identifier.platform_of("Some Unknown.app") is M
    assert identifier.platform_of("slack-desktop") is L
    assert identifier.platform_of("MSTeams_8wekyb3d8bbwe") is W
    assert identifier.platform_of("Zoom Workplace (64-bit)") is W
    # A feed id, or a name that is also a deb package, says nothing about the platform.
    assert identifier.platform_of("zoom") is None
    assert identifier.platform_of("Unrelated") is None


def test_every_rule_in_the_bundled_feed_cites_a_source(bundled_feed: Feed) -> None:
    for product in bundled_feed.products:
        ident = product.identify
        for rule in (*ident.windows, *ident.names):
            assert rule.source.startswith("https://"), (product.id, rule.name)
        for nc in ident.not_clients:
            # A helper is skipped from the audit only on a source's word; without one the
            # name is reported (as another product) instead.
            assert nc.source.startswith("https://") or nc.other_product, (product.id, nc.name)


# -- precedence, on products made for the purpose ---------------------------------------------


def _product(
    product_id: str,
    name: str,
    *,
    windows: tuple[WindowsRule, ...] = (),
    names: tuple[WindowsRule, ...] = (),
    macos: tuple[str, ...] = (),
    versions: str = "",
    not_clients: tuple[NotClientRule, ...] = (),
    former: tuple[str, ...] = (),
) -> Product:
    return Product(
        id=product_id,
        name=name,
        vendor="Example",
        version_scheme=VersionScheme.DOTTED,
        identify=Identification(
            windows=windows, names=names, macos=macos, versions=versions, not_clients=not_clients
        ),
        lifecycle=Lifecycle(),
        minimum_versions=(),
        latest=(),
        releases=(),
        advisories=(),
        former_names=former,
    )


def test_precedence_exact_identifier_beats_a_name_rule() -> None:
    by_rule = _product("a", "Alpha", windows=(WindowsRule("com.example.x"),))
    by_id = _product("b", "Beta", macos=("com.example.x",))
    found = Identifier([by_rule, by_id]).identify("com.example.x", "", W, "1.0")
    assert found is not None
    assert found.product.id == "b"
    assert found.rule == "macOS bundle id 'com.example.x'"


def test_precedence_publisher_that_agrees_beats_one_that_differs() -> None:
    a = _product("a", "Alpha", windows=(WindowsRule("Chat", publisher="Alpha Inc"),))
    b = _product("b", "Beta", windows=(WindowsRule("Chat", publisher="Beta Ltd"),))
    ident = Identifier([a, b])
    found_a, found_b = (
        ident.identify("Chat", "Alpha Inc", W, "1"),
        ident.identify("Chat", "Beta Ltd", W, "1"),
    )
    assert found_a is not None
    assert found_a.product.id == "a"
    assert found_b is not None
    assert found_b.product.id == "b"
    # Another publisher still finds the product (first in the feed), and says so.
    found = ident.identify("Chat", "Gamma GmbH", W, "1")
    assert found is not None
    assert "differs" in found.note


def test_precedence_name_rule_beats_product_name_beats_stripped_name() -> None:
    a = _product("a", "Alpha Chat")
    b = _product("b", "Beta", windows=(WindowsRule("Alpha Chat"),))
    c = _product("c", "Gamma", former=("Alpha Chat (64-bit)",))
    ident = Identifier([a, b, c])
    assert product_of(ident, "Alpha Chat", "", W, "1") == "b"
    assert product_of(ident, "Alpha Chat", "", M, "1") == "a"
    # The name as reported wins over what is left once `(64-bit)` is taken off it.
    assert product_of(ident, "Alpha Chat (64-bit)", "", M, "1") == "c"


def test_a_windows_name_on_another_platform_comes_after_every_other_claim() -> None:
    a = _product("a", "Alpha", windows=(WindowsRule("Chat"),))
    b = _product("b", "Chat")
    ident = Identifier([a, b])
    assert product_of(ident, "Chat", "", W, "1") == "a"
    assert product_of(ident, "Chat", "", M, "1") == "b"  # the product name wins off Windows
    found = Identifier([a]).identify("Chat", "", M, "1")
    assert found is not None
    assert found.note == "a name seen on windows, here on macos"


def test_an_app_name_on_another_platform_finds_its_product_with_a_note(
    identifier: Identifier,
) -> None:
    found = identifier.identify("Microsoft Teams (work or school)", "", W, "24215.1007.3082.1590")
    assert found is not None
    assert found.product.id == "teams"
    assert found.note == "a name seen on macos, here on windows"


def test_rules_for_a_platform_apply_there_only() -> None:
    a = _product("a", "Alpha", names=(WindowsRule("Chat", platforms=frozenset({M})),))
    ident = Identifier([a])
    assert product_of(ident, "Chat", "", M, "1") == "a"
    assert ident.identify("Chat", "", W, "1") is None
    assert any("applies on macos only" in line for line in ident.explain("Chat", "", W, "1"))


def test_a_not_client_rule_yields_to_an_exact_identifier() -> None:
    a = _product(
        "a",
        "Alpha",
        macos=("Alpha Helper",),
        not_clients=(NotClientRule("Alpha Helper.*", "helper"),),
    )
    assert product_of(Identifier([a]), "Alpha Helper", "", M, "1") == "a"
    assert Identifier([a]).identify("Alpha Helper Tool", "", M, "1") is None


@pytest.mark.parametrize(
    ("name", "variants"),
    [
        ("zoom.us.app", ["zoom.us.app", "zoom.us"]),
        ("Skype™ 8.68", ["Skype™ 8.68", "Skype 8.68", "Skype"]),
        ("Zoom Workplace (64-bit)", ["Zoom Workplace (64-bit)", "Zoom Workplace"]),
        ("Slack (Machine)", ["Slack (Machine)", "Slack"]),
        ("GoToMeeting 10.19.0.19950", ["GoToMeeting 10.19.0.19950", "GoToMeeting"]),
        ("Skype version 8.133", ["Skype version 8.133", "Skype"]),
        # What tools add, in any order: a scope before a version, a version before a scope.
        ("Webex (Machine) 44.2.0", ["Webex (Machine) 44.2.0", "Webex (Machine)", "Webex"]),
        ("Zoom (User) 6.2.47507", ["Zoom (User) 6.2.47507", "Zoom (User)", "Zoom"]),
        (
            "Jitsi Meet 2026.6.0 (Machine)",
            ["Jitsi Meet 2026.6.0 (Machine)", "Jitsi Meet 2026.6.0", "Jitsi Meet"],
        ),
        (
            "Slack (Machine) 4.41.98 (x64)",
            [
                "Slack (Machine) 4.41.98 (x64)",
                "Slack (Machine) 4.41.98",
                "Slack (Machine)",
                "Slack",
            ],
        ),
        ("Plain", ["Plain"]),
    ],
)
def test_name_variants(name: str, variants: list[str]) -> None:
    assert name_variants(name) == variants


def test_an_overlong_name_or_publisher_is_reported_never_matched(identifier: Identifier) -> None:
    long_publisher = "Zoom " + "x" * 70_000
    found = identifier.resolve("Zoom Rooms", long_publisher, W, "6.3.10")
    assert isinstance(found, NotIdentified)
    assert "longer than 1,024 characters" in found.reason
    assert identifier.relevant("Zoom" + "a" * 5000, "")  # kept, to be reported as unknown
    assert identifier.platform_of("x" * 5000 + ".app") is None


def test_a_name_only_the_feed_id_gives_must_have_the_products_version_shape(
    identifier: Identifier,
) -> None:
    """`jitsi-meet` on Linux is also the Jitsi Meet server's Debian package (jitsi/
    jitsi-meet-debian-meta control-tmpl), versioned with a Debian revision: a dpkg row
    `jitsi-meet 2.0.5963-1` was taken for the desktop app and sent to upgrade to 2.3.0."""
    assert identifier.identify("jitsi-meet", "", L, "2.0.5963-1") is None
    server = identifier.resolve("jitsi-meet", "", L, "2.0.5963-1")
    assert isinstance(server, NotIdentified)
    assert server.reason.startswith(
        "version '2.0.5963-1' fits none of the products with this name: Jitsi Meet (X.Y.Z"
    )
    assert product_of(identifier, "jitsi-meet", "", L, "2026.6.0") == "jitsi-meet"
    assert product_of(identifier, "org.jitsi.jitsi-meet", "", L, "2026.6.0") == "jitsi-meet"
    # Its own identifiers keep naming it, whatever the version.
    assert product_of(identifier, "Jitsi Meet 2026.6.0", "Jitsi Team", W, "2026.6.0.1") == (
        "jitsi-meet"
    )


@pytest.mark.parametrize(
    ("name", "platform"),
    [
        # The name of the macOS bundle (cask microsoft-teams@classic) is also the Windows
        # DisplayName since classic Teams was renamed: no platform, so --platform decides (a
        # Windows registry export with --platform windows read it as macOS).
        ("Microsoft Teams classic", None),
        ("Microsoft Teams classic.app", M),
        ("Jitsi Meet", None),
        ("zoom.us", M),  # a bundle's name that is no product's name
        ("Zoom Workplace (64-bit)", W),
    ],
)
def test_the_platform_a_real_name_implies(
    identifier: Identifier, name: str, platform: Platform | None
) -> None:
    assert identifier.platform_of(name) is platform
