"""Identification on a feed built for the purpose: the rule each kind of name is identified
by (in the words `vcaudit identify` shows), every line of its explanation, which rows readers
keep, the platform a name implies, and each reason a row is not one of the feed's clients."""

from __future__ import annotations

from dataclasses import replace

import pytest

from vcaudit.inventory.identify import Identified, Identifier, NotIdentified, name_variants
from vcaudit.models import Feed, Identification, NotClientRule, Platform, Product, WindowsRule

W, M, L = Platform.WINDOWS, Platform.MACOS, Platform.LINUX

Shown = tuple[object, ...]


def product(feed: Feed, id: str, name: str, ident: Identification, *former: str) -> Product:
    base = feed.product("slackish")
    assert base is not None
    return replace(base, id=id, name=name, identify=ident, former_names=former)


@pytest.fixture
def identifier(test_feed: Feed) -> Identifier:
    zoomish = product(
        test_feed,
        "zoomish",
        "Zoomish Workplace",
        Identification(
            windows=(
                WindowsRule(r"Zoomish Workplace \((64-bit|32-bit)\)", publisher=r"Zoomish Inc\.?"),
                WindowsRule("Zoomish Machine-Wide Installer", installer=True),
                WindowsRule("Zoomish"),
            ),
            windows_exclude=(WindowsRule("Zoomish Outlook Plugin.*"),),
            names=(WindowsRule("Zoomish Meetings", platforms=frozenset({M, L})),),
            not_clients=(
                NotClientRule("Zoomish Add-in.*", what="Outlook add-in"),
                NotClientRule(
                    "Zoomish Rooms.*", what="a different product: Zoomish Rooms", other_product=True
                ),
                NotClientRule("Zoomish Helper", what="helper", publisher=r"Zoomish Inc\.?"),
            ),
            apps=("zoomish.us.app",),
            macos=("us.zoomish.xos",),
            deb=("zoomish-client",),
            msix=("Zoomish.Desktop_abc123",),
            winget=("Zoomish.Zoomish",),
            homebrew=("zoomish-cask",),
            chocolatey=("zoomish-choco",),
            rpm=("zoomish-rpm",),
            flatpak=("us.zoomish.Zoomish",),
            snap=("zoomish-snap",),
        ),
        "Zoomish Client",
    )
    classic = product(
        test_feed,
        "teamish-classic",
        "Teamish classic",
        Identification(
            windows=(WindowsRule("Teamish"),), versions=r"1\.\d+(\.\d+)*", versions_text="1.x"
        ),
    )
    new = product(
        test_feed,
        "teamish",
        "Teamish",
        Identification(windows=(WindowsRule("Teamish"),), versions=r"2\d{4}(\.\d+)*"),
    )
    return Identifier([zoomish, classic, new, product(test_feed, "go-meet", "Go Meet",
                                                      Identification())])  # fmt: skip


def shown(found: Identified | NotIdentified) -> Shown:
    if isinstance(found, Identified):
        return ("ID", found.product.id, found.installer, found.rule, found.note)
    return ("NOT", found.reason, found.not_client, found.closest)


