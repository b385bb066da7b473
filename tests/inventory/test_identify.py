"""Identification of inventory names through the feed's rules."""

from __future__ import annotations

import pytest

from vcaudit.inventory.identify import Identifier
from vcaudit.models import Feed


@pytest.mark.parametrize(
    ("name", "publisher", "expected"),
    [
        ("meetly", "", "meetly"),  # feed id
        ("MEETLY", "", "meetly"),
        ("Meetly Workplace (64-bit)", "Example", "meetly"),  # Windows DisplayName + publisher
        ("Meetly Workplace (64-bit)", "", "meetly"),  # hand-written CSV without publisher
        ("com.example.meetly", "", "meetly"),  # macOS bundle id
        ("com.example.Meetly", "", "meetly"),  # flatpak id
        ("Meetly Client", "", "meetly"),  # former name
        ("slackish (Machine - MSI)", "Slackish Inc.", "slackish"),
        ("Meetly Workplace (64-bit)", "Someone Else", "meetly"),  # a publisher never hides
        ("Meetly Outlook Plugin (64-bit)", "Example", None),  # excluded look-alike
        ("Meetly Workplace (16-bit)", "Example", None),
        ("Unrelated App", "", None),
    ],
)
def test_identify(test_feed: Feed, name: str, publisher: str, expected: str | None) -> None:
    found = Identifier(test_feed.products).identify(name, publisher)
    assert (found.product.id if found else None) == expected


def test_installer_rule_is_marked(test_feed: Feed) -> None:
    found = Identifier(test_feed.products).identify("Meetly Machine-Wide Installer")
    assert found is not None
    assert found.installer
