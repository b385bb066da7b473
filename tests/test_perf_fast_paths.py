"""Fast paths of the 1M-row benchmark give what the plain code gives: whether names sort as
text, checked a column at a time rather than with a string per name."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vcaudit.advice import _sort_as_text

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
        st.from_regex(r"\A(ab|a\n|\n)[0-9\n]{1,3}\Z"),
        st.just("ab1\nab2"),
    ),
    min_size=1,
    max_size=60,
)


@given(NAMES)
@pytest.mark.slow
def test_names_sort_as_text_exactly_when_their_definition_says(names: set[str]) -> None:
    if any("\n" in name for name in names):
        # Never said of names that do not (they are then ranked by their natural keys).
        assert _sort_as_text_plainly(names) or not _sort_as_text(names)
    else:
        assert _sort_as_text(names) == _sort_as_text_plainly(names)


def test_a_name_with_a_line_break_is_not_two_names() -> None:
    assert not _sort_as_text({"ab1\nab2", "ab3\nab4", "ab5"})
    assert not _sort_as_text({"ab1\nab2", "ab3\nab4"})
    assert _sort_as_text({"ab1", "ab2", "ab5"})
    # Joined, these read as three names of three characters, "a\n" and a digit each.
    assert not _sort_as_text(["a\n1", "a", "2\na\n3"])


@given(st.sets(st.integers(min_value=0, max_value=9999), min_size=1, max_size=60))
def test_a_stem_and_digits_of_one_width_sort_as_text(numbers: set[int]) -> None:
    assert _sort_as_text({f"pc7-{n:04d}" for n in numbers})
    assert not _sort_as_text({f"pc7-{n:04d}" for n in numbers} | {"pc7-12a4"})
    assert not _sort_as_text({f"pc7-{n:04d}" for n in numbers} | {"pc8-0001"})
