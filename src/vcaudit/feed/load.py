"""Load and validate the advisory feed: `feed.yaml` plus one YAML file per product.

Every value is checked as it is read, so a broken feed stops with one line naming file, line
and field (exit 4) instead of a wrong answer later. The format is documented in
`schema/feed.schema.json` and README.md.

A feed folder is read as its author left it: when `feed.yaml` lists the products, a listed
file that is missing or a product file that is not listed is an error (never a feed with a
product quietly gone). Only the folder's own regular files are read: a file that is a
symbolic link to somewhere outside the folder, a FIFO or a device is refused before
anything of it is read, so no error message can show a line of a file the feed's author did
not write.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

from vcaudit import versioning
from vcaudit.errors import FeedError
from vcaudit.feed import patterns
from vcaudit.fields import Fields
from vcaudit.models import (
    Advisory,
    AffectedRange,
    Cvss,
    Fact,
    FactName,
    Feed,
    FeedInfo,
    Identification,
    LatestRelease,
    Lifecycle,
    MinimumVersion,
    NotClientRule,
    Platform,
    Product,
    Release,
    Risk,
    Source,
    VersionScheme,
    WindowsRule,
)

SCHEMA_VERSION = 1
META_FILE = "feed.yaml"
MAX_FILE_BYTES = 8 * 1024 * 1024
_PRODUCT_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_SEVERITIES = ("low", "medium", "high", "critical", "unscored")
VENDOR_SEVERITIES = ("low", "moderate", "medium", "important", "high", "critical")
"""The labels vendors give (MSRC says moderate and important), kept as `vendor_severity`."""
UNSCORED_RISK = Risk.HIGH
"""The risk an advisory counts at while the feed has no score for it."""

_PRODUCT_KEYS = (
    "schema_version", "id", "name", "vendor", "former_names", "homepage", "version_scheme",
    "identify", "lifecycle", "minimum_versions", "latest", "releases", "advisories", "sources",
    "notes", "data_protection",
)  # fmt: skip
_IDENTIFY_KEYS = (
    "windows", "windows_exclude", "names", "not_clients", "versions", "versions_text", "apps",
    "msix", "macos", "deb", "rpm", "flatpak", "snap", "winget", "homebrew", "chocolatey",
    "sources", "notes",
)  # fmt: skip
_ADVISORY_KEYS = (
    "id", "aliases", "title", "published", "modified", "severity", "vendor_severity", "cvss",
    "kev", "kev_added", "fix", "affected", "references", "notes", "withdrawn",
)  # fmt: skip


def _bundled(name: str) -> Path:
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_bundled" / name
    if packaged.exists():
        return packaged
    return here.parent.parent / name


def bundled_feed_dir() -> Path:
    """The feed shipped with vcaudit: inside the wheel, or the checkout's advisories/."""
    return _bundled("advisories")


def bundled_schema(name: str) -> Path:
    """A JSON Schema shipped with vcaudit (schema/NAME)."""
    return _bundled("schema") / name


def load_feed(location: Path | None = None) -> Feed:
    """Load a feed: a directory of YAML files (default: the bundled one) or a bundle file."""
    target = location if location is not None else bundled_feed_dir()
    if not target.exists():
        raise FeedError(str(target), "no such feed directory or file")
    if not target.is_dir():
        return load_bundle(_read_file(target, None, MAX_BUNDLE_BYTES), str(target))
    meta_path = target / META_FILE
    if not os.path.lexists(meta_path):
        raise FeedError(str(target), f"no {META_FILE} in this feed directory")
    meta = _read_yaml(meta_path, target)
    manifest = _read_manifest(meta)
    info = _read_meta(meta, str(target), extra=("products",))
    paths = sorted(path for path in target.glob("*.yaml") if path.name != META_FILE)
    if manifest is not None:
        _check_manifest(meta, manifest, paths)
    products = [_read_product(_read_yaml(path, target), path.stem, str(path)) for path in paths]
    return _assemble(info, products, str(target))