RESOLVED: dict[tuple[str, str, Platform | None, str], Shown] = {
    ("zoomish", "", None, ""): ("ID", "zoomish", False, "feed id", ""),
    ("ZOOMISH", "", None, ""): ("ID", "zoomish", False, "feed id", ""),
    ("us.zoomish.xos", "", None, ""): (
        "ID",
        "zoomish",
        False,
        "macOS bundle id 'us.zoomish.xos'",
        "",
    ),
    ("zoomish.us.app", "", None, ""): ("ID", "zoomish", False, "macOS app 'zoomish.us.app'", ""),
    ("zoomish.us", "", None, ""): (
        "ID",
        "zoomish",
        False,
        "macOS app 'zoomish.us.app' (as 'zoomish.us')",
        "",
    ),
    ("zoomish.us", "", W, ""): (
        "ID",
        "zoomish",
        False,
        "macOS app 'zoomish.us.app' (as 'zoomish.us')",
        "a name seen on macos, here on windows",
    ),
    ("Zoomish.Desktop_abc123", "", None, ""): (
        "ID",
        "zoomish",
        False,
        "MSIX package 'Zoomish.Desktop_abc123'",
        "",
    ),
    ("zoomish-client", "", None, ""): ("ID", "zoomish", False, "deb package 'zoomish-client'", ""),
    ("Zoomish.Zoomish", "", None, ""): ("ID", "zoomish", False, "winget id 'Zoomish.Zoomish'", ""),
    ("zoomish-cask", "", None, ""): ("ID", "zoomish", False, "Homebrew cask 'zoomish-cask'", ""),
    ("zoomish-choco", "", None, ""): (
        "ID",
        "zoomish",
        False,
        "Chocolatey package 'zoomish-choco'",
        "",
    ),
    ("zoomish-rpm", "", None, ""): ("ID", "zoomish", False, "rpm package 'zoomish-rpm'", ""),
    ("us.zoomish.Zoomish", "", None, ""): (
        "ID",
        "zoomish",
        False,
        "Flatpak app id 'us.zoomish.Zoomish'",
        "",
    ),
    ("zoomish-snap", "", None, ""): ("ID", "zoomish", False, "snap 'zoomish-snap'", ""),
    ("Zoomish Workplace (64-bit)", "Zoomish Inc.", W, ""): (
        "ID",
        "zoomish",
        False,
        "name rule 'Zoomish Workplace \\((64-bit|32-bit)\\)', publisher 'Zoomish Inc\\.?'",
        "",
    ),
    ("zoomish workplace (64-bit)", "", W, ""): (
        "ID",
        "zoomish",
        False,
        "name rule 'Zoomish Workplace \\((64-bit|32-bit)\\)', publisher 'Zoomish Inc\\.?'",
        "",
    ),
    ("Zoomish Workplace (64-bit)", "Other Corp", W, ""): (
        "ID",
        "zoomish",
        False,
        "name rule 'Zoomish Workplace \\((64-bit|32-bit)\\)', publisher 'Zoomish Inc\\.?'",
        "the row's publisher 'Other Corp' differs from the rule's",
    ),
    ("Zoomish Workplace (64-bit)", "", M, ""): (
        "ID",
        "zoomish",
        False,
        "name rule 'Zoomish Workplace \\((64-bit|32-bit)\\)', publisher 'Zoomish Inc\\.?'",
        "a name seen on windows, here on macos",
    ),
    ("Zoomish Machine-Wide Installer", "", W, ""): (
        "ID",
        "zoomish",
        True,
        "name rule 'Zoomish Machine-Wide Installer'",
        "",
    ),
    ("Zoomish Workplace", "", None, ""): ("ID", "zoomish", False, "product name", ""),
    ("Zoomish Client", "", None, ""): ("ID", "zoomish", False, "product name", ""),
    ("Zoomish Meetings", "", M, ""): ("ID", "zoomish", False, "name rule 'Zoomish Meetings'", ""),
    ("Zoomish Meetings", "", W, ""): (
        "NOT",
        "not a product in the feed (closest: Zoomish Workplace (zoomish), by 'zoomish meetings')",
        False,
        "Zoomish Workplace (zoomish), by 'zoomish meetings'",
    ),
    ("Zoomish Meetings", "", None, ""): (
        "ID",
        "zoomish",
        False,
        "name rule 'Zoomish Meetings'",
        "",
    ),
    ("Zoomish Workplace™ (64-bit) 6.2.1", "", W, ""): (
        "ID",
        "zoomish",
        False,
        "product name (as 'Zoomish Workplace')",
        "",
    ),
    ("Zoomish Outlook Plugin 5", "", W, ""): ("NOT", "not a product in the feed", False, ""),
    ("Zoomish Add-in for Office", "", W, ""): (
        "NOT",
        "an Outlook add-in of Zoomish Workplace, not a client: nothing to audit",
        True,
        "",
    ),
    ("Zoomish Rooms Controller", "", W, ""): (
        "NOT",
        "a different product: Zoomish Rooms; the feed does not cover it",
        False,
        "",
    ),
    ("Zoomish Helper", "Zoomish Inc.", W, ""): (
        "NOT",
        "a helper of Zoomish Workplace, not a client: nothing to audit",
        True,
        "",
    ),
    ("Zoomish Helper", "Other", W, ""): (
        "NOT",
        "not a product in the feed (closest: Zoomish Workplace (zoomish), by 'zoomish client')",
        False,
        "Zoomish Workplace (zoomish), by 'zoomish client'",
    ),
    ("Zoomish Helper", "", W, ""): (
        "NOT",
        "a helper of Zoomish Workplace, not a client: nothing to audit",
        True,
        "",
    ),
    ("Zomish Workplace", "", None, ""): (
        "NOT",
        "not a product in the feed (closest: Zoomish Workplace (zoomish), by 'zoomish workplace')",
        False,
        "Zoomish Workplace (zoomish), by 'zoomish workplace'",
    ),
    ("Teamish", "", W, "1.6.00.376"): ("ID", "teamish-classic", False, "name rule 'Teamish'", ""),
    ("Teamish", "", W, "24001.1.2"): ("ID", "teamish", False, "feed id", ""),
    ("Teamish", "", W, ""): (
        "NOT",
        "could be Teamish or Teamish classic; the row has no version to tell them apart",
        False,
        "",
    ),
    ("Teamish", "", W, "3.0"): (
        "NOT",
        "version '3.0' fits none of the products with this name: Teamish "
        "(2\\d{4}(\\.\\d+)*); Teamish classic (1.x)",
        False,
        "",
    ),
    ("Zoomish", "Zoomish Inc.", W, ""): ("ID", "zoomish", False, "feed id", ""),
}


