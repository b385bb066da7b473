"""The JSON report (`--format json`), schema_version 2, documented in schema/report.schema.json.

Its size grows with rows, not with rows times advisories: each advisory is written once, in
the top-level `advisories` map (keyed by vendor id); each distinct verdict once, in `findings`
(one per product, version, platform and what the policy made of them: status, risk, due date,
the advisories that apply and those ignored); and each installation as one line of its own
facts (host, user, owner, tags, source row) naming its finding. Findings are known before a
row is written (from the report's groups, counted while the rows streamed past), so rows are
written as they are read again and a million installations never sit in memory.

Advisories are sorted by key, findings worst first, installations in input order: the same
input gives the same bytes. Text is written as it was read (JSON escaping makes it inert);
`ensure_ascii` keeps control and direction-override characters visible as escapes.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields, is_dataclass
from itertools import chain
from typing import Any, TextIO

from vcaudit.models import (
    Advisory,
    Assessment,
    AuditReport,
    BatchedFindings,
    Finding,
    Installation,
    Platform,
    Product,
    RowBatch,
)
from vcaudit.output import RenderOptions
from vcaudit.output.dataprotection import sheet_data
from vcaudit.sanitize import json_safe

SCHEMA_VERSION = 2

_enc = json.encoder.encode_basestring_ascii  # the C encoder json.dumps uses for strings


def _text(value: str) -> str:
    """A JSON string, or null for an empty one."""
    return _enc(value) if value else "null"


# ---------------------------------------------------------------------------------------------
# Findings and advisories: decided once, before any row is written


@dataclass(slots=True)
class Verdict:
    """One finding of the report: a distinct (product, version, platform, verdict)."""

    assessment: Assessment
    version: str
    platform: Platform
    name: str
    """The inventory's name when no product matched (it tells unknown rows apart), else ""."""
    installations: int = 0
    id: str = ""
    advisories: list[str] = field(default_factory=list)
    """Keys in the report's `advisories` map of the advisories that apply."""
    ignored: list[str] = field(default_factory=list)
    review: list[str] = field(default_factory=list)

    @property
    def product(self) -> str | None:
        product = self.assessment.product
        return product.id if product is not None else None


_Key = tuple[str, Platform, str, object]
"""A finding's identity: version, platform, the inventory's name when no product matched,
and the verdict's value (`_cheap`)."""


def _cheap(value: object) -> object:
    """`value` as a hashable stand-in, equal for equal values: the feed's products and
    advisories by identity (one feed holds one of each; hashing them by value would hash the
    whole feed, once per group)."""
    if isinstance(value, Product | Advisory):
        return id(value)
    if isinstance(value, tuple | list):
        return tuple(map(_cheap, value))
    if isinstance(value, dict):
        return tuple((k, _cheap(v)) for k, v in value.items())
    if is_dataclass(value) and not isinstance(value, type):
        return (type(value), *(_cheap(getattr(value, f.name)) for f in fields(value)))
    return value


_NUMBER = re.compile(r"(\d+)")