def _read_manifest(meta: Fields) -> tuple[str, ...] | None:
    """The product ids `feed.yaml` lists, or None when it lists none (older feeds)."""
    if not meta.has("products"):
        return None
    ids = meta.texts("products")
    if not ids:
        raise meta.fail("products", "list the id of every product file")
    for product_id in ids:
        if not _PRODUCT_ID.fullmatch(product_id):
            raise meta.fail("products", f"{product_id!r} is not a product id")
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise meta.fail("products", f"{duplicates[0]!r} is listed twice")
    return ids


def _check_manifest(meta: Fields, manifest: tuple[str, ...], paths: list[Path]) -> None:
    present = {path.stem: path for path in paths}
    for product_id in manifest:
        if product_id not in present:
            raise meta.fail(
                "products",
                f"lists {product_id!r} but {product_id}.yaml is not in the feed folder "
                "(a product file is missing)",
            )
    for stem, path in present.items():
        if stem not in manifest:
            raise FeedError(
                str(path),
                f"a product file that {META_FILE} does not list under products",
                hint=f"add {stem!r} to products in {META_FILE}, or remove the file",
            )


MAX_BUNDLE_BYTES = 64 * 1024 * 1024


MAX_NUMBER_DIGITS = 100
"""No number in a feed has more digits; longer ones are refused before Python converts them
(past 4300 digits that is an error of its own, and a float cannot hold them)."""


class _LongNumber(ValueError):
    pass


def _bundle_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _LongNumber(f"a number of {len(text)} digits (at most {MAX_NUMBER_DIGITS})")
    return int(text)


def _long_number_line(data: bytes) -> int | None:
    found = re.search(rb"[\[:,]\s*-?[0-9]{%d}" % (MAX_NUMBER_DIGITS + 1), data)
    return data.count(b"\n", 0, found.start()) + 1 if found else None


def load_bundle(data: bytes, name: str) -> Feed:
    """A feed from the bytes of a bundle file (`vcaudit feed build`)."""
    if len(data) > MAX_BUNDLE_BYTES:
        raise FeedError(name, "the bundle is larger than 64 MiB")
    try:
        doc = json.loads(data.decode("utf-8"), parse_int=_bundle_int)
    except UnicodeDecodeError as exc:
        raise FeedError(name, f"not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise FeedError(name, f"not a feed bundle: {exc.msg}", line=exc.lineno) from None
    except _LongNumber as exc:
        raise FeedError(name, f"not a feed bundle: {exc}", line=_long_number_line(data)) from None
    except RecursionError:
        raise FeedError(name, "not a feed bundle: nested too deeply") from None
    fields = Fields(doc, name, "", FeedError, 0)
    products = fields.data.get("products")
    if not isinstance(products, list) or not products:
        raise FeedError(name, "not a feed bundle: no products", field="products")
    meta = Fields({k: v for k, v in fields.data.items() if k != "products"}, name, "", FeedError)
    info = _read_meta(meta, name)
    read = [_read_product(item, None, name) for item in fields.items("products")]
    return _assemble(info, read, name)


def _assemble(info: FeedInfo, products: list[Product], where: str) -> Feed:
    if not products:
        raise FeedError(where, "the feed holds no product files")
    _check_identifiers_unique(products)
    ids = [p.id for p in products]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise FeedError(where, f"product {duplicates[0]!r} appears twice")
    products = [_mark_kev_unchecked(p, info.kev_catalog_date) for p in products]
    names = {product.id: product.name for product in products}
    # A successor may be written as a product id; people read its name.
    products = [
        replace(p, lifecycle=replace(p.lifecycle, successor=names[p.lifecycle.successor]))
        if p.lifecycle.successor in names
        else p
        for p in products
    ]
    return Feed(info=info, products=tuple(sorted(products, key=lambda p: p.id)))


def _mark_kev_unchecked(product: Product, catalog: dt.date | None) -> Product:
    """Advisories the feed's KEV catalog cannot speak for: published after it (or no catalog
    named), so their `kev: false` means "not checked" rather than "not known exploited"."""
    advisories = tuple(
        replace(a, kev_unchecked=True)
        if not a.kev and (catalog is None or a.published is None or a.published > catalog)
        else a
        for a in product.advisories
    )
    return replace(product, advisories=advisories)


def plain(value: Any) -> Any:
    """YAML data as JSON data: dates as ISO strings, mappings and lists as plain ones."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def bundle_bytes(directory: Path, generated_at: dt.datetime) -> bytes:
    """The whole feed directory as one bundle: feed.yaml's fields plus every product."""
    load_feed(directory)  # refuse to bundle an invalid feed
    meta = plain(_read_yaml(directory / META_FILE, directory).data)
    meta["generated_at"] = generated_at.astimezone(dt.UTC).isoformat()
    meta.pop("products", None)  # a bundle holds the products themselves
    products = [
        plain(_read_yaml(path, directory).data)
        for path in sorted(directory.glob("*.yaml"))
        if path.name != META_FILE
    ]
    doc = {**meta, "products": products}
    return (
        json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=False) + "\n"
    ).encode()


