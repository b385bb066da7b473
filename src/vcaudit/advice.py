"""What every report and message says, decided once: the words of the upgrade advice, the
next steps, the advisories to review, the PASS/FAIL verdict line and plurals.

Tables, Markdown, HTML, JUnit, SARIF, the mail and the webhooks all take these words from
here, so every report says the same true thing. The upgrade advice is made only from what
the policy decided (`Assessment.upgrade_to` and the fields after it): "X or later" only when
every release from X up to the latest is clean (DESIGN.md, Risk model).

Advisories whose affected versions are not published yet are listed apart, "to review",
once per advisory with the products, platforms and hosts it concerns: shown in every report,
never counted as a finding (DESIGN.md, Risk model).

Nothing here does I/O or escapes text: each format makes the words inert for its medium.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from urllib.parse import urlsplit

from vcaudit import versioning
from vcaudit.models import (
    Advisory,
    AdvisoryHit,
    Assessment,
    AuditReport,
    Group,
    Platform,
    Status,
    Step,
    Verdict,
)


def plural(count: int, word: str, many: str = "") -> str:
    """`1 host`, `2 hosts`; `many` for words whose plural is not the word and an s
    (`advisory`, `advisories`)."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"


def verdict_words(verdict: Verdict, code: Callable[[str], str] = str) -> tuple[str, str]:
    """The verdict line as its word (`PASS`, `FAIL`) and the rest (`nothing at or above
    --fail-on high`), with each flag passed through `code` (Markdown sets them as code)."""
    threshold = code(f"--fail-on {verdict.fail_on.label}")
    if verdict.passed:
        return "PASS", f"nothing at or above {threshold}"
    return "FAIL", (
        f"{plural(verdict.failing, 'installation')} at or above {threshold}"
        + (f" or unknown ({code('--strict')})" if verdict.strict else "")
        + (" or with an advisory to review at that level" if verdict.review else "")
    )


def verdict_line(verdict: Verdict) -> str:
    """`FAIL: 2 installations at or above --fail-on high`."""
    word, rest = verdict_words(verdict)
    return f"{word}: {rest}"


def _gravity(advisory: Advisory) -> tuple[int, int, float]:
    score = advisory.cvss.score if advisory.cvss is not None else 0.0
    return (-advisory.counted_risk, -advisory.kev, -score)


def advisories_worst_first(advisories: Iterable[Advisory]) -> list[Advisory]:
    """Advisories as a person should read them: those that make the risk first (known
    exploited, then by severity, then by CVSS score), the feed's order among equals."""
    return sorted(advisories, key=_gravity)


def hits_worst_first(assessment: Assessment) -> list[AdvisoryHit]:
    """The advisories that apply, worst first (see `advisories_worst_first`)."""
    return sorted(assessment.hits, key=lambda hit: _gravity(hit.advisory))


def short_ids(assessment: Assessment, most: int) -> str:
    """The ids of the advisories that apply, worst first, the first `most` of them and a
    count of the rest ("" when none applies): the ids shown are those that make the risk."""
    ids = [hit.advisory.id for hit in hits_worst_first(assessment)]
    shown = ", ".join(ids[:most])
    return shown + (f" +{len(ids) - most}" if len(ids) > most else "")


def review_ids(assessment: Assessment, most: int) -> str:
    """The ids of the advisories to review, the first `most` and a count of the rest, as
    `review: ZSB-26015, ZSB-26016 +1` ("" when there is none)."""
    ids = [advisory.id for advisory in advisories_worst_first(assessment.review)]
    if not ids:
        return ""
    shown = ", ".join(ids[:most])
    return "review: " + shown + (f" +{len(ids) - most}" if len(ids) > most else "")


@dataclass(frozen=True, slots=True)
class ReviewItem:
    """One advisory to review: its affected versions are not published yet, so vcaudit cannot
    tell which installations it affects. Listed once, with what it concerns."""

    advisory: Advisory
    concerns: tuple[tuple[str, tuple[Platform, ...]], ...]
    """The products (as people read them) and platforms with installations it concerns."""
    hosts: int
    installations: int

    @property
    def where(self) -> str:
        """`Zoom Workplace on linux, macos, windows; Zoom Workplace VDI Client on windows`."""
        return "; ".join(
            f"{name} on {', '.join(p.value for p in platforms)}"
            for name, platforms in self.concerns
        )

    @property
    def text(self) -> str:
        """The whole line: id, severity, aliases, title, what it concerns, what to do."""
        a = self.advisory
        aliases = f", {', '.join(a.aliases)}" if a.aliases else ""
        kev = ", known exploited" if a.kev else ""
        hosts = plural(self.hosts, "host")
        return (
            f"{a.id} ({a.severity_label}{kev}{aliases}): {a.title}. Affected versions not "
            f"published yet: {self.where} ({hosts}). Check the vendor's advisory "
            f"(vcaudit advisory {a.id})."
        )


