"""`vcaudit feed validate`: the published JSON Schema plus checks a schema cannot express.

The loader already refuses what would make matching wrong (versions that do not parse,
ranges that end before they start, duplicate ids). This adds the checks across records:
aliases listed twice, excluded versions outside their range, identification rules of one
product that claim another product's names, dates in the future (a `generated_at` ahead of
the clock would make every later, real feed look older), a severity that is not the band of
its CVSS score, a KEV catalog date that cannot be true, a product without its
data-protection sheet (the loader reads a feed without one, so an older installed feed still
works; a feed that is validated, imported or updated must have them). Every problem names
file, line and field. `feed import` and `feed update` run all of these too.

`feed_warnings` adds what is worth knowing but does not make the feed wrong: a product whose
latest release is older than a fix the feed already knows (the latest is stale), a severity
without a CVSS score to check it against, a feed that names no KEV catalog.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vcaudit import versioning
from vcaudit.feed.load import META_FILE, bundled_schema, plain
from vcaudit.models import Advisory, FactName, Feed, Product, Risk, severity_band

CLOCK_SKEW = dt.timedelta(hours=1)
"""How far ahead of this machine's clock a feed's `generated_at` may be."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with the feed."""

    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = self.file + (f", line {self.line}" if self.line else "")
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


def _line_of(text: str, path: list[str | int]) -> int | None:
    """Best-effort line of a JSON path in a YAML document, for schema messages."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            found = [v for k, v in node.value if k.value == step]
            if not found:
                break
            node = found[0]
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int):
            if step >= len(node.value):
                break
            node = node.value[step]
        else:
            break
    return node.start_mark.line + 1 if node is not None else None


def schema_problems(directory: Path) -> Iterator[Problem]:
    """Every product file and feed.yaml checked against schema/feed.schema.json."""
    products, meta = _validators()
    if directory.is_file():
        yield from bundle_schema_problems(directory.read_bytes(), str(directory))
        return
    for path in sorted(directory.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        doc = plain(yaml.safe_load(text))
        validator = meta if path.name == META_FILE else products
        for error in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.path))):
            where = list(error.absolute_path)
            field = ".".join(str(p) if isinstance(p, str) else f"[{p}]" for p in where)
            yield Problem(str(path), _line_of(text, where), field.replace(".[", "["), error.message)


def _validators() -> tuple[Any, Any]:
    """The validators of a product file and of the feed's metadata."""
    import jsonschema

    schema = json.loads(bundled_schema("feed.schema.json").read_text(encoding="utf-8"))
    products = jsonschema.Draft202012Validator(schema)
    meta = jsonschema.Draft202012Validator({**schema["$defs"]["meta"], "$defs": schema["$defs"]})
    return products, meta


def bundle_schema_problems(data: bytes, name: str) -> Iterator[Problem]:
    """A bundle (`feed build`) checked against schema/feed.schema.json."""
    products, meta = _validators()
    try:
        bundle = json.loads(data)
    except (ValueError, RecursionError):
        yield Problem(name, None, "", "not a feed bundle (JSON)")
        return
    if not isinstance(bundle, dict):
        yield Problem(name, None, "", "not a feed bundle (JSON object)")
        return
    items = bundle.pop("products", [])
    for error in meta.iter_errors(bundle):
        yield Problem(name, None, ".".join(map(str, error.path)), error.message)
    for index, item in enumerate(items if isinstance(items, list) else []):
        for error in products.iter_errors(item):
            dotted = ".".join(map(str, error.path))
            yield Problem(name, None, f"products[{index}].{dotted}", error.message)


def _advisory_line(advisory: Advisory) -> tuple[str, int | None]:
    if advisory.source is None:
        return "", None
    return advisory.source.file, advisory.source.line


def _band_text(risk: Risk) -> str:
    low, high = _BANDS[risk]
    return f"{risk.label} ({low}-{high})"


_BANDS = {
    Risk.LOW: ("0.1", "3.9"),
    Risk.MEDIUM: ("4.0", "6.9"),
    Risk.HIGH: ("7.0", "8.9"),
    Risk.CRITICAL: ("9.0", "10.0"),
}
"""CVSS v3.1 specification, section 5 (qualitative severity rating scale)."""


def _severity_problems(advisory: Advisory, file: str, line: int | None) -> Iterator[Problem]:
    """Severity is the band of the CVSS score; a vendor's other label is `vendor_severity`."""
    cvss = advisory.cvss
    if advisory.scored and cvss is not None:
        band = severity_band(cvss.score)
        if band is None:
            yield Problem(
                file, line, f"{advisory.id}.cvss.score", "0.0 has no severity; leave it unscored"
            )
        elif band is not advisory.severity:
            yield Problem(
                file,
                line,
                f"{advisory.id}.severity",
                f"is {advisory.severity.label} but CVSS {cvss.score} is {_band_text(band)}; "
                f"write severity: {band.label} and keep the vendor's label as vendor_severity",
            )
    if advisory.vendor_severity:
        if cvss is None:
            yield Problem(
                file,
                line,
                f"{advisory.id}.vendor_severity",
                "is kept only beside a CVSS score whose band it disagrees with; give the cvss",
            )
        elif advisory.vendor_severity == advisory.severity_label:
            yield Problem(
                file,
                line,
                f"{advisory.id}.vendor_severity",
                f"says {advisory.vendor_severity}, the same as severity; remove it",
            )


