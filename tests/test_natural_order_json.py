"""Naming a group's first hosts in natural order: the same names, in the same order, whether
the names sort as text (a fleet's `host-0000123`) or need a key each."""

from __future__ import annotations

import heapq

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vcaudit.advice import first_in_natural_order, hosts_named, natural_key

NAMES = st.sets(
    st.one_of(
        st.from_regex(r"\A(host-|PC|)[0-9]{3}\Z"),
        st.from_regex(r"\A[a-zA-Z0-9 .-]{0,8}\Z"),
        st.from_regex(r"\Ahost-[0-9]{1,4}\Z"),
        st.from_regex(r"\A[0-9]{2}\Z"),
        st.from_regex(r"\A(a1b-|a01b-|A1B-)[0-9]{2}\Z"),
    ),
    max_size=40,
)


@given(NAMES, st.integers(min_value=0, max_value=8))
@pytest.mark.slow
def test_the_first_names_are_the_natural_order_ones(names: set[str], most: int) -> None:
    assert first_in_natural_order(names, most) == heapq.nsmallest(most, names, key=natural_key)


@given(st.sets(st.integers(min_value=0, max_value=99_999), min_size=6, max_size=300))
def test_numbered_hosts_of_one_width(numbers: set[int]) -> None:
    names = {f"host-{n:05d}" for n in numbers}
    assert first_in_natural_order(names, 5) == [f"host-{n:05d}" for n in sorted(numbers)[:5]]


def test_names_of_one_length_that_sort_otherwise_as_text() -> None:
    """Same length, but not one stem with digits after it: text order would be wrong."""
    assert first_in_natural_order({"pc-10", "pc-9a", "pc-9b"}, 1) == ["pc-9a"]
    assert first_in_natural_order({"a2-10", "a10-1"}, 1) == ["a2-10"]
    assert first_in_natural_order({"Host-9", "host-1", "HOST-5"}, 2) == ["host-1", "HOST-5"]
    assert first_in_natural_order({"x-09", "x-10", "x-8a"}, 3) == ["x-8a", "x-09", "x-10"]


def test_a_step_names_five_hosts_and_counts_the_rest() -> None:
    names = {f"host-{i:07d}" for i in range(1000, 0, -1)}
    assert hosts_named(names) == (
        "host-0000001, host-0000002, host-0000003, host-0000004, host-0000005 +995 more"
    )