def _read_file(path: Path, folder: Path | None, limit: int) -> bytes:
    """The bytes of a regular file, at most `limit`; with `folder`, only a file inside it."""
    name = str(path)
    if folder is not None and path.is_symlink():
        try:
            inside = path.resolve().is_relative_to(folder.resolve())
        except (OSError, RuntimeError):
            inside = False
        if not inside:
            raise FeedError(
                name,
                "is a symbolic link to a file outside the feed folder; vcaudit reads only "
                "the folder's own files",
            )
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)  # non-blocking: a FIFO must not hang the open
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise FeedError(name, "not a regular file")
            data = handle.read(limit + 1)  # what is read is bounded, whatever stat says
    except OSError as exc:
        raise FeedError(name, f"cannot read: {exc.strerror}") from None
    if len(data) > limit:
        raise FeedError(name, f"file is larger than {limit // (1024 * 1024)} MiB")
    return data


def _read_yaml(path: Path, folder: Path) -> Fields:
    name = str(path)
    data = _read_file(path, folder, MAX_FILE_BYTES)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FeedError(name, f"not UTF-8 text (byte {exc.start})") from None
    from vcaudit import yamlio  # PyYAML only when YAML is read

    try:
        doc = yamlio.load(text)
    except yamlio.YamlProblem as exc:
        raise FeedError(name, exc.message, line=exc.line) from None
    return Fields(doc, name, "", FeedError, 1)


def _read_meta(meta: Fields, location: str, extra: tuple[str, ...] = ()) -> FeedInfo:
    meta.only(
        "schema_version", "generated_at", "publisher", "kev_catalog_date", "kev_catalog_version",
        "kev_catalog_source", "notes", *extra,
    )  # fmt: skip
    version = meta.integer("schema_version", minimum=1)
    if version != SCHEMA_VERSION:
        raise meta.fail(
            "schema_version", f"this vcaudit reads feed schema {SCHEMA_VERSION}, got {version}"
        )
    generated = meta.data.get("generated_at")
    generated_at: dt.datetime | None
    if isinstance(generated, dt.datetime):
        generated_at = generated
    elif isinstance(generated, dt.date):
        generated_at = dt.datetime(generated.year, generated.month, generated.day)
    elif isinstance(generated, str):
        try:
            generated_at = dt.datetime.fromisoformat(generated)
        except ValueError:
            raise meta.fail("generated_at", "expected an ISO date-time") from None
    else:
        raise meta.fail("generated_at", "is required (ISO date-time)")
    if generated_at.tzinfo is None:
        generated_at = generated_at.replace(tzinfo=dt.UTC)
    return FeedInfo(
        schema_version=SCHEMA_VERSION,
        generated_at=generated_at,
        publisher=meta.text("publisher", required=True),
        location=location,
        kev_catalog_date=meta.date("kev_catalog_date"),
        kev_catalog_version=meta.text("kev_catalog_version"),
        kev_catalog_source=meta.text("kev_catalog_source"),
    )


def _platforms(fields: Fields, key: str) -> frozenset[Platform]:
    names = fields.texts(key)
    if not names:
        raise fields.fail(key, "list at least one platform (windows, macos, linux)")
    out: set[Platform] = set()
    for name in names:
        try:
            out.add(Platform(name))
        except ValueError:
            raise fields.fail(key, f"unknown platform {name!r} (windows, macos, linux)") from None
    return frozenset(out)


