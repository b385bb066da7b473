"""`vcaudit products` and `vcaudit advisory` as a user runs them, piped with COLUMNS set: no
line wider than COLUMNS (but an address, kept whole to be copied), no id or version split."""

from __future__ import annotations

import pytest

from vcaudit.cli import main
from vcaudit.feed.load import load_feed


@pytest.mark.slow
@pytest.mark.parametrize("width", [80, 120, 200])
def test_products_fit_columns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], width: int
) -> None:
    monkeypatch.setenv("COLUMNS", str(width))
    assert main(["products"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(len(line) <= width for line in lines), max(lines, key=len)
    feed = load_feed()
    tokens = [p.id for p in feed.products]
    tokens += [release.version for p in feed.products for _, release in p.latest]
    for token in tokens:
        assert any(token in line for line in lines), token


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.slow
def test_an_advisory_fits_columns(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], width: int
) -> None:
    feed = load_feed()
    # The advisory with the longest notes: the most to wrap.
    advisory = max(
        (a for p in feed.products for a in p.advisories), key=lambda a: len(a.notes + a.title)
    )
    monkeypatch.setenv("COLUMNS", str(width))
    assert main(["advisory", advisory.id]) == 0
    lines = capsys.readouterr().out.splitlines()
    for line in lines:
        assert len(line) <= width or len(line.split()) == 1, line
    for token in (advisory.id, *advisory.aliases, *advisory.references):
        assert any(token in line for line in lines), token
    notes = advisory.notes.split()
    shown = " ".join(" ".join(lines).split())
    assert " ".join(notes) in shown
