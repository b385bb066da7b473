"""Identification: which feed product is the thing an inventory reported?

Inventories name one product many ways: a feed id (`zoom`), a Windows DisplayName
(`Zoom Workplace (64-bit)`), a macOS bundle id (`us.zoom.xos`), a package name (`zoom`),
an MSIX family name. The feed's identification rules decide; results are cached per distinct
(name, publisher) because a fleet repeats the same few hundred names.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from vcaudit.models import Product, WindowsRule


@dataclass(frozen=True, slots=True)
class Identified:
    """The product an inventory name resolved to."""

    product: Product
    installer: bool = False
    """The row is a deployment helper (e.g. a machine-wide installer), not the client."""


@dataclass(frozen=True, slots=True)
class _CompiledRule:
    product: Product
    name: re.Pattern[str]
    publisher: re.Pattern[str] | None
    installer: bool

    def matches(self, name: str, publisher: str) -> bool:
        if not self.name.fullmatch(name):
            return False
        # Inventories without a publisher column (a hand-written CSV) still identify by name;
        # where the publisher is known it must agree, as Fleet's rules require.
        return self.publisher is None or not publisher or bool(self.publisher.fullmatch(publisher))


def _compile(product: Product, rule: WindowsRule) -> _CompiledRule:
    return _CompiledRule(
        product=product,
        name=re.compile(rule.name, re.IGNORECASE),
        publisher=re.compile(rule.publisher, re.IGNORECASE) if rule.publisher else None,
        installer=rule.installer,
    )


_EXACT_KINDS = (
    "msix", "macos", "deb", "rpm", "flatpak", "snap", "winget", "homebrew", "chocolatey",
)  # fmt: skip


class Identifier:
    """Resolves inventory names to feed products."""

    def __init__(self, products: Iterable[Product]) -> None:
        self._exact: dict[str, Product] = {}
        self._names: dict[str, Product] = {}
        self._rules: list[_CompiledRule] = []
        self._excludes: dict[str, list[_CompiledRule]] = {}
        self._cache: dict[tuple[str, str], Identified | None] = {}
        products = tuple(products)
        # Feed ids first, then channel identifiers, then Windows rules, then product names.
        for product in products:
            self._exact.setdefault(product.id.casefold(), product)
        for product in products:
            for kind in _EXACT_KINDS:
                for value in getattr(product.identify, kind):
                    self._exact.setdefault(value.casefold(), product)
        for product in products:
            for name in (product.name, *product.former_names):
                self._names.setdefault(name.casefold(), product)
            self._rules.extend(_compile(product, r) for r in product.identify.windows)
            self._excludes[product.id] = [
                _compile(product, r) for r in product.identify.windows_exclude
            ]
        self._keywords = _keyword_pattern(products)

    def relevant(self, name: str, publisher: str = "") -> bool:
        """Whether an exported row is, or looks like, a conferencing client.

        Identified rows are kept; so are rows whose name or publisher carries a product's
        keyword (a Zoom plugin, an unknown Webex variant): those are reported as unknown
        rather than dropped. Everything else (the rest of a machine's software) is not.
        """
        if self.identify(name, publisher) is not None:
            return True
        text = f"{name} {publisher}"
        return bool(self._keywords.search(text))

    def identify(self, name: str, publisher: str = "") -> Identified | None:
        """The product `name` (with optional `publisher`) stands for, or None."""
        key = (name, publisher)
        if key in self._cache:
            return self._cache[key]
        found = self._resolve(name.strip(), publisher.strip())
        self._cache[key] = found
        return found

    def _excluded(self, product: Product, name: str, publisher: str) -> bool:
        """Whether `product` says this name is a look-alike, not itself (e.g. an add-in)."""
        return any(rule.matches(name, publisher) for rule in self._excludes.get(product.id, ()))

    def _resolve(self, name: str, publisher: str) -> Identified | None:
        product = self._exact.get(name.casefold())
        if product is not None and not self._excluded(product, name, publisher):
            return Identified(product)
        for rule in self._rules:
            if rule.matches(name, publisher) and not self._excluded(rule.product, name, publisher):
                return Identified(rule.product, installer=rule.installer)
        product = self._names.get(name.casefold())
        if product is not None and not self._excluded(product, name, publisher):
            return Identified(product)
        return None


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
