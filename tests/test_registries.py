"""Every enum member that selects a plugin has one registered: a new member without its
plugin fails here, not in a user's run."""

from __future__ import annotations

import pytest

from vcaudit import versioning
from vcaudit.models import VersionScheme


@pytest.mark.parametrize("scheme", list(VersionScheme))
def test_every_version_scheme_has_a_scheme_object(scheme: VersionScheme) -> None:
    registered = versioning.SCHEMES[scheme]
    # A working object, not a placeholder: it reads a plain feed version of its vendor.
    parsed = registered.parse_feed("1.2.3")
    assert parsed is not None
    assert parsed.parts == (1, 2, 3)
    assert versioning.parse_feed_version(scheme, "1.2.3") == parsed


def test_schemes_registry_holds_exactly_the_enum() -> None:
    assert set(versioning.SCHEMES) == set(VersionScheme)
    assert versioning.Scheme is VersionScheme
