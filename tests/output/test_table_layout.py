"""The layout pieces the table and the listings share: words wrap at spaces only, a word
wider than its room is shortened with an ellipsis, widths are counted in terminal cells."""

from __future__ import annotations

from vcaudit.output.layout import Column, cells, grid, hanging, plain, shorten, words, wrap


def test_cells_count_wide_characters_twice_and_invisible_ones_once() -> None:
    assert cells("pc-1") == 4
    assert cells("東京-pc") == 7
    assert cells("a:\u2060:b") == 5  # the word joiner terminal_safe puts between colons


def test_shorten_cuts_at_the_end_or_keeps_the_end() -> None:
    assert shorten("LAPTOP-7F3K2J9Q.corp.example.com", 40) == "LAPTOP-7F3K2J9Q.corp.example.com"
    assert shorten("LAPTOP-7F3K2J9Q.corp.example.com", 10) == "LAPTOP-7F…"
    assert shorten("inventories/corp/fleet.csv:12", 14, keep_end=True) == "…/fleet.csv:12"
    assert shorten("東京東京東京", 6) == "東京…"  # never half a wide character
    assert cells(shorten("東京東京東京", 6)) <= 6
    assert shorten("abc", 0) == ""


def test_wrap_breaks_between_words_only() -> None:
    text = "upgrade to 25122.1415.3698.6812 or later; cisco-sa-webex-app-client-rce-2024"
    lines = [plain(line) for line in wrap(words(text), 36, 34)]
    assert lines == [
        "upgrade to 25122.1415.3698.6812 or",
        "later;",
        "cisco-sa-webex-app-client-rce-2024",
    ]
    assert [plain(line) for line in wrap(words("a " + "x" * 50), 20)] == ["a", "x" * 19 + "…"]
    kept = [
        plain(line) for line in wrap(words("see https://example.com/" + "x" * 40), 20, cut=False)
    ]
    assert kept == ["see", "https://example.com/" + "x" * 40]


def test_hanging_items_indent_their_paragraphs_and_skip_empty_ones() -> None:
    head = [("critical", "")]
    lines = [plain(line) for line in hanging(head, [words("a b c d e f"), []], 16, 10, 2)]
    assert lines == ["critical  a b c", "            d e", "            f"]
    # A head as wide as the indent takes a line of its own.
    lines = [plain(line) for line in hanging([("webex-meetings", "")], [words("x")], 40, 8)]
    assert lines == ["webex-meetings", "        x"]
    assert [plain(line) for line in hanging(head, [[]], 40, 10)] == ["critical"]


def test_grid_fits_or_says_it_cannot() -> None:
    columns = (Column("Host"), Column("Count", right=True), Column("Why", least=12))
    rows = [
        [words("pc-1"), words("1,234"), words("behind the latest release")],
        [words("LAPTOP-7F3K2J9Q.corp.example.com"), words("7"), words("ok")],
    ]
    assert grid(columns, rows, 40) is None  # 32 + 5 + 12 + gaps do not fit
    lines = [plain(line) for line in grid(columns, rows, 60) or []]
    assert lines[0] == "Host                              Count  Why"
    assert lines[1] == "─" * 60
    assert lines[2] == "pc-1                              1,234  behind the latest"
    assert lines[3] == "                                         release"
    assert lines[4] == "LAPTOP-7F3K2J9Q.corp.example.com      7  ok"
    wide = [plain(line) for line in grid(columns, rows, 200) or []]
    assert wide[2] == "pc-1                              1,234  behind the latest release"


def test_grid_gives_a_column_that_lacks_little_all_it_lacks() -> None:
    """Room short of every cell on one line goes first to the columns that need little more
    (their cells then take one line), the rest to the others."""
    columns = (Column("Name"), Column("Why", least=12))
    rows = [[words("Zoom Workplace"), words("end of life 2025-05-05; CVE-2024-21411 +3")]]
    lines = [plain(line) for line in grid(columns, rows, 40) or []]
    assert lines[2] == "Zoom Workplace  end of life 2025-05-05;"
    assert lines[3] == "                CVE-2024-21411 +3"