def _version(fields: Fields, key: str, scheme: VersionScheme, value: str | None = None) -> str:
    text = fields.text(key) if value is None else value
    if text and versioning.parse_feed_version(scheme, text) is None:
        raise fields.fail(key, f"version {text!r} does not parse under the {scheme} scheme")
    return text


def _read_product(doc: Fields, expected_id: str | None, source_file: str) -> Product:
    doc.only(*_PRODUCT_KEYS)
    product_id = doc.text("id", required=True)
    if not _PRODUCT_ID.fullmatch(product_id):
        raise doc.fail("id", "use lower-case letters, digits and dashes")
    if expected_id is not None and product_id != expected_id:
        raise doc.fail("id", f"must match the file name ({expected_id})")
    scheme_name = doc.text("version_scheme", default="dotted")
    try:
        scheme = VersionScheme(scheme_name)
    except ValueError:
        raise doc.fail("version_scheme", f"unknown scheme {scheme_name!r}") from None
    advisories = tuple(_read_advisory(item, scheme) for item in doc.items("advisories"))
    seen: dict[str, int] = {}
    for item, advisory in zip(doc.items("advisories"), advisories, strict=True):
        if advisory.id in seen:
            raise item.fail("id", f"duplicate advisory id (first on line {seen[advisory.id]})")
        seen[advisory.id] = item.line
    lifecycle = _read_lifecycle(doc.sub("lifecycle"))
    return Product(
        id=product_id,
        name=doc.text("name", required=True),
        vendor=doc.text("vendor", required=True),
        former_names=doc.texts("former_names"),
        homepage=doc.text("homepage"),
        version_scheme=scheme,
        identify=_read_identify(doc.sub("identify")),
        lifecycle=lifecycle,
        minimum_versions=tuple(
            _read_minimum(item, scheme) for item in doc.items("minimum_versions")
        ),
        latest=_read_latest(doc.sub("latest"), scheme),
        releases=tuple(_read_release(item, scheme) for item in doc.items("releases")),
        advisories=advisories,
        source=Source(source_file, doc.line or 1),
        data_protection=_read_data_protection(doc.sub("data_protection"), lifecycle.eol),
    )


_FACT_KEYS = ("value", "source", "read", "note")
_SOURCE_URL = re.compile(r"https?://[^\s/]+\S*")
UNKNOWN = "unknown"
"""The value of a fact no source read states."""


def _read_data_protection(fields: Fields | None, eol: bool) -> tuple[Fact, ...]:
    """The data-protection sheet: every fact named, each with the URL it was read from and
    the date it was read, or `{value: unknown}` (never a value without its source)."""
    if fields is None:
        return ()
    names = [name.value for name in FactName]
    for key in fields.data:
        if key not in names:
            raise fields.fail(
                key, f"not a data-protection fact (expected one of: {', '.join(names)})"
            )
    wanted = [n for n in FactName if n is not FactName.END_OF_LIFE or eol]
    missing = [n.value for n in wanted if not fields.has(n.value)]
    if missing:
        raise fields.error(
            fields.file,
            f"missing {', '.join(missing)} (write {{value: {UNKNOWN}}} for a fact no source "
            "read states)",
            line=fields.line,
            field=fields.path,
        )
    if fields.has(FactName.END_OF_LIFE.value) and not eol:
        raise fields.fail(
            FactName.END_OF_LIFE.value,
            "only an end-of-life product (lifecycle status eol) has this fact",
        )
    return tuple(_read_fact(fields, name) for name in wanted)