def _natural(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sorts `5.9` before `5.10`."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in _NUMBER.split(text) if p)


class Catalogue:
    """The findings of a report and the advisories they name, sorted and given ids, and the
    finding each installation belongs to (JSON and JSON Lines share it)."""

    def __init__(self, report: AuditReport) -> None:
        verdicts: dict[_Key, Verdict] = {}
        # Assessments equal in value (two spellings of one product, say) are one finding.
        signatures: dict[int, tuple[Assessment, object]] = {}

        def signature(assessment: Assessment) -> object:
            found = signatures.get(id(assessment))
            if found is None or found[0] is not assessment:
                found = signatures[id(assessment)] = (assessment, _cheap(assessment))
            return found[1]

        def add(version: str, platform: Platform, name: str, a: Assessment, count: int) -> None:
            key = (version, platform, name, signature(a))
            verdict = verdicts.get(key)
            if verdict is None:
                verdict = verdicts[key] = Verdict(a, version, platform, name)
            verdict.installations += count

        if report.groups or not report.rows:
            for group in report.groups:
                a = group.assessment
                name = group.product if a.product is None else ""
                add(group.version, group.platform, name, a, group.installations)
        else:  # a report made without groups: its rows, read once more
            for finding in report.findings:
                inst, a = finding.installation, finding.assessment
                name = inst.product if a.product is None else ""
                add(inst.version, inst.platform, name, a, 1)
        self._signature = signature
        self._verdicts = verdicts
        self.findings: list[Verdict] = sorted(verdicts.values(), key=_order)
        self._name_ids()
        self.advisories: dict[str, dict[str, Any]] = self._advisory_map()
        self._cache: dict[int, tuple[Assessment, str, Platform, str, Verdict]] = {}

    def _name_ids(self) -> None:
        """`product@version/platform` (the inventory's name for an unknown product), with
        `#2`, `#3`... for further verdicts on the same (several policy contexts)."""
        used: set[str] = set()
        for verdict in self.findings:
            base = f"{verdict.product or verdict.name}@{verdict.version}/{verdict.platform.value}"
            candidate, n = base, 1
            while candidate in used:
                n += 1
                candidate = f"{base}#{n}"
            used.add(candidate)
            verdict.id = candidate

    def _advisory_map(self) -> dict[str, dict[str, Any]]:
        """Every advisory a finding names, once, keyed by vendor id; an id two products' feeds
        describe differently (another title or score) is keyed `id@product` for each."""
        seen: dict[str, dict[str, Advisory]] = {}
        for verdict in self.findings:
            product = verdict.product or ""
            a = verdict.assessment
            for advisory in chain(
                (h.advisory for h in a.hits), (i.hit.advisory for i in a.ignored), a.review
            ):
                seen.setdefault(advisory.id, {})[product] = advisory
        keys: dict[tuple[str, str], str] = {}
        out: dict[str, dict[str, Any]] = {}
        for vendor_id, by_product in seen.items():
            bodies = {p: _advisory(adv) for p, adv in sorted(by_product.items())}
            split = len({json.dumps(b, sort_keys=True) for b in bodies.values()}) > 1
            for product, body in bodies.items():
                key = f"{vendor_id}@{product}" if split else vendor_id
                keys[(product, vendor_id)] = key
                entry = out.setdefault(key, {**body, "products": [], "fixed": {}})
                entry["products"].append(product)
                fixed = _fixed(by_product[product])
                if fixed:
                    entry["fixed"][product] = fixed
        for verdict in self.findings:
            product = verdict.product or ""
            a = verdict.assessment
            verdict.advisories = [keys[(product, h.advisory.id)] for h in a.hits]
            verdict.ignored = [keys[(product, i.hit.advisory.id)] for i in a.ignored]
            verdict.review = [keys[(product, adv.id)] for adv in a.review]
        return dict(sorted(out.items()))

    def verdict(self, installation: Installation, assessment: Assessment) -> Verdict:
        """The finding one installation belongs to."""
        found = self._cache.get(id(assessment))
        if (
            found is not None
            and found[0] is assessment
            and found[1] == installation.version
            and found[2] is installation.platform
            and (assessment.product is not None or found[3] == installation.product)
        ):
            return found[4]
        name = installation.product if assessment.product is None else ""
        key = (installation.version, installation.platform, name, self._signature(assessment))
        verdict = self._verdicts.get(key)
        if verdict is None:
            raise ValueError(
                f"an installation on line {installation.source.line} of "
                f"{installation.source.file} is in none of the report's groups"
            )
        self._cache[id(assessment)] = (
            assessment,
            installation.version,
            installation.platform,
            installation.product,
            verdict,
        )
        return verdict


def _order(verdict: Verdict) -> tuple[Any, ...]:
    """Worst first, then by product, platform and version; then by the rest of the verdict,
    so that the order never depends on the input's."""
    a = verdict.assessment
    return (
        -a.risk,
        a.status.rank,
        verdict.product or "",
        verdict.name,
        verdict.platform.value,
        _natural(verdict.version),
        verdict.version,
        repr(
            (
                a.installer, a.owner, a.due, a.reason, a.latest, a.fixed_in, a.upgrade_to,
                [h.advisory.id for h in a.hits],
                [(i.hit.advisory.id, i.reason, i.until) for i in a.ignored],
                [r.id for r in a.review],
            )
        ),
    )  # fmt: skip


def _advisory(advisory: Advisory) -> dict[str, Any]:
    cvss = advisory.cvss
    return {
        "id": advisory.id,
        "aliases": list(advisory.aliases),
        "title": advisory.title,
        "severity": advisory.severity_label,
        # Only where the vendor's label disagrees with the CVSS band: shown, never ranked.
        "vendor_severity": advisory.vendor_severity or None,
        "cvss": (
            {"version": cvss.version, "score": cvss.score, "vector": cvss.vector}
            if cvss is not None
            else None
        ),
        "kev": advisory.kev,
        "published": advisory.published.isoformat() if advisory.published else None,
        "range": "known" if advisory.range_known else "unknown",
        "references": list(advisory.references),
    }


def _fixed(advisory: Advisory) -> dict[str, list[str]]:
    """The versions that fix it, per platform, in the feed's order."""
    out: dict[str, list[str]] = {}
    for affected in advisory.affected:
        if not affected.fixed:
            continue
        for platform in Platform:
            if platform in affected.platforms:
                versions = out.setdefault(platform.value, [])
                if affected.fixed not in versions:
                    versions.append(affected.fixed)
    return out


def _verdict_fields(verdict: Verdict) -> dict[str, Any]:
    a = verdict.assessment
    product = a.product
    return {
        "product": product.id if product else None,
        "product_name": product.name if product else None,
        "name": verdict.name or None,
        "installer": a.installer,
        "version": verdict.version,
        "platform": verdict.platform.value,
        "status": a.status.value,
        "risk": a.risk.label,
        "reason": a.reason,
        "latest": a.latest or None,
        "fixed_in": a.fixed_in or None,
        "upgrade_to": a.upgrade_to or None,
        "or_later": a.or_later,
        "owner": a.owner or None,
        "due": a.due.isoformat() if a.due else None,
        "overdue": a.overdue,
        "advisories": verdict.advisories,
        "ignored": [
            {
                "id": key,
                "reason": item.reason,
                "until": item.until.isoformat() if item.until else None,
            }
            for key, item in zip(verdict.ignored, a.ignored, strict=True)
        ],
        "review": verdict.review,
        "installations": verdict.installations,
    }


def finding(verdict: Verdict) -> dict[str, Any]:
    """One finding of the report, as a JSON-ready mapping."""
    return {"id": verdict.id, **_verdict_fields(verdict)}


# ---------------------------------------------------------------------------------------------
# The document


def document(
    report: AuditReport, *, with_installations: bool = True, catalogue: Catalogue | None = None
) -> dict[str, Any]:
    """The whole report as a JSON-ready mapping (rows kept in memory: for tests and small
    reports; `write` streams them)."""
    catalogue = catalogue or Catalogue(report)
    summary = report.summary
    feed = report.feed
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "vcaudit", "version": report.tool_version},
        "feed": {
            "schema_version": feed.schema_version,
            "generated_at": feed.generated_at.isoformat() if feed.generated_at else None,
            "publisher": feed.publisher,
            "source": feed.location,
        },
        "policy": {
            "fail_on": report.fail_on.label,
            "strict": report.strict,
            "review": "fail" if report.fail_on_review else "show",
            "data_protection": {
                "require": [name.value for name in report.data_protection.required],
                "unknown": "fail" if report.data_protection.unknown_fails else "report",
            },
        },
        "as_of": report.as_of.isoformat() if report.as_of else None,
        "summary": {
            "hosts": summary.hosts,
            "installations": summary.installations,
            "findings": len(catalogue.findings),
            "worst_risk": summary.worst.label,
            "failing": summary.failing,
            "ignored": summary.ignored,
            "review": summary.review,
            "by_status": {status.value: count for status, count in summary.by_status},
            "by_risk": {risk.label: count for risk, count in summary.by_risk},
        },
        "inputs": list(report.read),
        "warnings": list(report.warnings),
        "advisories": catalogue.advisories,
        "findings": [finding(v) for v in catalogue.findings],
        "data_protection": _data_protection(report),
        "installations": (
            [
                json.loads(line)
                for piece in rows(report, Layout(catalogue))
                for line in piece.split("\n")
            ]
            if with_installations
            else []
        ),
    }