def _product_problems(
    product: Product, today: dt.date, kev_catalog: dt.date | None = None
) -> Iterator[Problem]:
    file = product.source.file if product.source else product.id
    scheme = product.version_scheme
    aliases: dict[str, str] = {}
    for advisory in product.advisories:
        adv_file, line = _advisory_line(advisory)
        adv_file = adv_file or file
        # A bulletin may cover several CVEs, so only CVE and GHSA ids must be unique.
        for alias in (a for a in advisory.ids if a.startswith(("CVE-", "GHSA-"))):
            first = aliases.setdefault(alias, advisory.id)
            if first != advisory.id:
                yield Problem(
                    adv_file,
                    line,
                    f"{advisory.id}.aliases",
                    f"{alias} is already listed under {first}",
                )
        if advisory.published and advisory.published > today:
            yield Problem(adv_file, line, f"{advisory.id}.published", "is in the future")
        if advisory.kev and advisory.kev_added is None:
            yield Problem(
                adv_file,
                line,
                f"{advisory.id}.kev_added",
                "a known-exploited advisory needs the date CISA added it",
            )
        if advisory.kev_added and kev_catalog and advisory.kev_added > kev_catalog:
            yield Problem(
                adv_file,
                line,
                f"{advisory.id}.kev_added",
                f"{advisory.kev_added.isoformat()} is after the KEV catalog the feed was "
                f"checked against (kev_catalog_date {kev_catalog.isoformat()} in feed.yaml); "
                "record the newer catalog",
            )
        yield from _severity_problems(advisory, adv_file, line)
        for index, r in enumerate(advisory.affected):
            start = versioning.parse_feed_version(scheme, r.introduced or "0")
            end_text = r.fixed or r.last_affected
            end = versioning.parse_feed_version(scheme, end_text) if end_text else None
            for text in r.excluded:
                excluded = versioning.parse_feed_version(scheme, text)
                if excluded is None or start is None:
                    continue
                inside = versioning.less_than(excluded, start) is False and (
                    end is None
                    or (
                        versioning.less_than(excluded, end)
                        if r.fixed
                        else versioning.at_most(excluded, end)
                    )
                    is True
                )
                if not inside:
                    yield Problem(
                        adv_file,
                        line,
                        f"{advisory.id}.affected[{index}].excluded",
                        f"{text} is outside the range it is excluded from",
                    )


def _identification_problems(feed: Feed) -> Iterator[Problem]:
    """A product's names and identifiers must not be claimed by another product's rules."""
    for product in feed.products:
        file = product.source.file if product.source else product.id
        names = {product.id, product.name, *product.former_names}
        ident = product.identify
        for kind in ("apps", "msix", "macos", "deb", "rpm", "flatpak", "snap", "winget",
                     "homebrew", "chocolatey"):  # fmt: skip
            names.update(getattr(ident, kind))
        for other in feed.products:
            if other is product or (ident.versions and other.identify.versions):
                continue  # products that share names say which versions are theirs
            excludes = [re.compile(r.name, re.IGNORECASE) for r in other.identify.windows_exclude]
            for rule in (*other.identify.windows, *other.identify.names):
                pattern = re.compile(rule.name, re.IGNORECASE)
                for name in sorted(names):
                    if pattern.fullmatch(name) and not any(x.fullmatch(name) for x in excludes):
                        yield Problem(
                            file,
                            None,
                            "identify",
                            f"{name!r} of {product.id} also matches the name rule "
                            f"{rule.name!r} of {other.id}",
                        )


def semantic_problems(
    feed: Feed, today: dt.date, *, now: dt.datetime | None = None
) -> list[Problem]:
    """Checks across records, after the feed loaded (`generated_at` too when given `now`)."""
    problems: list[Problem] = []
    generated = feed.info.generated_at
    if now is not None and generated is not None and generated > now + CLOCK_SKEW:
        problems.append(
            Problem(
                feed.info.location,
                None,
                "generated_at",
                f"{generated.isoformat()} is in the future (this machine's clock says "
                f"{now.replace(microsecond=0).isoformat()}); it would make every later feed "
                "look older",
            )
        )
    problems.extend(_kev_catalog_problems(feed, today))
    for product in feed.products:
        problems.extend(_product_problems(product, today, feed.info.kev_catalog_date))
        problems.extend(_data_protection_problems(product, today))
    problems.extend(_identification_problems(feed))
    return problems