def to_review(report: AuditReport) -> list[ReviewItem]:
    """The advisories to review, most severe first, each with the products, platforms and
    hosts it concerns."""
    found: dict[str, tuple[Advisory, dict[str, set[Platform]], list[Group], list[int]]] = {}
    for g in report.groups:
        for advisory in g.assessment.review:
            entry = found.setdefault(advisory.id, (advisory, {}, [], [0]))
            entry[1].setdefault(g.product, set()).add(g.platform)
            entry[2].append(g)
            entry[3][0] += g.installations
    # Advisories of one product share their groups: each set of groups is counted once, and
    # one union of hosts is held at a time.
    counted: dict[tuple[int, ...], int] = {}
    for _advisory, _products, groups, _count in found.values():
        key = tuple(map(id, groups))
        if key not in counted:
            counted[key] = len(_union(groups))
    items = [
        ReviewItem(
            advisory,
            tuple(
                (name, tuple(sorted(platforms, key=lambda p: p.value)))
                for name, platforms in sorted(products.items(), key=lambda i: i[0].casefold())
            ),
            counted[tuple(map(id, groups))],
            count[0],
        )
        for advisory, products, groups, count in found.values()
    ]
    return sorted(items, key=lambda i: (-i.advisory.counted_risk, i.advisory.id))


def retired(assessment: Assessment) -> bool:
    """Whether the product is past its end of life: the way out is to replace it (its last
    releases may fix an advisory, but they stay retired)."""
    product = assessment.product
    return product is not None and product.lifecycle.eol


def replace_with(assessment: Assessment) -> str:
    """What to replace a retired product with ("" when the feed names no successor)."""
    product = assessment.product
    return product.lifecycle.successor if product is not None and retired(assessment) else ""


_ACTIONS = (Status.VULNERABLE, Status.EOL, Status.UNSUPPORTED, Status.OUTDATED)
_STEPS = (*_ACTIONS, Status.UNAPPROVED)
"""Verdicts a next step is written for: upgrades and replacements, and unapproved products."""


def _needs_upgrade(assessment: Assessment) -> bool:
    """Whether the verdict calls for an upgrade (not for a replacement, nor for nothing)."""
    return (
        assessment.product is not None and assessment.status in _ACTIONS and not retired(assessment)
    )


def upgrade_target(assessment: Assessment) -> str:
    """The upgrade advice for a table cell under "Upgrade to": `7.0.5 or later`, `7.2.1
    (latest)`, `7.0.5 (latest affected)` when later releases are affected and the latest too,
    `7.0.5 (latest unknown)` when the feed knows no latest release on the platform (nothing
    is known of later ones), or `no clean release`; "" when no upgrade is advised (nothing
    to do, or a retired product to replace)."""
    if not _needs_upgrade(assessment):
        return ""
    a = assessment
    if not a.upgrade_to:
        return "no clean release"
    if a.upgrade_to == a.latest:
        return f"{a.upgrade_to} (latest)"
    if a.or_later:
        return f"{a.upgrade_to} or later"
    if a.latest and not a.latest_clean:
        return f"{a.upgrade_to} (latest affected)"
    if not a.later_affected:
        return f"{a.upgrade_to} (latest unknown)"
    return f"{a.upgrade_to} (later affected)"


def _to(a: Assessment) -> str:
    """The "to ..." part of the advice: "or later" only when every release from the one
    named up to the latest is clean; the latest is called so; a smaller clean release is
    named where there is one ("" when no clean release is known)."""
    if not a.upgrade_to:
        return ""
    after = f"some releases from {a.affected_from} on" if a.affected_from else "some later releases"
    if a.upgrade_to == a.latest:
        if a.also_clean:
            also = f"{a.also_clean} is clean too, but {after} are affected"
            return f"to {a.upgrade_to}, the latest ({also})"
        return f"to {a.upgrade_to}, the latest"
    if a.or_later:
        return f"to {a.upgrade_to} or later"
    if a.latest and not a.latest_clean:
        return f"to {a.upgrade_to} ({after} are affected, the latest {a.latest} among them)"
    if not a.later_affected:
        return f"to {a.upgrade_to} (no latest release is known here, so later ones are unchecked)"
    return f"to {a.upgrade_to} ({after} are affected)"


def _no_clean(a: Assessment) -> str:
    latest = f" (the latest, {a.latest}, is affected)" if a.latest and not a.latest_clean else ""
    return f"no clean upgrade is known{latest}"