@pytest.mark.parametrize("row", list(RESOLVED))
def test_how_each_row_is_resolved(
    identifier: Identifier, row: tuple[str, str, Platform | None, str]
) -> None:
    assert shown(identifier.resolve(*row)) == RESOLVED[row]
    found = identifier.identify(*row)
    if RESOLVED[row][0] == "ID":
        assert found is not None
        assert found.product.id == RESOLVED[row][1]
    else:
        assert found is None


def test_a_row_is_resolved_once_whatever_the_spaces(identifier: Identifier) -> None:
    first = identifier.resolve(" Zoomish Workplace ", "", W)
    assert identifier.resolve(" Zoomish Workplace ", "", W) is first
    assert shown(first) == shown(identifier.resolve("Zoomish Workplace", "", W))
    assert identifier.resolve("Teamish", version=" 24001.1 ") == identifier.resolve(
        "Teamish", "", None, "24001.1"
    )
    # Without a publisher or a version the row is read as having none.
    assert shown(identifier.resolve("Teamish")) == (
        "NOT",
        "could be Teamish or Teamish classic; the row has no version to tell them apart",
        False,
        "",
    )
    assert identifier.identify("Zoomish Workplace (64-bit)") is not None


@pytest.mark.parametrize(("name", "length"), [("x", 1024), ("x", 1025)])
def test_the_longest_name_matched(identifier: Identifier, name: str, length: int) -> None:
    long = name * length
    found = identifier.resolve(long)
    publisher = identifier.resolve("Zoomish", long)
    assert isinstance(found, NotIdentified)
    if length > 1024:
        assert found.reason == "a name or publisher longer than 1,024 characters"
        assert shown(publisher)[1] == "a name or publisher longer than 1,024 characters"
        assert identifier.explain(long) == [
            "a name or publisher longer than 1,024 characters is not matched"
        ]
        assert identifier.explain("Zoomish", long) == identifier.explain(long)
        assert identifier.platform_of(long + ".app") is None
    else:
        assert found.reason == "not a product in the feed"
        assert isinstance(publisher, Identified)
        assert identifier.explain(long) == []
        assert identifier.platform_of(long[:-4] + ".app") is M