def _data_protection_problems(product: Product, today: dt.date) -> Iterator[Problem]:
    """Every product has a data-protection sheet (issue 19); its facts must have been read by
    now, and must not contradict each other."""
    file = _product_file(product)
    if not product.data_protection:
        yield Problem(
            file,
            None,
            "data_protection",
            "is required: every product says where its calls' data goes, each fact with the "
            "URL it was read from and the date, or {value: unknown} where no source read states it",
        )
        return
    for fact in product.data_protection:
        if fact.read is not None and fact.read > today:
            path: list[str | int] = ["data_protection", fact.name.value, "read"]
            yield Problem(
                file,
                _yaml_line(file, path),
                ".".join(map(str, path)),
                f"{fact.read.isoformat()} is in the future: a source is read before its fact "
                "is written",
            )
    available = product.fact(FactName.E2EE_AVAILABLE).value
    if product.fact(FactName.E2EE_DEFAULT).value is True and available is False:
        where: list[str | int] = ["data_protection", FactName.E2EE_DEFAULT.value, "value"]
        yield Problem(
            file,
            _yaml_line(file, where),
            ".".join(map(str, where)),
            "end-to-end encryption cannot be on by default when e2ee_available is false",
        )


def _kev_catalog_problems(feed: Feed, today: dt.date) -> Iterator[Problem]:
    """The KEV catalog named in feed.yaml must be one that can have been read."""
    info = feed.info
    where = _meta_file(info.location)
    catalog = info.kev_catalog_date
    if catalog is None:
        if info.kev_catalog_version or info.kev_catalog_source:
            yield Problem(
                where,
                None,
                "kev_catalog_date",
                "is missing: the version and source of a KEV catalog need its date",
            )
        return
    line = _yaml_line(where, ["kev_catalog_date"])
    if catalog > today:
        yield Problem(where, line, "kev_catalog_date", f"{catalog.isoformat()} is in the future")
    generated = info.generated_at
    if generated is not None and catalog > generated.date():
        yield Problem(
            where,
            line,
            "kev_catalog_date",
            f"{catalog.isoformat()} is after the feed was generated "
            f"({generated.date().isoformat()}); a feed cannot have been checked against a "
            "later catalog",
        )
    version = info.kev_catalog_version
    if version and version != catalog.strftime("%Y.%m.%d"):
        yield Problem(
            where,
            _yaml_line(where, ["kev_catalog_version"]),
            "kev_catalog_version",
            f"{version} is not the catalog of kev_catalog_date {catalog.isoformat()} "
            f"(CISA names that catalog {catalog.strftime('%Y.%m.%d')})",
        )


def _meta_file(location: str) -> str:
    """feed.yaml of a feed folder, or the bundle file itself."""
    path = Path(location)
    return str(path / META_FILE) if path.is_dir() else location


def _yaml_line(file: str, path: list[str | int]) -> int | None:
    """The line of a field in a feed folder's YAML file (None for a bundle, or if unread)."""
    if not file.endswith(".yaml"):
        return None
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return _line_of(text, path)


def feed_warnings(feed: Feed) -> list[Problem]:
    """What a feed's author should know, though the feed is not wrong: a latest release older
    than a fix the feed knows, a severity with no CVSS score to check, no KEV catalog named."""
    warnings: list[Problem] = []
    if feed.info.kev_catalog_date is None:
        warnings.append(
            Problem(
                _meta_file(feed.info.location),
                None,
                "kev_catalog_date",
                "no CISA KEV catalog is named, so every advisory's KEV status is unchecked",
            )
        )
    for product in feed.products:
        warnings.extend(_stale_latest(product))
        for advisory in product.advisories:
            if advisory.scored and advisory.cvss is None:
                file, line = _advisory_line(advisory)
                warnings.append(
                    Problem(
                        file or _product_file(product),
                        line,
                        f"{advisory.id}.severity",
                        f"{advisory.severity.label} rests on no CVSS score, so its band cannot "
                        "be checked; add the cvss (or make it unscored)",
                    )
                )
    return warnings


def _product_file(product: Product) -> str:
    return product.source.file if product.source else product.id


def _stale_latest(product: Product) -> Iterator[Problem]:
    """A latest release older than the highest fix the feed knows on that platform."""
    scheme = product.version_scheme
    for platform, latest in product.latest:
        top = versioning.parse_feed_version(scheme, latest.version)
        if top is None:
            continue
        newest: tuple[versioning.Version, Advisory] | None = None
        for advisory in product.advisories:
            if advisory.withdrawn or advisory.server_side:
                continue
            for r in advisory.affected:
                fixed = versioning.parse_feed_version(scheme, r.fixed) if r.fixed else None
                if platform not in r.platforms or fixed is None:
                    continue
                if newest is None or versioning.less_than(newest[0], fixed) is True:
                    newest = (fixed, advisory)
        if newest is None:
            continue
        fixed, advisory = newest
        # `7.2.1` is the release `7.2.1.48556`: compare the parts the latest release gives.
        cut = versioning.Version(fixed.raw, fixed.parts[: len(top.parts)])
        if versioning.less_than(top, cut) is True:
            published = advisory.published.isoformat() if advisory.published else "undated"
            file = _product_file(product)
            yield Problem(
                file,
                _yaml_line(file, ["latest", platform.value]),
                f"latest.{platform.value}",
                f"{latest.version} is older than {fixed.raw}, which fixes {advisory.id} "
                f"(published {published}); refresh the latest release",
            )