def _read_fact(sheet: Fields, name: FactName) -> Fact:
    fields = sheet.sub(name.value, required=True)
    assert fields is not None
    fields.only(*_FACT_KEYS)
    raw = fields.data.get("value")
    value: bool | str | None
    if raw == UNKNOWN:
        value = None
    elif name.boolean:
        if not isinstance(raw, bool):
            raise fields.fail("value", f"expected true, false or {UNKNOWN}")
        value = raw
    else:
        if not isinstance(raw, str) or not raw.strip():
            raise fields.fail("value", f"expected text, or {UNKNOWN}")
        value = raw.strip()
    source = fields.text("source")
    if source and not _SOURCE_URL.fullmatch(source):
        raise fields.fail(
            "source", f"expected the http(s) URL the fact was read from, got {source!r}"
        )
    if value is not None and not source:
        raise fields.fail(
            "source", f"is required: the URL the fact was read from (or value: {UNKNOWN})"
        )
    read = fields.date("read")
    if value is not None and read is None:
        raise fields.fail(
            "read",
            f"is required: the date the source was read, like 2026-12-01 (or value: {UNKNOWN})",
        )
    return Fact(name=name, value=value, source=source, read=read, note=fields.text("note"))


def _read_identify(fields: Fields | None) -> Identification:
    if fields is None:
        return Identification()
    fields.only(*_IDENTIFY_KEYS)
    versions = fields.text("versions")
    if versions:
        _pattern(fields, "versions", versions)
    return Identification(
        windows=tuple(_read_windows_rule(item) for item in fields.items("windows")),
        windows_exclude=tuple(_read_windows_rule(item) for item in fields.items("windows_exclude")),
        names=tuple(_read_windows_rule(item, any_platform=True) for item in fields.items("names")),
        not_clients=tuple(_read_not_client(item) for item in fields.items("not_clients")),
        versions=versions,
        versions_text=fields.text("versions_text"),
        apps=fields.texts("apps"),
        msix=fields.texts("msix"),
        macos=fields.texts("macos"),
        deb=fields.texts("deb"),
        rpm=fields.texts("rpm"),
        flatpak=fields.texts("flatpak"),
        snap=fields.texts("snap"),
        winget=fields.texts("winget"),
        homebrew=fields.texts("homebrew"),
        chocolatey=fields.texts("chocolatey"),
    )


def _pattern(fields: Fields, key: str, pattern: str) -> None:
    """A valid pattern that cannot backtrack catastrophically (see `patterns`)."""
    problem = patterns.problem(pattern)
    if problem is not None:
        raise fields.fail(key, problem)


def _read_windows_rule(fields: Fields, *, any_platform: bool = False) -> WindowsRule:
    if any_platform:
        fields.only("name", "publisher", "installer", "platforms", "source", "notes")
    else:
        fields.only("name", "publisher", "installer", "source", "notes")
    rule = WindowsRule(
        name=fields.text("name", required=True),
        publisher=fields.text("publisher"),
        installer=fields.flag("installer"),
        platforms=_platforms(fields, "platforms") if fields.has("platforms") else frozenset(),
        source=fields.text("source"),
    )
    for key in ("name", "publisher"):
        _pattern(fields, key, getattr(rule, key))
    return rule


def _read_not_client(fields: Fields) -> NotClientRule:
    fields.only("name", "publisher", "what", "other_product", "source", "notes")
    rule = NotClientRule(
        name=fields.text("name", required=True),
        what=fields.text("what", required=True),
        publisher=fields.text("publisher"),
        other_product=fields.flag("other_product"),
        source=fields.text("source"),
    )
    for key in ("name", "publisher"):
        _pattern(fields, key, getattr(rule, key))
    return rule


def _read_lifecycle(fields: Fields | None) -> Lifecycle:
    if fields is None:
        return Lifecycle()
    fields.only("status", "eol_date", "successor", "sources", "notes")
    status = fields.text("status", default="supported")
    if status not in ("supported", "eol"):
        raise fields.fail("status", "expected supported or eol")
    if status == "eol" and not fields.texts("sources"):
        raise fields.fail("sources", "an end-of-life product needs the source that says so")
    return Lifecycle(
        eol=status == "eol",
        eol_date=fields.date("eol_date"),
        successor=fields.text("successor"),
        sources=fields.texts("sources"),
    )