def upgrade_advice(assessment: Assessment, *, short: bool = False) -> str:
    """The upgrade advice as a clause, lower-case: `upgrade to 7.0.5 or later`, `upgrade to
    7.2.1, the latest (7.0.5 is clean too, but some releases from 7.1.0 on are affected)`, or
    `no clean upgrade is known (the latest, 7.2.1, is affected)`; with `short`, the cell's
    words (`upgrade to 7.2.1 (latest)`). "" when no upgrade is advised."""
    if not _needs_upgrade(assessment):
        return ""
    if not assessment.upgrade_to:
        return "no clean upgrade known" if short else _no_clean(assessment)
    if short:
        return f"upgrade to {upgrade_target(assessment)}"
    return f"upgrade {_to(assessment)}"


MAX_STEP_HOSTS = 5
"""Hosts a next step names before it counts the rest."""
_HOST_WIDTH = 120
"""Longer than any real host name (a fully qualified name rarely passes 64 characters); a
longer one is shortened in the middle, where names of one fleet differ least."""


def _host_shown(host: str) -> str:
    if len(host) <= _HOST_WIDTH:
        return host
    tail = _HOST_WIDTH // 3
    return host[: _HOST_WIDTH - tail - 1] + "…" + host[-tail:]


def hosts_named(hosts: Iterable[str], most: int = MAX_STEP_HOSTS) -> str:
    """The first `most` hosts in natural order (pc-2 before pc-10) and a count of the rest:
    `a, b +3 more`. A group of a hundred thousand hosts is not sorted to name five."""
    every = hosts if isinstance(hosts, Collection) else list(hosts)
    first = first_in_natural_order(every, most)
    shown = ", ".join(_host_shown(h) for h in first)
    rest = len(every) - len(first)
    return shown + (f" +{rest:,} more" if rest > 0 else "")


MAX_URL = 2048
"""The longest address a report links (longer ones are shown, not linked)."""


