"""Identification patterns that cannot backtrack catastrophically.

The feed's `identify` rules are regular expressions matched with Python's backtracking
engine against names from inventories (at most 64 KiB each). A pattern such as `(a+)+$`,
`(a|a)*` or `(.*)*x` takes time exponential in the length of the name when it does not
match, and `.*.*.*x` time polynomial in it: one hostile feed (or one careless rule) would
hang every scan. So a pattern is refused when it is read unless it passes `problem`, a static
check of the shapes that backtrack without bound:

- a repeat whose body can match the empty string (`(a*)*`, `(a?)+`);
- a repeat inside a repeat where one run of characters can be split between the iterations
  in more than one way (`(a+)+`, `(\\w+\\s?)+`), while `\\d+(\\.\\d+)*` passes: each
  iteration starts with a dot the inner repeat cannot take;
- a repeat of alternatives that can start with the same character (`(a|a)*`, `(a|ab)+`);
- two repeats in a row, with only optional parts or parts the first can also match between
  them, that can take the same characters (`\\d+\\d+`, `.*.*`, `.*\\s.*`);
- back-references and conditionals (matching them is NP-hard in general), and patterns
  longer than `MAX_PATTERN_LENGTH`.

Characters are compared as sets over a sample alphabet (every Latin-1 character, each
character the pattern names with its neighbours and case forms, and representatives of
other scripts), case-insensitively (the rules are matched ignoring case), so the check errs
on the side of refusing.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterable, Iterator
from typing import Any

MAX_PATTERN_LENGTH = 1024
"""The longest identification pattern accepted (the bundled ones are under 100 characters)."""

_parser: Any = importlib.import_module("re._parser")
_c: Any = importlib.import_module("re._constants")

_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}
_EXTRA = "\u00e9\u00df\u0130\u0131\u017f\u212a\u212b\u0663\u00a0\u2028\u3000\u4e2d\U0001f600\uffff"
_SEPARATOR = 8
"""A word at least this long, that cannot overlap itself, between two repeats over the same
characters (`Zoom.*Communications.*`) bounds the ways to split a text to len/8: allowed."""
"""Representatives beyond Latin-1: letters with odd case forms, a non-ASCII digit, spaces."""

_CATEGORY = {
    _c.CATEGORY_DIGIT: re.compile(r"\d"),
    _c.CATEGORY_NOT_DIGIT: re.compile(r"\D"),
    _c.CATEGORY_SPACE: re.compile(r"\s"),
    _c.CATEGORY_NOT_SPACE: re.compile(r"\S"),
    _c.CATEGORY_WORD: re.compile(r"\w"),
    _c.CATEGORY_NOT_WORD: re.compile(r"\W"),
}

Chars = frozenset[str]


class Unsafe(ValueError):
    """A pattern that may backtrack catastrophically; the message says which part and why."""


@functools.lru_cache(maxsize=1024)
def problem(pattern: str) -> str | None:
    """Why `pattern` may backtrack catastrophically, or None when it cannot."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        return f"longer than {MAX_PATTERN_LENGTH} characters"
    try:
        tree = _parser.parse(pattern, re.IGNORECASE)
    except re.error as exc:
        return f"not a valid regular expression: {exc}"
    except (RecursionError, OverflowError):
        return "not a valid regular expression: nested too deeply"
    try:
        _Checker(_alphabet(pattern, tree)).sequence(list(tree))
    except Unsafe as exc:
        return (
            f"may take time exponential or polynomial in a name's length: {exc} "
            "(rewrite it so each character can be matched in one way only)"
        )
    except RecursionError:
        return "nested too deeply"
    return None


def _alphabet(pattern: str, tree: Any) -> tuple[str, ...]:
    chars = {chr(i) for i in range(256)} | set(_EXTRA)
    for code in _codes(tree):
        for near in (code - 1, code, code + 1):
            if 0 <= near <= 0x10FFFF:
                char = chr(near)
                chars.update((char, char.lower()[:1] or char, char.upper()[:1] or char))
    chars.update(pattern)
    return tuple(sorted(chars))


def _codes(items: Iterable[Any]) -> Iterator[int]:
    """Every code point a parsed pattern names (literals and range ends)."""
    for op, av in items:
        if op in (_c.LITERAL, _c.NOT_LITERAL):
            yield av
        elif op is _c.RANGE:
            yield from av
        elif op is _c.IN:
            yield from _codes(av)
        elif isinstance(av, tuple | list):
            for part in av:
                if isinstance(part, _parser.SubPattern):
                    yield from _codes(part)
                elif isinstance(part, list):
                    for sub in part:
                        if isinstance(sub, _parser.SubPattern):
                            yield from _codes(sub)