def _read_minimum(fields: Fields, scheme: VersionScheme) -> MinimumVersion:
    fields.only("version", "platforms", "effective", "source", "notes")
    return MinimumVersion(
        version=_version(fields, "version", scheme, fields.text("version", required=True)),
        platforms=_platforms(fields, "platforms"),
        effective=fields.date("effective"),
        source=fields.text("source", required=True),
    )


def _read_latest(
    fields: Fields | None, scheme: VersionScheme
) -> tuple[tuple[Platform, LatestRelease], ...]:
    if fields is None:
        return ()
    out: list[tuple[Platform, LatestRelease]] = []
    for key, _value, _line in fields.entries():
        try:
            platform = Platform(key)
        except ValueError:
            raise fields.fail(key, "unknown platform (windows, macos, linux)") from None
        item = fields.sub(key, required=True)
        assert item is not None
        item.only("version", "date", "source", "build", "notes")
        out.append(
            (
                platform,
                LatestRelease(
                    version=_version(item, "version", scheme, item.text("version", required=True)),
                    date=item.date("date"),
                    source=item.text("source", required=True),
                ),
            )
        )
    return tuple(sorted(out))


def _read_release(fields: Fields, scheme: VersionScheme) -> Release:
    fields.only("version", "builds", "date", "source", "notes")
    builds = fields.sub("builds")
    pairs: list[tuple[Platform, str]] = []
    if builds is not None:
        for key, _value, _line in builds.entries():
            try:
                platform = Platform(key)
            except ValueError:
                raise builds.fail(key, "unknown platform (windows, macos, linux)") from None
            build = builds.text(key, required=True)
            if not build.isdigit():
                raise builds.fail(key, "a build number is digits only")
            pairs.append((platform, build))
    return Release(
        version=_version(fields, "version", scheme, fields.text("version", required=True)),
        builds=tuple(sorted(pairs)),
        date=fields.date("date"),
        sources=_urls(fields, "source"),
    )


def _urls(fields: Fields, key: str) -> tuple[str, ...]:
    urls = fields.texts(key)
    if not urls:
        raise fields.fail(key, "name the source URL")
    for url in urls:
        if not url.startswith("https://"):
            raise fields.fail(key, f"expected an https:// URL, got {url!r}")
    return urls


_UNRANGED_KEYS = ("range", "platforms")
"""An advisory whose affected versions are not published yet: `range: unknown` and the
platforms it concerns, instead of `affected`."""


def _read_advisory(fields: Fields, scheme: VersionScheme) -> Advisory:
    fields.only(*_ADVISORY_KEYS, *_UNRANGED_KEYS)
    severity = fields.text("severity", required=True).lower()
    if severity not in _SEVERITIES:
        raise fields.fail("severity", f"expected one of {', '.join(_SEVERITIES)}")
    scored = severity != "unscored"
    vendor_severity = fields.text("vendor_severity").lower()
    if vendor_severity and vendor_severity not in VENDOR_SEVERITIES:
        raise fields.fail("vendor_severity", f"expected one of {', '.join(VENDOR_SEVERITIES)}")
    cvss = _read_cvss(fields.sub("cvss"))
    if cvss is not None and not scored:
        raise fields.fail("cvss", "an unscored advisory has no CVSS; give its severity instead")
    fix = fields.text("fix", default="client")
    if fix not in ("client", "server"):
        raise fields.fail("fix", "expected client or server")
    if not fields.texts("references"):
        raise fields.fail("references", "every advisory needs at least one source URL")
    references = _urls(fields, "references")
    affected, platforms, range_known = _read_affected(fields, scheme)
    return Advisory(
        id=fields.text("id", required=True),
        aliases=fields.texts("aliases"),
        title=fields.text("title", required=True),
        published=fields.date("published", required=True),
        severity=Risk.from_label(severity) if scored else UNSCORED_RISK,
        scored=scored,
        cvss=cvss,
        kev=fields.flag("kev"),
        kev_added=fields.date("kev_added"),
        server_side=fix == "server",
        affected=affected,
        range_known=range_known,
        platforms=platforms,
        references=references,
        notes=fields.text("notes"),
        withdrawn=fields.flag("withdrawn"),
        source=Source(fields.file, fields.line),
        vendor_severity=vendor_severity,
    )