EXPLAINED: dict[tuple[str, str, Platform | None, str], list[str]] = {
    ("zoomish.us.app", "", None, ""): [
        "macOS app 'zoomish.us.app' of zoomish (precedence 0)",
        "macOS app 'zoomish.us.app' (as 'zoomish.us') of zoomish (precedence 12)",
    ],
    ("zoomish.us", "", W, ""): [
        "macOS app 'zoomish.us.app' (as 'zoomish.us') of zoomish (precedence 5); a name seen on "
        "macos, here on windows",
    ],
    ("Zoomish Workplace (64-bit)", "Zoomish Inc.", W, ""): [
        r"name rule 'Zoomish Workplace \((64-bit|32-bit)\)', publisher 'Zoomish Inc\.?' of "
        "zoomish (precedence 1)",
        "product name (as 'Zoomish Workplace') of zoomish (precedence 13)",
    ],
    ("zoomish workplace (64-bit)", "", W, ""): [
        r"name rule 'Zoomish Workplace \((64-bit|32-bit)\)', publisher 'Zoomish Inc\.?' of "
        "zoomish (precedence 2)",
        "product name (as 'zoomish workplace') of zoomish (precedence 13)",
    ],
    ("Zoomish Workplace (64-bit)", "Other Corp", W, ""): [
        r"name rule 'Zoomish Workplace \((64-bit|32-bit)\)', publisher 'Zoomish Inc\.?' of "
        "zoomish (precedence 4); the row's publisher 'Other Corp' differs from the rule's",
        "product name (as 'Zoomish Workplace') of zoomish (precedence 13)",
    ],
    ("Zoomish Workplace (64-bit)", "", M, ""): [
        r"name rule 'Zoomish Workplace \((64-bit|32-bit)\)', publisher 'Zoomish Inc\.?' of "
        "zoomish (precedence 5); a name seen on windows, here on macos",
        "product name (as 'Zoomish Workplace') of zoomish (precedence 13)",
    ],
    ("Zoomish Machine-Wide Installer", "", W, ""): [
        "name rule 'Zoomish Machine-Wide Installer' of zoomish (precedence 2)",
    ],
    ("Zoomish Workplace™ (64-bit) 6.2.1", "", W, ""): [
        "product name (as 'Zoomish Workplace') of zoomish (precedence 33)",
    ],
    ("Zoomish Meetings", "", W, ""): [
        "name rule 'Zoomish Meetings' of zoomish: applies on linux, macos only",
    ],
    ("Zoomish Meetings", "", None, ""): [
        "name rule 'Zoomish Meetings' of zoomish (precedence 2)",
    ],
    ("Zoomish Outlook Plugin 5", "", W, ""): [
        "excluded from zoomish by 'Zoomish Outlook Plugin.*'",
    ],
    ("Zoomish Add-in for Office", "", W, ""): [
        "name rule 'Zoomish Add-in.*' of zoomish: not a client (Outlook add-in)",
    ],
    ("Zoomish Rooms Controller", "", W, ""): [
        "name rule 'Zoomish Rooms.*' of zoomish: a different product (a different product: "
        "Zoomish Rooms)",
    ],
    ("Zoomish Helper", "Other", W, ""): [],
    ("Teamish", "", W, "1.6.00.376"): [
        r"feed id of teamish (precedence 0); the version does not fit (2\d{4}(\.\d+)*)",
        "name rule 'Teamish' of teamish-classic (precedence 2); the version fits",
        r"name rule 'Teamish' of teamish (precedence 2); the version does not fit "
        r"(2\d{4}(\.\d+)*)",
        r"product name of teamish (precedence 3); the version does not fit (2\d{4}(\.\d+)*)",
    ],
    ("Teamish", "", W, ""): [
        "feed id of teamish (precedence 0)",
        "name rule 'Teamish' of teamish-classic (precedence 2)",
        "name rule 'Teamish' of teamish (precedence 2)",
        "product name of teamish (precedence 3)",
    ],
    ("Teamish", "", None, "3.0"): [
        r"feed id of teamish (precedence 0); the version does not fit (2\d{4}(\.\d+)*)",
        "name rule 'Teamish' of teamish-classic (precedence 2); the version does not fit (1.x)",
        r"name rule 'Teamish' of teamish (precedence 2); the version does not fit "
        r"(2\d{4}(\.\d+)*)",
        r"product name of teamish (precedence 3); the version does not fit (2\d{4}(\.\d+)*)",
    ],
}


@pytest.mark.parametrize("row", list(EXPLAINED))
def test_every_line_of_an_explanation(
    identifier: Identifier, row: tuple[str, str, Platform | None, str]
) -> None:
    assert identifier.explain(*row) == EXPLAINED[row]


RELEVANT: list[tuple[str, str, bool]] = [
    ("Zoomish Add-in for Office", "", False),  # a helper: counted, not kept
    ("Zoomish Rooms Controller", "", True),  # another product: kept, reported as unknown
    ("Zoomish Helper", "Zoomish Inc.", False),
    ("Zoomish Helper", "Other", True),  # not that helper (another publisher), a Zoomish name
    ("zoomish.us", "", True),
    ("us.zoomish.xos", "", True),
    ("Zoomish Workplace (64-bit)", "Other", True),
    ("Zoomish Add-in", "", False),
    ("Some Go Meet plugin", "", True),  # a product's name, spaced
    ("GoMeet", "", True),
    ("Notepad", "", False),
    ("Notepad", "Go Corp", True),  # a product's word in the publisher
    ("x" * 1025, "", True),  # never matched: reported as unknown
    ("y", "z" * 1025, True),
    ("x" * 1024, "", False),
]