def _forms(char: str) -> tuple[str, ...]:
    return (char, char.lower(), char.upper(), char.casefold())


class _Checker:
    def __init__(self, alphabet: tuple[str, ...]) -> None:
        self.alphabet = alphabet
        self._atoms: dict[str, Chars | None] = {}

    # -- what a piece can match --------------------------------------------------------------

    def _set(self, test: Any) -> Chars:
        return frozenset(c for c in self.alphabet if any(test(f) for f in _forms(c)))

    def _atom(self, op: Any, av: Any) -> Chars | None:
        """The characters a one-character piece matches; None for other pieces."""
        if op not in (_c.LITERAL, _c.NOT_LITERAL, _c.ANY, _c.IN):
            return None
        key = f"{op} {av}"
        if key not in self._atoms:
            self._atoms[key] = self._atom_chars(op, av)
        return self._atoms[key]

    def _atom_chars(self, op: Any, av: Any) -> Chars | None:
        if op is _c.LITERAL:
            return self._set(lambda f: f == chr(av) or f == chr(av).lower())
        if op is _c.NOT_LITERAL:
            return self._set(lambda f: f != chr(av))
        if op is _c.ANY:
            return frozenset(self.alphabet)
        if op is _c.IN:
            return self._in(av)
        return None

    def _in(self, items: list[Any]) -> Chars:
        negate = bool(items) and items[0][0] is _c.NEGATE
        tests: list[Any] = []
        for op, av in items[1:] if negate else items:
            if op is _c.LITERAL:
                tests.append(functools.partial(str.__eq__, chr(av)))
            elif op is _c.RANGE:
                low, high = av
                tests.append(lambda f, lo=low, hi=high: len(f) == 1 and lo <= ord(f) <= hi)
            elif op is _c.CATEGORY and av in _CATEGORY:
                tests.append(lambda f, rx=_CATEGORY[av]: rx.fullmatch(f) is not None)
            else:
                tests.append(lambda f: True)  # anything else: assume it may match anything
        hit = self._set(lambda f: any(t(f) for t in tests))
        return frozenset(self.alphabet) - hit if negate else hit

    def nullable(self, items: list[Any]) -> bool:
        return all(self._nullable(op, av) for op, av in items)

    def _nullable(self, op: Any, av: Any) -> bool:
        if op in _REPEATS:
            return av[0] == 0 or self.nullable(list(av[2]))
        if op is _c.SUBPATTERN:
            return self.nullable(list(av[3]))
        if op is _c.ATOMIC_GROUP:
            return self.nullable(list(av))
        if op is _c.BRANCH:
            return any(self.nullable(list(b)) for b in av[1])
        return op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT)

    def first(self, items: list[Any]) -> Chars:
        """The characters a match of `items` can begin with."""
        out: set[str] = set()
        for op, av in items:
            out |= self._first(op, av)
            if not self._nullable(op, av):
                break
        return frozenset(out)

    def _first(self, op: Any, av: Any) -> Chars:
        atom = self._atom(op, av)
        if atom is not None:
            return atom
        if op in _REPEATS:
            return self.first(list(av[2])) if av[1] else frozenset()
        if op is _c.SUBPATTERN:
            return self.first(list(av[3]))
        if op is _c.ATOMIC_GROUP:
            return self.first(list(av))
        if op is _c.BRANCH:
            return frozenset().union(*(self.first(list(b)) for b in av[1]))
        return frozenset()

    def chars(self, items: list[Any]) -> Chars:
        """Every character a match of `items` can hold."""
        out: set[str] = set()
        for op, av in items:
            atom = self._atom(op, av)
            if atom is not None:
                out |= atom
            elif op in _REPEATS:
                out |= self.chars(list(av[2]))
            elif op is _c.SUBPATTERN:
                out |= self.chars(list(av[3]))
            elif op is _c.ATOMIC_GROUP:
                out |= self.chars(list(av))
            elif op is _c.BRANCH:
                for branch in av[1]:
                    out |= self.chars(list(branch))
        return frozenset(out)

    # -- the checks --------------------------------------------------------------------------

    def sequence(self, items: list[Any]) -> None:
        items = _inline_groups(items)
        for index, (op, av) in enumerate(items):
            self._piece(op, av)
            if op in _REPEATS and av[0] != av[1] and av[1] > 1:
                self._followers(list(av[2]), items[index + 1 :])

    def _piece(self, op: Any, av: Any) -> None:
        if op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
            raise Unsafe("a back-reference or conditional group")
        if op in _REPEATS:
            _low, high, body = av
            body = list(body)
            if high > 1:
                self._repeat(body)
            self.sequence(body)
        elif op is _c.SUBPATTERN:
            self.sequence(list(av[3]))
        elif op is _c.ATOMIC_GROUP:
            self.sequence(list(av))
        elif op is _c.BRANCH:
            for branch in av[1]:
                self.sequence(list(branch))
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            self.sequence(list(av[1]))

    def _repeat(self, body: list[Any]) -> None:
        if self.nullable(body):
            raise Unsafe("a repeated part that can match nothing")
        start = self.first(body)
        for variable, rest in _variable_parts(body):
            # What the optional or repeated part may or may not take can also start the next
            # iteration, and nothing after it keeps them apart: two ways to split one text.
            op, av = variable
            inner = list(av[2]) if op in _REPEATS else []
            if op in _REPEATS and av[1] > 1:
                takes = self.chars(inner)
            elif op in _REPEATS:
                takes = self.first(inner)
            elif any(self.nullable(list(branch)) for branch in av[1]):
                takes = self.first([variable])  # an alternation with an empty alternative
            else:
                continue  # alternatives that overlap are checked below
            if takes & start and self._absorbed(rest, self.chars([variable])):
                raise Unsafe(
                    "a repeat inside a repeat over the same characters"
                    if op in _REPEATS and av[1] > 1
                    else "a repeated part whose optional piece can also start the next repeat"
                )
        for branches in _all_branches(body):
            empty = sum(1 for branch in branches if self.nullable(list(branch)))
            if empty > 1:
                raise Unsafe("repeated alternatives that match the same text")
            seen: set[str] = set()
            for branch in branches:
                begins = self.first(list(branch))
                if begins & seen:
                    raise Unsafe("repeated alternatives that can begin with the same character")
                seen |= begins

    def _absorbed(self, rest: list[Any], chars: Chars) -> bool:
        """Whether each piece of `rest` can match nothing, or characters of `chars` (so a
        repeat over `chars` could have taken its text too)."""
        return all(self._nullable(op, av) or self.chars([(op, av)]) & chars for op, av in rest)

    def _followers(self, body: list[Any], after: list[Any]) -> None:
        """A repeat over `body` (of varying count) followed by `after`: may a later repeat
        of varying count take what it took, so that the text splits between them in many
        ways?"""
        chars = self.chars(body)
        single = len(body) == 1 and self._atom(*body[0]) is not None
        run = ""
        for op, av in after:
            if op in _REPEATS and av[0] != av[1] and av[1] > 1:
                inner = list(av[2])
                if self.first(inner) & chars and (single or chars <= self.chars(inner)):
                    raise Unsafe("two repeats in a row that can take the same characters")
            run = run + chr(av) if op is _c.LITERAL else ""
            if len(run) >= _SEPARATOR and not _overlaps_itself(run.casefold()):
                # The text splits only where this word occurs: at most len/8 places.
                return
            piece = self.chars([(op, av)])
            if not (self._nullable(op, av) or piece & chars):
                return


