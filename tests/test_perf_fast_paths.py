"""Fast paths of the 1M-row benchmark give what the plain code gives: the first hosts in text
order from a sample's bound, whether names sort as text checked without a string per name."""

from __future__ import annotations

import heapq
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from vcaudit.advice import _sort_as_text, first_as_text

DIGITS = "0123456789"


def _sort_as_text_plainly(names: set[str]) -> bool:
    """The definition: one length, and one text before the digits that end them."""
    return len(set(map(len, names))) == 1 and len({n.rstrip(DIGITS) for n in names}) == 1


NAMES = st.sets(
    st.one_of(
        st.from_regex(r"\A(host-|PC|h1-|1a|)[0-9]{3}\Z"),
        st.from_regex(r"\A(host-|x)[0-9a]{3}\Z"),
        st.from_regex(r"\A[a0-9-]{4}\Z"),
        st.from_regex(r"\A[0-9]{2}[a٣]?[0-9]\Z"),
    ),
    min_size=1,
    max_size=60,
)


@given(NAMES)
def test_names_sort_as_text_exactly_when_their_definition_says(names: set[str]) -> None:
    assert _sort_as_text(names) == _sort_as_text_plainly(names)


@given(st.sets(st.integers(min_value=0, max_value=9999), min_size=1, max_size=60))
def test_a_stem_and_digits_of_one_width_sort_as_text(numbers: set[int]) -> None:
    assert _sort_as_text({f"pc7-{n:04d}" for n in numbers})
    assert not _sort_as_text({f"pc7-{n:04d}" for n in numbers} | {"pc7-12a4"})
    assert not _sort_as_text({f"pc7-{n:04d}" for n in numbers} | {"pc8-0001"})


@settings(max_examples=40)
@given(st.randoms(use_true_random=False), st.integers(min_value=0, max_value=6))
def test_the_first_names_in_text_order_are_those_of_sorting_them_all(
    rng: random.Random, most: int
) -> None:
    # More names than a sample looks at (64 per name wanted), so that the bound is used.
    size = rng.choice([0, 1, 5, 100, 500, 3000])
    names = {"".join(rng.choices("ab0123456789-", k=rng.randint(0, 7))) for _ in range(size)}
    assert first_as_text(names, most) == heapq.nsmallest(most, names)
    assert first_as_text(list(names), most) == sorted(names)[:most]


def test_the_first_names_of_a_large_group_in_reverse_order() -> None:
    names = [f"host-{i:07d}" for i in range(100_000, 0, -1)]
    assert first_as_text(names, 5) == [f"host-{i:07d}" for i in range(1, 6)]