def _data_protection(report: AuditReport) -> dict[str, Any]:
    """The products found in the fleet, most hosts first: how many hosts and installations
    run each, its data-protection sheet (every fact with its source and read date, null when
    unknown) and the required facts it answers no (`unmet`) or leaves unknown."""
    return {
        entry.product.id: {
            "name": entry.product.name,
            "hosts": entry.hosts,
            "installations": entry.installations,
            "sheet": bool(entry.product.data_protection),
            "facts": sheet_data(entry.product),
            "unmet": [name.value for name in entry.unmet],
            "unknown": [name.value for name in entry.unknown],
        }
        for entry in report.data_protection.products
    }


def render(report: AuditReport, options: RenderOptions) -> str:
    """The report as JSON with a final newline (see `write`)."""
    buffer = io.StringIO()
    write(report, options, buffer)
    return buffer.getvalue()


def write(report: AuditReport, options: RenderOptions, stream: TextIO) -> None:
    """The report, indented, with each installation on one line of its own (without spaces:
    a million of them are most of the report), written as the rows are read."""
    del options  # one layout for every consumer
    catalogue = Catalogue(report)
    head = document(report, with_installations=False, catalogue=catalogue)
    text = json.dumps(head, indent=2, ensure_ascii=True)
    opening, _, closing = text.rpartition('"installations": []')
    # json_safe: a report printed to a CI log holds no `##[command]` (see sanitize).
    stream.write(json_safe(opening) + '"installations": [')
    first = True
    for piece in rows(report, Layout(catalogue), separator=",\n"):
        stream.write("\n" if first else ",\n")
        stream.write(piece)
        first = False
    stream.write(("\n  ]" if not first else "]") + json_safe(closing) + "\n")