def _overlaps_itself(word: str) -> bool:
    return any(word[:size] == word[-size:] for size in range(1, len(word)))


def _inline_groups(items: list[Any]) -> list[Any]:
    """A sequence with its plain groups' contents spliced in (they match in sequence)."""
    out: list[Any] = []
    for op, av in items:
        if op is _c.SUBPATTERN and not av[1] and not av[2]:
            out.extend(_inline_groups(list(av[3])))
        else:
            out.append((op, av))
    return out


def _variable_parts(body: list[Any]) -> Iterator[tuple[Any, list[Any]]]:
    """Each part of `body` that may match texts of different lengths (a repeat, an optional
    piece, an alternation), with what follows it in its own sequence."""
    items = _inline_groups(body)
    for index, (op, av) in enumerate(items):
        if op in _REPEATS:
            if av[0] != av[1]:
                yield (op, av), items[index + 1 :]
            yield from _variable_parts(list(av[2]))
        elif op is _c.BRANCH:
            yield (op, av), items[index + 1 :]
            for branch in av[1]:
                yield from _variable_parts(list(branch))
        elif op is _c.SUBPATTERN:
            yield from _variable_parts(list(av[3]))
        elif op is _c.ATOMIC_GROUP:
            yield from _variable_parts(list(av))


def _all_branches(items: list[Any]) -> Iterator[list[Any]]:
    """The alternatives of every alternation in `items`, however deep."""
    for op, av in items:
        if op is _c.BRANCH:
            yield list(av[1])
            for branch in av[1]:
                yield from _all_branches(list(branch))
        elif op in _REPEATS:
            yield from _all_branches(list(av[2]))
        elif op is _c.SUBPATTERN:
            yield from _all_branches(list(av[3]))
        elif op is _c.ATOMIC_GROUP:
            yield from _all_branches(list(av))
