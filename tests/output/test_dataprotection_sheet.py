"""`vcaudit product ID` at 80 and 120 columns: the data-protection sheet wraps at spaces, and
a source's URL is never cut: one that does not fit after `read 2026-12-01:` goes on a line of
its own, indented, so only an address wider than the terminal passes its edge."""

from __future__ import annotations

import re

import pytest

from vcaudit.feed.load import load_feed
from vcaudit.models import Feed
from vcaudit.output.dataprotection import render_sheet

ANSI = re.compile(r"\x1b\[[0-9;]*m")
URL = re.compile(r"https?://\S+")


@pytest.fixture(scope="module")
def bundled() -> Feed:
    return load_feed()


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("product_id", ["zoom", "element", "skype"])
def test_lines_fit_and_addresses_stand_whole(bundled: Feed, width: int, product_id: str) -> None:
    product = bundled.product(product_id)
    assert product is not None
    text = render_sheet(product, False, width)
    lines = text.splitlines()
    for line in lines:
        if len(line) > width:
            # Only an address (in brackets, with its punctuation) wider than what is left.
            assert len(line.split()) == 1, line
            assert URL.search(line), line
    sources = [fact.source for fact in product.data_protection if fact.source]
    assert sources
    for source in sources:
        assert any(source in line.split() for line in lines), source
    for i, line in enumerate(lines):
        if re.match(r"  read \d{4}-", line) and not URL.search(line):
            # The date and its address: the address on the next line, further in.
            assert re.fullmatch(r"  read \d{4}-\d\d-\d\d:", line), line
            assert lines[i + 1].startswith("    http"), lines[i + 1]
    for url in URL.findall(" ".join(fact.note for fact in product.data_protection)):
        assert any(url in line for line in lines), url  # never folded in two
    assert ANSI.sub("", render_sheet(product, True, width)) == text


def test_a_short_address_stays_after_its_date(bundled: Feed) -> None:
    product = bundled.product("zoom")
    assert product is not None
    fact = next(f for f in product.data_protection if f.source and f.read)
    wide = render_sheet(product, False, 250).splitlines()
    assert f"  read {fact.read.isoformat()}: {fact.source}" in wide  # type: ignore[union-attr]
    narrow = render_sheet(product, False, 80).splitlines()
    assert all(len(line) <= 80 for line in narrow if "read 2" in line)