# ---------------------------------------------------------------------------------------------
# Installations, one line each


def rows(report: AuditReport, layout: Layout, *, separator: str = "\n") -> Iterator[str]:
    """The installations as `layout` writes them, one row per item, or, for counted files
    read again, many rows per item joined by `separator` (a row's text holds no line break:
    JSON escapes them). The text is `json_safe`: no line holds `#[` (only a string value can
    hold one, so each value is made safe, not the whole text)."""
    findings = report.findings
    if isinstance(findings, BatchedFindings):
        return _batched(findings.batches(), layout, separator)
    return map(layout.text, findings)


Parts = tuple[str, str, str]
"""A row's text around its host, its user and its line: what follows each."""


class Layout:
    """How an installation is written: an object that opens with its host, then its user,
    then its line (all three its own), with the rest decided by its installation and verdict
    (`parts`), so that rows of one counted installation share that text."""

    opening = '{"host":'

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self._made: dict[tuple[object, ...], Parts] = {}

    def parts(self, first: Installation, assessment: Assessment) -> Parts:
        """The text of a row of `first`'s installation around its host, user and line."""
        verdict = self.catalogue.verdict(first, assessment)
        owner = first.owner or assessment.owner
        tags = ",".join(map(_enc, first.tags))
        return (
            f',"name":{_enc(first.product)},"user":',
            f',"owner":{_text(owner)},"ownership":"{first.ownership.value}",'
            f'"tags":[{tags}],"source":{{"file":{_enc(first.source.file)},"line":',
            f'}},"finding":{_enc(verdict.id)}}}',
        )

    def safe_parts(self, first: Installation, assessment: Assessment) -> Parts:
        before_user, before_line, last = map(json_safe, self.parts(first, assessment))
        return before_user, before_line, last

    def text(self, finding: Finding) -> str:
        """One row read row by row (its parts made once per distinct installation)."""
        inst = finding.installation
        assessment = finding.assessment
        key = (
            id(assessment), inst.product, inst.version, inst.platform, inst.owner,
            inst.ownership, inst.tags, inst.source.file,
        )  # fmt: skip
        parts = self._made.get(key)
        if parts is None:
            if len(self._made) >= _MADE:
                self._made.clear()
            # The assessment is kept alive by the report, so its id is never reused meanwhile.
            parts = self._made[key] = self.safe_parts(inst, assessment)
        return (
            f"{self.opening}{json_safe(_enc(inst.host))}{parts[0]}{json_safe(_text(inst.user))}"
            f"{parts[1]}{inst.source.line}{parts[2]}"
        )