def test_which_rows_readers_keep(identifier: Identifier) -> None:
    for name, publisher, kept in RELEVANT:
        assert identifier.relevant(name, publisher) is kept, name[:40]
        assert identifier.relevant(f"  {name} ", publisher) is kept, name[:40]
    assert identifier.relevant("Zoomish Add-in") is False
    assert dict(identifier.not_clients_seen) == {
        "Zoomish Add-in for Office (Outlook add-in of Zoomish Workplace)": 2,
        "Zoomish Helper (helper of Zoomish Workplace)": 2,
        "Zoomish Add-in (Outlook add-in of Zoomish Workplace)": 3,
    }


def test_a_helper_an_exact_identifier_claims_is_kept(test_feed: Feed) -> None:
    helper = product(
        test_feed,
        "zoomish",
        "Zoomish",
        Identification(
            not_clients=(NotClientRule("zoomish-helper", what="helper"),),
            deb=("zoomish-helper",),
        ),
    )
    identifier = Identifier([helper])
    assert identifier.relevant("zoomish-helper")
    assert shown(identifier.resolve("zoomish-helper")) == (
        "ID",
        "zoomish",
        False,
        "deb package 'zoomish-helper'",
        "",
    )


@pytest.mark.parametrize(
    ("name", "platform"),
    [
        ("zoomish.us.app", M),
        ("Anything.APP", M),
        ("us.zoomish.xos", M),
        ("zoomish-client", L),
        ("zoomish", None),
        ("Zoomish Workplace (64-bit)", W),
        ("Zoomish Meetings", None),
        ("Zoomish.Desktop_abc123", W),
        ("Zoomish.Zoomish", W),
        (" zoomish.us ", M),
        ("nothing", None),
        ("Teamish", None),
    ],
)
def test_the_platform_a_name_implies(
    identifier: Identifier, name: str, platform: Platform | None
) -> None:
    assert identifier.platform_of(name) is platform


def test_name_variants_drop_what_tools_add() -> None:
    assert name_variants("Zoomish Workplace™ (64-bit) (Machine) 6.2.1.app") == [
        "Zoomish Workplace™ (64-bit) (Machine) 6.2.1.app",
        "Zoomish Workplace™ (64-bit) (Machine) 6.2.1",
        "Zoomish Workplace (64-bit) (Machine) 6.2.1",
        "Zoomish Workplace (Machine) 6.2.1",
        "Zoomish Workplace (Machine)",
        "Zoomish Workplace",
    ]
    assert name_variants("Zoomish  Workplace [x64]") == [
        "Zoomish  Workplace [x64]",
        "Zoomish Workplace [x64]",
        "Zoomish Workplace",
    ]
    assert name_variants("Zoomish.APP") == ["Zoomish.APP", "Zoomish"]
    assert name_variants("Zoomish") == ["Zoomish"]


def test_rows_without_a_publisher_or_version(identifier: Identifier) -> None:
    """The defaults stand for a row that reports neither."""
    found = identifier.identify("Zoomish Workplace (64-bit)")
    assert found is not None
    assert found.note == ""
    assert shown(identifier.resolve("Zoomish Workplace (64-bit)"))[4] == ""
    assert identifier.explain("Zoomish Workplace (64-bit)") == [
        r"name rule 'Zoomish Workplace \((64-bit|32-bit)\)', publisher 'Zoomish Inc\.?' of "
        "zoomish (precedence 2)",
        "product name (as 'Zoomish Workplace') of zoomish (precedence 13)",
    ]
    assert identifier.explain("Teamish") == [
        "feed id of teamish (precedence 0)",
        "name rule 'Teamish' of teamish-classic (precedence 2)",
        "name rule 'Teamish' of teamish (precedence 2)",
        "product name of teamish (precedence 3)",
    ]
    assert identifier.relevant("Zoomish Helper") is False  # a helper whatever its publisher


def test_a_publisher_of_the_longest_length_is_matched(identifier: Identifier) -> None:
    assert identifier.explain("Zoomish", "p" * 1024) == [
        "feed id of zoomish (precedence 0)",
        "name rule 'Zoomish' of zoomish (precedence 2)",
    ]


