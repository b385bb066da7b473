"""Which rows of a whole machine's software list are kept: clients and look-alikes are,
helpers and add-ins are counted (once per row seen) and dropped, everything else dropped."""

from __future__ import annotations

from collections import Counter

from tests.inventory.test_identify_real import _product
from vcaudit.inventory.identify import MAX_NAME, Identifier
from vcaudit.models import NotClientRule, WindowsRule


def identifier() -> Identifier:
    alpha = _product(
        "alpha",
        "Alpha",
        windows=(WindowsRule("Alpha Meetings", publisher="Alpha Inc"),),
        macos=("Alpha Helper Exact",),
        not_clients=(NotClientRule("Alpha Helper.*", "helper"),),
    )
    return Identifier([alpha])


def test_helpers_are_counted_once_per_row_and_dropped() -> None:
    ident = identifier()
    assert ident.relevant("Alpha Helper Tool", "Alpha Inc") is False
    assert ident.relevant("Alpha Helper Tool", "") is False
    assert ident.relevant("Alpha Helper Other", "") is False
    assert ident.not_clients_seen == Counter(
        {"Alpha Helper Tool (helper of Alpha)": 2, "Alpha Helper Other (helper of Alpha)": 1}
    )


def test_an_exact_identifier_is_kept_even_when_a_helper_rule_matches() -> None:
    ident = identifier()
    assert ident.relevant("Alpha Helper Exact") is True
    assert ident.not_clients_seen == Counter()


def test_clients_are_kept_and_other_software_dropped() -> None:
    ident = identifier()
    assert ident.relevant("Alpha Meetings", "Alpha Inc") is True
    assert ident.relevant("  Alpha Meetings  ") is True
    assert ident.relevant("Spreadsheet Pro", "Office Corp") is False
    assert ident.not_clients_seen == Counter()


def test_an_overlong_name_or_publisher_is_kept_to_be_reported() -> None:
    ident = identifier()
    assert ident.relevant("x" * (MAX_NAME + 1)) is True
    assert ident.relevant("x", "y" * (MAX_NAME + 1)) is True
    assert ident.relevant("x" * MAX_NAME, "y" * MAX_NAME) is False