_MADE = 65_536
"""Distinct installations whose row text is remembered when rows are read one by one."""


def _batched(batches: Iterable[RowBatch], layout: Layout, separator: str) -> Iterator[str]:
    """Rows of counted files read again, a batch per piece of text: rows of one counted
    installation differ only in host, user and line, so the rest of their text is made once
    (in as few pieces as can be), and rows are joined from their pieces without a Python
    step per row. Hosts and users that JSON writes as they are (printable ASCII, no quote or
    backslash) are not encoded one by one: their quotes go into the pieces beside them."""
    # By file (its `firsts`, kept so that its id is never reused), then installation number.
    made: dict[int, tuple[Sequence[Installation], dict[int, Parts]]] = {}
    opening = layout.opening
    for batch in batches:
        numbers, hosts, users, lines = batch.numbers, batch.hosts, batch.users, batch.lines
        if not numbers:
            continue
        firsts, assessments = batch.firsts, batch.assessments
        known = made.setdefault(id(firsts), (firsts, {}))[1]
        present = set(numbers)
        for number in present.difference(known):
            known[number] = layout.safe_parts(firsts[number], assessments[number])
        plain_hosts = _plain(hosts)
        host_texts = hosts if plain_hosts else _safe(list(map(_enc, hosts)))
        user_mode = "" if not any(users) else ('"' if all(users) and _plain(users) else "encoded")
        start = opening + '"' if plain_hosts else opening
        q = '"' if plain_hosts else ""
        # Per installation: the text from its host to its user (or to its line, the user
        # being null), from its user to its line, and from its line to the next row's host.
        mid: dict[int, str] = {}
        after_user: dict[int, str] = {}
        tail: dict[int, str] = {}
        for number in present:
            before_user, before_line, last = known[number]
            tail[number] = last + separator + start
            if user_mode:
                quote = user_mode if user_mode == '"' else ""
                mid[number] = q + before_user + quote
                after_user[number] = quote + before_line
            else:
                mid[number] = q + before_user + "null" + before_line
        tails = list(map(tail.__getitem__, numbers))
        tails[-1] = known[numbers[-1]][2]
        line_texts = map(str, lines)
        mids = map(mid.__getitem__, numbers)
        if user_mode:
            user_texts = users if user_mode == '"' else _safe(list(map(_text, users)))
            pieces: Iterator[tuple[str, ...]] = zip(
                host_texts,
                mids,
                user_texts,
                map(after_user.__getitem__, numbers),
                line_texts,
                tails,
                strict=True,
            )
        else:
            pieces = zip(host_texts, mids, line_texts, tails, strict=True)
        yield start + "".join(chain.from_iterable(pieces))


def _plain(values: Sequence[str]) -> bool:
    """Whether JSON writes every value as it is, between quotes: printable ASCII, no quote or
    backslash, and no `#[` for `json_safe` to break (checked all at once: a `#` ending one
    value and a `[` starting the next are apart once quoted)."""
    text = " ".join(values)
    return (
        text.isascii()
        and text.isprintable()
        and '"' not in text
        and "\\" not in text
        and "#[" not in text
    )


def _safe(values: list[str]) -> list[str]:
    """Encoded values made `json_safe`, checked all at once (a value's quotes keep a `#` at
    the end of one and a `[` at the start of the next apart)."""
    return list(map(json_safe, values)) if "#[" in "".join(values) else values