def _read_affected(
    fields: Fields, scheme: VersionScheme
) -> tuple[tuple[AffectedRange, ...], frozenset[Platform], bool]:
    """The affected ranges, the platforms they cover, and whether a range is known at all.

    `range: unknown` says the sources name the advisory but publish no affected versions yet:
    the advisory lists the platforms it concerns instead, and no range is ever made up for it.
    """
    if fields.has("range"):
        if fields.text("range") != "unknown":
            raise fields.fail(
                "range",
                "the only value is unknown (no affected versions published yet); otherwise "
                "list the ranges under affected",
            )
        if fields.has("affected"):
            raise fields.fail(
                "affected", "an advisory with range: unknown lists no affected ranges"
            )
        return (), _platforms(fields, "platforms"), False
    if fields.has("platforms"):
        raise fields.fail(
            "platforms",
            "platforms go in each affected range; an advisory without a published range says "
            "range: unknown",
        )
    affected = tuple(_read_range(item, scheme) for item in fields.items("affected"))
    if not affected:
        raise fields.fail(
            "affected",
            "list at least one affected range, or write range: unknown when the sources "
            "publish none yet",
        )
    return affected, frozenset(p for r in affected for p in r.platforms), True


def _read_cvss(fields: Fields | None) -> Cvss | None:
    if fields is None:
        return None
    fields.only("version", "score", "vector", "source")
    score = fields.number("score")
    if score is None or not 0.0 <= score <= 10.0:
        raise fields.fail("score", "expected a score from 0.0 to 10.0")
    source = fields.text("source", default="vendor")
    if source not in ("vendor", "nvd", "cna"):
        raise fields.fail("source", "expected vendor, nvd or cna")
    return Cvss(
        version=fields.text("version", required=True),
        score=score,
        vector=fields.text("vector"),
        source=source,
    )


def _read_range(fields: Fields, scheme: VersionScheme) -> AffectedRange:
    fields.only("platforms", "introduced", "fixed", "last_affected", "excluded", "notes")
    introduced = _version(fields, "introduced", scheme) or "0"
    fixed = _version(fields, "fixed", scheme)
    last = _version(fields, "last_affected", scheme)
    if fixed and last:
        raise fields.fail("last_affected", "give fixed or last_affected, not both")
    start = versioning.parse_feed_version(scheme, introduced)
    end = versioning.parse_feed_version(scheme, fixed or last) if (fixed or last) else None
    if start is not None and end is not None:
        ordered = versioning.less_than(start, end) if fixed else versioning.at_most(start, end)
        if not ordered:
            raise fields.fail("fixed" if fixed else "last_affected", "must come after introduced")
    excluded = fields.texts("excluded")
    for text in excluded:
        _version(fields, "excluded", scheme, text)
    return AffectedRange(
        platforms=_platforms(fields, "platforms"),
        introduced=introduced,
        fixed=fixed,
        last_affected=last,
        excluded=excluded,
    )


def _identifiers(product: Product) -> Iterable[tuple[str, str]]:
    ident = product.identify
    for kind in ("apps", "msix", "macos", "deb", "rpm", "flatpak", "snap", "winget", "homebrew",
                 "chocolatey"):  # fmt: skip
        for value in getattr(ident, kind):
            yield (
                kind,
                value.casefold().removesuffix(".app") if kind == "apps" else value.casefold(),
            )


def _check_identifiers_unique(products: list[Product]) -> None:
    """An identifier names one product, unless every product claiming it says which versions
    are its own (the macOS app `Microsoft Teams.app` was classic Teams, then new Teams)."""
    owner: dict[tuple[str, str], Product] = {}
    for product in products:
        for key in _identifiers(product):
            other = owner.setdefault(key, product)
            if other.id != product.id and not (
                other.identify.versions and product.identify.versions
            ):
                where = product.source.file if product.source else product.id
                raise FeedError(
                    where,
                    f"{key[0]} identifier {key[1]!r} is also claimed by product {other.id!r}",
                    field="identify",
                    hint="products that share a name must each give the shape of their versions",
                )