def test_a_rule_without_a_publisher_takes_any(identifier: Identifier) -> None:
    assert identifier.explain("Zoomish", "Zoomish Inc.", W) == [
        "feed id of zoomish (precedence 0)",
        "name rule 'Zoomish' of zoomish (precedence 2)",
    ]


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("zoomish 6.2.1", "feed id (as 'zoomish')"),
        (
            "Zoomish Machine-Wide Installer 1.2.3",
            "name rule 'Zoomish Machine-Wide Installer' (as 'Zoomish Machine-Wide Installer')",
        ),
    ],
)
def test_a_name_with_a_version_names_the_variant(
    identifier: Identifier, name: str, rule: str
) -> None:
    found = identifier.identify(name, "", W)
    assert found is not None
    assert found.rule == rule


def test_the_closest_name_is_written_as_the_rule_reads(identifier: Identifier) -> None:
    found = identifier.resolve("zoomish workplace (64")
    assert isinstance(found, NotIdentified)
    assert found.closest == "Zoomish Workplace (zoomish), by 'zoomish workplace (64-bit'"


def shared(feed: Feed, *shapes: str, exact: bool = False) -> Identifier:
    """Products named `Shared` by a rule, each with a version shape ("" for none); the first
    also has the exact id `shared` when `exact`."""
    products = [
        product(
            feed,
            "shared" if exact and i == 0 else f"p{i}",
            f"P{i}",
            Identification(windows=(WindowsRule("Shared"),), versions=shape),
        )
        for i, shape in enumerate(shapes)
    ]
    return Identifier(products)


def test_one_shaped_product_among_others_needs_no_version(test_feed: Feed) -> None:
    identifier = shared(test_feed, r"1\.\d+", "", exact=True)
    found = identifier.identify("Shared")
    assert found is not None
    assert found.product.id == "shared"
    assert identifier.identify("shared") is not None


def test_a_version_two_shapes_fit_takes_the_strongest_claim(test_feed: Feed) -> None:
    identifier = shared(test_feed, r"\d+(\.\d+)*", r"1\.\d+")
    found = identifier.identify("Shared", "", W, "1.5")
    assert found is not None
    assert found.product.id == "p0"
    assert shown(identifier.resolve("Shared", "", W)) == (
        "NOT",
        "could be P0 or P1; the row has no version to tell them apart",
        False,
        "",
    )


def test_an_excluded_name_is_not_the_product(test_feed: Feed) -> None:
    broad = product(
        test_feed,
        "zoomish",
        "Zoomish",
        Identification(
            windows=(WindowsRule("Zoomish.*"),),
            windows_exclude=(WindowsRule("Zoomish Outlook Plugin.*"),),
        ),
    )
    identifier = Identifier([broad])
    assert identifier.identify("Zoomish Meetings", "", W) is not None
    assert identifier.identify("Zoomish Outlook Plugin 5.1", "", W) is None
    assert identifier.explain("Zoomish Outlook Plugin", "", W) == [
        "excluded from zoomish by 'Zoomish Outlook Plugin.*'"
    ]


def test_a_helper_whose_name_starts_with_a_vowel(test_feed: Feed) -> None:
    addin = product(
        test_feed,
        "zoomish",
        "Zoomish",
        Identification(not_clients=(NotClientRule("Zoomish Add-in", what="add-in for Office"),)),
    )
    assert shown(Identifier([addin]).resolve("Zoomish Add-in")) == (
        "NOT",
        "an add-in for Office of Zoomish, not a client: nothing to audit",
        True,
        "",
    )


def test_keywords_without_any_spaced_name(test_feed: Feed) -> None:
    teamish = product(test_feed, "teamish", "Teamish", Identification())
    identifier = Identifier([teamish])
    assert identifier.relevant("Teamish Tools")
    assert not identifier.relevant("Notepad")


def test_the_platform_of_a_name_ruled_by_publisher_beside_a_product_name(
    test_feed: Feed,
) -> None:
    alpha = product(
        test_feed,
        "alpha",
        "Alpha Meet",
        Identification(windows=(WindowsRule("Alpha Meet", publisher="Alpha Inc"),)),
    )
    assert Identifier([alpha]).platform_of("Alpha Meet") is W