def web_url(url: str) -> str:
    """`url` if it is a plain http or https address with a host, else "": printable ASCII
    only, so no control, space, quote trick or look-alike letter can ride in it."""
    if len(url) > MAX_URL or not url.isascii() or not url.isprintable() or " " in url:
        return ""
    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced [ in the host
        return ""
    return url if parts.scheme.lower() in ("http", "https") and parts.netloc else ""


_MARKUP = re.compile(r"[<>|()\[\]\"'`\\]")
"""What Slack's `<url|text>`, a Markdown `[text](url)` or HTML would read as markup in an
address: a reference holding any of it is not linked in any report or message."""


def reference_url(advisory: Advisory, *, escaped: bool = False) -> str:
    """The advisory's first reference a person can open (the vendor's bulletin, as the feed
    lists it first): a plain web address (`web_url`), and, unless the caller escapes it (an
    HTML attribute), with nothing in it a message format reads as markup; "" when none is."""
    return next(
        (
            url
            for url in advisory.references
            if web_url(url) and (escaped or not _MARKUP.search(url))
        ),
        "",
    )


def first_in_natural_order(hosts: Collection[str], most: int) -> list[str]:
    """The first `most` of some distinct names in natural order (`heapq.nsmallest` by
    `natural_key`). Names alike but for a number at their end, written with as many digits
    (`host-0000123`, a fleet's usual naming), are in natural order as they sort as text:
    those are not given a key one by one (a fleet's groups name a million hosts between
    them)."""
    if len(hosts) > most and _sort_as_text(hosts):
        return heapq.nsmallest(most, hosts)
    return heapq.nsmallest(most, hosts, key=natural_key)


def _sort_as_text(names: Collection[str]) -> bool:
    """Whether natural order is text order for these names: all of one length, and the same
    text before the digits that end them (their keys then differ only in that number, of one
    width in every name).

    Checked a column at a time, not a name at a time (a fleet's groups hold a million names
    between them): names of one length, joined by line breaks that none holds, have their
    line breaks, and each of their characters, at every (length + 1)-th place."""
    count = len(names)
    if not count:
        return True
    first = next(iter(names))
    length = len(first)
    joined = "\n".join(names)
    if len(joined) != count * (length + 1) - 1 or joined.count("\n") != count - 1:
        return False
    if joined[length :: length + 1] != "\n" * (count - 1):
        return False
    stem = first.rstrip(_DIGIT_CHARS)
    for at, char in enumerate(stem):
        if joined[at :: length + 1] != char * count:
            return False
    for at in range(len(stem), length):
        digits = joined[at :: length + 1]
        if not (digits.isascii() and digits.isdigit()):
            return False
    return True


_DIGIT_CHARS = "0123456789"


def natural_key(text: str) -> tuple[tuple[int, int, str], ...]:
    """A sort key that orders the numbers in names by value: `(device 2 of 37)` before
    `(device 10 of 37)`. Numbers compare by their digits (length, then text), never
    converted: a host name may hold thousands of them."""
    key: list[tuple[int, int, str]] = []
    for part in _DIGITS.split(text):
        if part.isdecimal() and part.isascii():
            digits = part.lstrip("0") or "0"
            key.append((0, len(digits), digits))
        elif part:
            key.append((1, 0, part.casefold()))
    return tuple(key)


_DIGITS = re.compile(r"([0-9]+)")


def _version_key(a: Assessment) -> tuple[int, ...]:
    product = a.product
    version = (
        versioning.parse_feed_version(product.version_scheme, a.upgrade_to) if product else None
    )
    return versioning.sort_key(version) if version is not None else ()


def _merged(assessments: list[Assessment]) -> Assessment:
    """One advice for the groups of one product on one platform: the highest release any of
    them is sent to. It is clean and above every host's version, and "or later" is a fact of
    that release alone; the smaller clean release one group may stop at is named only when
    every group would be told the same."""
    top = max(assessments, key=_version_key)
    same = all(
        (a.upgrade_to, a.also_clean, a.affected_from)
        == (top.upgrade_to, top.also_clean, top.affected_from)
        for a in assessments
    )
    return top if same else replace(top, also_clean="")


class _Kind(IntEnum):
    """What a next step asks for, in the order steps of equal risk are listed."""

    REMOVE = 0
    """A retired product's machine-wide installer: it only puts the retired client back."""
    REPLACE = 1
    UPGRADE = 2
    WATCH = 3
    """No clean release is known: watch for a fix."""
    UNAPPROVED = 4
    """The policy does not allow the product (approved list, personal devices, data
    protection): an upgrade would not make it allowed."""


@dataclass(slots=True)
class _Pending:
    """A next step being gathered from the groups of one product on one platform."""

    worst: int = 0
    groups: list[Group] = field(default_factory=list)
    verdicts: list[Assessment] = field(default_factory=list)


def _union(groups: Sequence[Group]) -> Collection[str]:
    """The hosts of some groups (a group's own set, not copied, when there is one)."""
    if len(groups) == 1:
        return groups[0].host_names
    return set().union(*(g.host_names for g in groups))


def _kind(assessment: Assessment) -> _Kind:
    if assessment.status is Status.UNAPPROVED:
        return _Kind.UNAPPROVED
    if retired(assessment):
        # Upgrading a retired product only buys time: the step is to replace it, and to
        # remove the installer that would put it back on every new profile.
        return _Kind.REMOVE if assessment.installer else _Kind.REPLACE
    return _Kind.UPGRADE if assessment.upgrade_to else _Kind.WATCH


def next_steps(report: AuditReport) -> Sequence[Step]:
    """The report's next steps (decided once, when the report was made: `steps_for`)."""
    return report.steps


def steps_for(groups: Iterable[Group]) -> list[Step]:
    """What to do, most urgent first: one line per product and platform (and kind of action:
    replace, upgrade, or watch for a fix when no clean release is known), naming its hosts."""
    pending: dict[tuple[str, Platform, _Kind], _Pending] = {}
    for g in groups:
        assessment = g.assessment
        if assessment.product is None or assessment.status not in _STEPS:
            continue
        step = pending.setdefault((g.product, g.platform, _kind(assessment)), _Pending())
        step.worst = max(step.worst, assessment.risk)
        step.groups.append(g)
        step.verdicts.append(assessment)
    ordered = sorted(
        pending.items(),
        key=lambda item: (-item[1].worst, item[0][0].casefold(), item[0][1].value, item[0][2]),
    )
    out: list[Step] = []
    for (name, platform, kind), step in ordered:
        # One step's hosts at a time: a fleet's steps between them hold every host.
        hosts = _union(step.groups)
        count = len(hosts)
        where = f"{name} on {platform.value} on {plural(count, 'host')} ({hosts_named(hosts)})"
        del hosts
        if kind is _Kind.REMOVE:
            text = f"Remove {where}: it installs a retired client"
        elif kind is _Kind.REPLACE:
            successor = replace_with(step.verdicts[0])
            text = f"Replace {where}" + (f" with {successor}" if successor else "")
        elif kind is _Kind.UPGRADE:
            text = f"Upgrade {where} {_to(_merged(step.verdicts))}"
        elif kind is _Kind.UNAPPROVED:
            why = step.verdicts[0].reason
            text = f"Remove or replace {where}: the policy does not allow it ({why})"
        else:
            text = f"Watch for a fix for {where}: {_no_clean(step.verdicts[0])}"
        out.append(Step(text, count))
    return out


def worst_first(groups: Iterable[Group]) -> list[Group]:
    """Groups worst first: by risk, status, product, version, platform."""
    return sorted(
        groups,
        key=lambda g: (
            -g.assessment.risk,
            g.assessment.status.rank,
            g.product.casefold(),
            g.version,
            g.platform.value,
            g.assessment.reason,
            g.owner,
        ),
    )


def group(report: AuditReport) -> list[Group]:
    """The report's groups, worst first."""
    return worst_first(report.groups)
