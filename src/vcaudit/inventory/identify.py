"""Identification: which feed product is the thing an inventory reported?

Inventories name one product many ways: a feed id (`zoom`), a Windows DisplayName
(`Zoom Workplace (64-bit)`), a macOS app (`zoom.us.app`) or bundle id (`us.zoom.xos`), a
package name (`zoom`), an MSIX family name. One step weighs every signal a row has, in this
order of precedence (first the strongest):

1. an exact identifier: feed id, bundle id, app name, package or MSIX name, winget,
   Homebrew or Chocolatey id;
2. a name rule whose publisher agrees with the row's publisher;
3. a name rule without a publisher, or a row without one;
4. the product's name or a former name;
5. a name rule whose publisher differs from the row's: a publisher helps, it never hides a
   product (inventories spell vendors many ways);
6. a Windows DisplayName on another platform (`Zoom` in a hand-written list of Macs);
7. the same again for the name without what tools add to it: `.app`, an architecture
   suffix (`(64-bit)`), an install scope (`(Machine)`), a trailing version, trade marks.

Rules that name their platforms apply on those platforms only. Products that share a name (classic
and new Teams) each say what their versions look like; the version decides between them, and
a version that fits none of them is not identified, never forced onto one.

Names that look like a product but are an add-in or helper of it (`Microsoft Teams Meeting
Add-in for Microsoft Office`), or a different product the feed does not cover (`Skype for
Business`), are recognised as such. Results are cached per distinct row signature because a
fleet repeats the same few hundred names.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from vcaudit.models import NotClientRule, Platform, Product, WindowsRule

EXACT_KINDS: dict[str, tuple[str, Platform | None]] = {
    "apps": ("macOS app", Platform.MACOS),
    "macos": ("macOS bundle id", Platform.MACOS),
    "msix": ("MSIX package", Platform.WINDOWS),
    "deb": ("deb package", Platform.LINUX),
    "rpm": ("rpm package", Platform.LINUX),
    "flatpak": ("Flatpak app id", Platform.LINUX),
    "snap": ("snap", Platform.LINUX),
    "winget": ("winget id", Platform.WINDOWS),
    "homebrew": ("Homebrew cask", Platform.MACOS),
    "chocolatey": ("Chocolatey package", Platform.WINDOWS),
}
"""Each exact identifier kind: how it is named in messages, and the platform it implies."""

# Precedence levels (lower wins); a name variant adds _VARIANT_STEP per step away from the
# name as reported.
_EXACT, _RULE_PUBLISHER, _RULE, _PRODUCT_NAME, _RULE_OTHER_PUBLISHER, _RULE_ELSEWHERE = range(6)
_VARIANT_STEP = 10


@dataclass(frozen=True, slots=True)
class Identified:
    """The product an inventory row resolved to, and by which rule."""

    product: Product
    installer: bool = False
    """The row is a deployment helper (e.g. a machine-wide installer), not the client."""
    rule: str = ""
    """The rule that decided, in words ("macOS bundle id 'us.zoom.xos'")."""
    note: str = ""
    """Something worth knowing about the match (a publisher that differs from the rule's)."""


@dataclass(frozen=True, slots=True)
class NotIdentified:
    """Why a row that looks like a conferencing product is not one of the feed's clients."""

    reason: str
    """One sentence for the report."""
    not_client: bool = False
    """An add-in or helper of a product: nothing to audit."""
    closest: str = ""
    """The nearest product rule, for an unrecognised name ("" when none is near)."""


@dataclass(frozen=True, slots=True)
class _Claim:
    product: Product
    level: int
    how: str
    installer: bool = False
    platform: Platform | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class _Rule:
    product: Product
    rule: WindowsRule
    name: re.Pattern[str]
    publisher: re.Pattern[str] | None
    platforms: frozenset[Platform]
    only: bool
    """The rule applies on `platforms` only; else it was merely seen there (a Windows
    DisplayName such as `Zoom` is also what people write for Zoom on a Mac)."""

    def describe(self) -> str:
        # Patterns are shown as written in the feed (a repr would double their backslashes).
        publisher = f", publisher '{self.rule.publisher}'" if self.rule.publisher else ""
        return f"name rule '{self.rule.name}'{publisher}"


@dataclass(frozen=True, slots=True)
class _NotClient:
    product: Product
    rule: NotClientRule
    name: re.Pattern[str]
    publisher: re.Pattern[str] | None


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_APP_SUFFIX = re.compile(r"\.app$", re.IGNORECASE)
_MARKS = re.compile(r"[™®©]")
_ARCH = re.compile(
    r"\s*[(\[]\s*(?:x64|x86|x86_64|amd64|arm64|aarch64|win64|win32|64[- ]?bit|32[- ]?bit)\s*[)\]]"
    r"|\s+(?:x64|x86|arm64|64[- ]?bit|32[- ]?bit)$",
    re.IGNORECASE,
)
_SCOPE = re.compile(
    r"\s*\((?:machine|user|per[- ]user|system|all users|machine - msi|msi|machine-wide)\)$",
    re.IGNORECASE,
)
_TRAILING_VERSION = re.compile(r"\s+(?:version\s+|v)?\d+(?:[.\-]\d+)+\w*$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
MAX_NAME = 1024
"""No product name or publisher is longer: a longer one is never matched against the rules
(their patterns would take time that grows with its length), only reported."""


def name_variants(name: str) -> list[str]:
    """The name as reported, then without what inventory tools add to it: `.app`, trade
    marks, an architecture suffix, an install scope (`(Machine)`), a trailing version (each
    step keeps the previous ones). The steps repeat while they take something away, so the
    order tools add these in does not matter (`Webex (Machine) 44.2.0` gives `Webex`)."""
    variants = [name]
    current = name
    while True:
        before = current
        for pattern in (_APP_SUFFIX, _MARKS, _ARCH, _SCOPE, _TRAILING_VERSION):
            current = _SPACES.sub(" ", pattern.sub("", current)).strip()
            if current and current not in variants:
                variants.append(current)
        if current == before or not current:
            return variants


_APP_HOW = EXACT_KINDS["apps"][0] + " "
"""How a row named by a macOS app bundle's name is said to be identified (`macOS app ...`)."""
_PRODUCT_NAME_HOW = "product name"
"""How a row named by a product's own name is said to be identified."""
_FEED_ID = "feed id"
"""How a row named by a product's feed id (`jitsi-meet`) is said to be identified."""


class Identifier:
    """Resolves inventory rows to feed products."""

    def __init__(self, products: Iterable[Product]) -> None:
        self.products = tuple(products)
        self._exact: dict[str, list[tuple[Product, str, Platform | None]]] = {}
        self._names: dict[str, list[Product]] = {}
        self._app_names: dict[str, list[tuple[Product, str, Platform | None]]] = {}
        self._rules: list[_Rule] = []
        self._excludes: dict[str, list[_Rule]] = {}
        self._not_clients: list[_NotClient] = []
        self._shapes: dict[str, re.Pattern[str]] = {}
        self._cache: dict[tuple[str, str, Platform | None, str], Identified | NotIdentified] = {}
        self._relevant: dict[tuple[str, str], tuple[bool, str]] = {}
        self.not_clients_seen: Counter[str] = Counter()
        """Rows `relevant` turned away as add-ins or helpers, by what they are."""
        for product in self.products:
            ident = product.identify
            self._exact.setdefault(product.id.casefold(), []).append((product, _FEED_ID, None))
            for kind, (label, platform) in EXACT_KINDS.items():
                for value in getattr(ident, kind):
                    claim = (product, f"{label} {value!r}", platform)
                    key = value.casefold()
                    if kind == "apps":
                        # `zoom.us.app` is exact; the bare `zoom.us` (as Fleet reports apps) is a
                        # name, which on Windows may belong to another product's rule.
                        key = key.removesuffix(".app")
                        self._app_names.setdefault(key, []).append(claim)
                        key += ".app"
                    self._exact.setdefault(key, []).append(claim)
            for name in (product.name, *product.former_names):
                self._names.setdefault(name.casefold(), []).append(product)
            for rule in ident.windows:
                self._rules.append(_rule(product, rule, frozenset({Platform.WINDOWS}), only=False))
            for rule in ident.names:
                self._rules.append(_rule(product, rule, rule.platforms, only=True))
            self._excludes[product.id] = [
                _rule(product, r, frozenset()) for r in ident.windows_exclude
            ]
            for nc in ident.not_clients:
                self._not_clients.append(
                    _NotClient(
                        product,
                        nc,
                        _compile(nc.name),
                        _compile(nc.publisher) if nc.publisher else None,
                    )
                )
            if ident.versions:
                self._shapes[product.id] = re.compile(ident.versions)
        self._keywords = _keyword_pattern(self.products)
        self._known = _known_names(self.products)

    # -- what readers ask -------------------------------------------------------------------

    def relevant(self, name: str, publisher: str = "") -> bool:
        """Whether an exported row is, or looks like, a conferencing client.

        Rows some product claims are kept; so are rows whose name or publisher carries a
        product's keyword (a Zoom plugin, an unknown Webex variant): those are reported as
        unknown rather than dropped. Add-ins and helpers are not clients: they are counted in
        `not_clients_seen`. Everything else (the rest of a machine's software) is not kept.
        """
        key = (name, publisher)
        found = self._relevant.get(key)
        if found is None:
            # Decided once per distinct row: an export repeats the same programs on every
            # host, and each row is asked about once or twice.
            found = self._relevant[key] = self._decide_relevant(name.strip(), publisher.strip())
        keep, helper = found
        if helper:
            self.not_clients_seen[helper] += 1
        return keep

    def _decide_relevant(self, name: str, publisher: str) -> tuple[bool, str]:
        """(keep the row, the helper it is when it is one)."""
        if len(name) > MAX_NAME or len(publisher) > MAX_NAME:
            return True, ""  # reported as unknown, never matched
        helper = self._not_client(name, publisher)
        if helper is not None and not helper.rule.other_product and not self._exact_claims(name):
            return False, f"{name} ({helper.rule.what} of {helper.product.name})"
        if helper is not None or self._claims(name, publisher, None):
            return True, ""
        return bool(self._keywords.search(f"{name} {publisher}")), ""

    def platform_of(self, name: str) -> Platform | None:
        """The platform a name implies on its own (a bundle id, an `.app`, a deb package, a
        Windows DisplayName), or None when it could be several."""
        name = name.strip()
        if len(name) > MAX_NAME:
            return None
        if name.casefold().endswith(".app"):
            return Platform.MACOS  # an application bundle, whoever's it is
        claims = self._claims(name, "", None)
        if not claims:
            return None
        # What the strongest claims say: `zoom` is a feed id and a deb package, so no one platform.
        top = [c for c in claims if c.level == claims[0].level]
        if all(c.how.startswith(_APP_HOW) for c in top) and any(
            c.how == _PRODUCT_NAME_HOW for c in claims
        ):
            # An app bundle's name without `.app` that is also the product's own name says no
            # platform: `Microsoft Teams classic` is the Windows DisplayName as well.
            return None
        found = {c.platform for c in top}
        return found.pop() if len(found) == 1 else None

    def identify(
        self, name: str, publisher: str = "", platform: Platform | None = None, version: str = ""
    ) -> Identified | None:
        """The product the row stands for, or None."""
        found = self.resolve(name, publisher, platform, version)
        return found if isinstance(found, Identified) else None

    def resolve(
        self, name: str, publisher: str = "", platform: Platform | None = None, version: str = ""
    ) -> Identified | NotIdentified:
        """The product the row stands for, or why it is none of them."""
        key = (name, publisher, platform, version)
        found = self._cache.get(key)
        if found is None:
            found = self._resolve(name.strip(), publisher.strip(), platform, version.strip())
            self._cache[key] = found
        return found

    def explain(
        self, name: str, publisher: str = "", platform: Platform | None = None, version: str = ""
    ) -> list[str]:
        """Every rule that claims the row and every product that shares its name, and why
        each was taken or not: for `vcaudit identify`."""
        name, publisher, version = name.strip(), publisher.strip(), version.strip()
        if len(name) > MAX_NAME or len(publisher) > MAX_NAME:
            return [f"a name or publisher longer than {MAX_NAME:,} characters is not matched"]
        lines: list[str] = []
        helper = self._not_client(name, publisher)
        if helper is not None:
            lines.append(
                f"name rule '{helper.rule.name}' of {helper.product.id}: "
                f"{'a different product' if helper.rule.other_product else 'not a client'}"
                f" ({helper.rule.what})"
            )
        claims = self._claims(name, publisher, platform)
        for claim in claims:
            lines.append(
                f"{claim.how} of {claim.product.id} (precedence {claim.level})"
                + self._fit_text(claim.product, version)
                + (f"; {claim.note}" if claim.note else "")
            )
        if platform is not None:
            for rule in self._rules:
                if (
                    rule.only
                    and rule.platforms
                    and platform not in rule.platforms
                    and _any_name(rule, name)
                ):
                    lines.append(
                        f"{rule.describe()} of {rule.product.id}: applies on "
                        f"{', '.join(sorted(p.value for p in rule.platforms))} only"
                    )
        for product_id, rules in self._excludes.items():
            for rule in rules:
                if _any_name(rule, name):
                    lines.append(f"excluded from {product_id} by '{rule.rule.name}'")
        return lines

    # -- how ---------------------------------------------------------------------------------

    def _fit_text(self, product: Product, version: str) -> str:
        shape = self._shapes.get(product.id)
        if not version or shape is None:
            return ""
        if shape.fullmatch(version):
            return "; the version fits"
        return f"; the version does not fit ({product.identify.versions_text or shape.pattern})"

    def _not_client(self, name: str, publisher: str) -> _NotClient | None:
        for variant in name_variants(name):
            for nc in self._not_clients:
                if nc.name.fullmatch(variant) and (
                    nc.publisher is None or not publisher or nc.publisher.fullmatch(publisher)
                ):
                    return nc
        return None

    def _exact_claims(self, name: str) -> list[_Claim]:
        return [
            _Claim(product, _EXACT, how, platform=platform)
            for product, how, platform in self._exact.get(name.casefold(), ())
        ]

    def _claims(self, name: str, publisher: str, platform: Platform | None) -> list[_Claim]:
        """Every product that claims the row, with the precedence of its best claim."""
        claims: list[_Claim] = []
        for step, variant in enumerate(name_variants(name)):
            base = step * _VARIANT_STEP
            folded = variant.casefold()
            for product, how, implied in self._exact.get(folded, ()):
                how = f"{how} (as {variant!r})" if variant != name else how
                claims.append(_Claim(product, base + _EXACT, how, platform=implied))
            for product, how, implied in self._app_names.get(folded, ()):
                how = f"{how} (as {variant!r})"
                if platform in (None, Platform.MACOS):
                    claims.append(_Claim(product, base + _RULE, how, platform=implied))
                else:  # the app's name is often the product's name everywhere
                    note = f"a name seen on macos, here on {platform.value}"
                    claims.append(_Claim(product, base + _RULE_ELSEWHERE, how, note=note))
            for rule in self._rules:
                elsewhere = bool(rule.platforms) and platform is not None
                elsewhere = elsewhere and platform not in rule.platforms
                if (elsewhere and rule.only) or not rule.name.fullmatch(variant):
                    continue
                implied = next(iter(rule.platforms)) if len(rule.platforms) == 1 else None
                how = rule.describe() + (f" (as {variant!r})" if variant != name else "")
                if elsewhere and platform is not None:
                    seen = ", ".join(sorted(p.value for p in rule.platforms))
                    level = _RULE_ELSEWHERE
                    note = f"a name seen on {seen}, here on {platform.value}"
                elif rule.publisher is None or not publisher:
                    level, note = _RULE, ""
                elif rule.publisher.fullmatch(publisher):
                    level, note = _RULE_PUBLISHER, ""
                else:
                    level = _RULE_OTHER_PUBLISHER
                    note = f"the row's publisher {publisher!r} differs from the rule's"
                claims.append(
                    _Claim(rule.product, base + level, how, rule.rule.installer, implied, note)
                )
            for product in self._names.get(folded, ()):
                how = _PRODUCT_NAME_HOW + (f" (as {variant!r})" if variant != name else "")
                claims.append(_Claim(product, base + _PRODUCT_NAME, how))
        kept = [c for c in claims if not self._excluded(c.product, name)]
        kept.sort(key=lambda c: c.level)
        return kept

    def _excluded(self, product: Product, name: str) -> bool:
        """Whether `product` says this name is a look-alike, not itself (e.g. an add-in)."""
        return any(_any_name(rule, name) for rule in self._excludes.get(product.id, ()))

    def _fits(self, product: Product, version: str) -> bool:
        shape = self._shapes.get(product.id)
        return shape is None or not version or shape.fullmatch(version) is not None

    def _resolve(
        self, name: str, publisher: str, platform: Platform | None, version: str
    ) -> Identified | NotIdentified:
        if len(name) > MAX_NAME or len(publisher) > MAX_NAME:
            return NotIdentified(f"a name or publisher longer than {MAX_NAME:,} characters")
        claims = self._claims(name, publisher, platform)
        helper = self._not_client(name, publisher)
        if helper is not None and not any(c.level == _EXACT for c in claims):
            return _not_client_verdict(helper)
        if not claims:
            closest = self._closest(name)
            hint = f" (closest: {closest})" if closest else ""
            return NotIdentified(f"not a product in the feed{hint}", closest=closest)
        if len({c.product.id for c in claims}) == 1:
            # No other product claims the name: its version shape has nothing to tell apart
            # (an end-of-life client with an odd version is still that client)...
            best = claims[0]
            weak = all(
                c.how.startswith(_FEED_ID) or c.platform not in (None, platform) for c in claims
            )
            if weak and platform is not None and not self._fits(best.product, version):
                # ...unless only the feed's own id, or an identifier of another platform, names
                # it: `jitsi-meet` on Linux is also the Jitsi server's Debian package
                # (2.0.5963-1, a version of another shape), not the desktop app's cask.
                return NotIdentified(_misfit(version, claims))
            return Identified(best.product, best.installer, best.how, best.note)
        fitting = [c for c in claims if self._fits(c.product, version)]
        if not fitting:
            return NotIdentified(_misfit(version, claims))
        best = fitting[0]
        shaped = {c.product.name for c in fitting if c.product.id in self._shapes}
        if not version and len(shaped) > 1:
            return NotIdentified(
                f"could be {' or '.join(sorted(shaped))}; the row has no version to tell them apart"
            )
        return Identified(best.product, best.installer, best.how, best.note)

    def _closest(self, name: str) -> str:
        folded = name_variants(name)[-1].casefold()
        near = difflib.get_close_matches(folded, self._known, n=1, cutoff=0.6)
        if not near:
            return ""
        text, product = near[0], self._known[near[0]]
        return f"{product.name} ({product.id}), by {text!r}"


def _rule(
    product: Product, rule: WindowsRule, platforms: frozenset[Platform], *, only: bool = True
) -> _Rule:
    return _Rule(
        product,
        rule,
        _compile(rule.name),
        _compile(rule.publisher) if rule.publisher else None,
        platforms,
        only,
    )


def _any_name(rule: _Rule, name: str) -> bool:
    return any(rule.name.fullmatch(v) for v in name_variants(name))


def _not_client_verdict(helper: _NotClient) -> NotIdentified:
    what, product = helper.rule.what, helper.product.name
    if helper.rule.other_product:
        return NotIdentified(f"{what}; the feed does not cover it")
    return NotIdentified(
        f"{_article(what)} {what} of {product}, not a client: nothing to audit",
        not_client=True,
    )


def _article(what: str) -> str:
    return "an" if what[:1].casefold() in "aeiou" else "a"


def _misfit(version: str, claims: list[_Claim]) -> str:
    shapes: list[str] = []
    for product in _unique(c.product for c in claims):
        ident = product.identify
        shapes.append(f"{product.name} ({ident.versions_text or ident.versions or 'any'})")
    return f"version {version!r} fits none of the products with this name: " + "; ".join(shapes)


def _unique(products: Iterable[Product]) -> Iterator[Product]:
    seen: set[str] = set()
    for product in products:
        if product.id not in seen:
            seen.add(product.id)
            yield product


_REGEX_SYNTAX = re.compile(r"\\(.)|[()?*+|^$\[\]{}]")


def _known_names(products: Iterable[Product]) -> dict[str, Product]:
    """Every literal name of every product, to find the closest one to an unknown name."""
    known: dict[str, Product] = {}
    for product in products:
        ident = product.identify
        texts = [product.id, product.name, *product.former_names]
        for kind in EXACT_KINDS:
            texts.extend(getattr(ident, kind))
        for rule in (*ident.windows, *ident.names):
            # A rule's pattern read as text: `Zoom Workplace \((64-bit|32-bit)\)` is close
            # enough to what it matches for a "did you mean".
            texts.append(_REGEX_SYNTAX.sub(lambda m: m.group(1) or "", rule.name.split("|")[0]))
        for text in texts:
            known.setdefault(text.casefold().strip(), product)
    return known


def _keyword_pattern(products: Iterable[Product]) -> re.Pattern[str]:
    """Each product's id word (`zoom`, `webex`, `gotomeeting`), also matched with spaces
    between its letters' words (`GoTo Meeting`)."""
    words = {product.id.split("-")[0] for product in products}
    alternatives = "|".join(sorted(re.escape(w) for w in words))
    spaced = "|".join(
        sorted(
            r"\s?".join(re.escape(p) for p in re.findall(r"[a-z]+", name.casefold()))
            for name in (p.name for p in products)
            if " " in name
        )
    )
    pattern = rf"\b({alternatives})\b" + (rf"|\b({spaced})\b" if spaced else "")
    return re.compile(pattern, re.IGNORECASE)
