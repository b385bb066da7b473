"""The JSON report, schema_version 2: valid against its schema, the same facts as version 1
for every golden case, each advisory and each verdict once, and rows written as they come."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import TODAY, make_installation
from tests.output.json_report import installation_rows
from tests.output.test_formats import CASES, render
from vcaudit.audit import run_audit
from vcaudit.config import parse_policy
from vcaudit.models import AuditReport, Feed, Finding, Ownership, Platform
from vcaudit.output import OutputFormat, RenderOptions, formatter_for, writer_for

ROOT = Path(__file__).resolve().parent.parent.parent
SCHEMA = json.loads((ROOT / "schema" / "report.schema.json").read_text(encoding="utf-8"))
V1 = ROOT / "tests" / "data" / "report-v1"
"""The golden JSON reports as schema_version 1 wrote them, kept as the reference of its facts."""

# Every fact version 1 gave an installation, but the advisories' `fixed` (checked apart).
FACTS = (
    "host", "platform", "product", "product_name", "name", "installer", "version", "status",
    "risk", "reason", "latest", "fixed_in", "upgrade_to", "or_later", "owner", "ownership",
    "user", "tags", "due", "overdue", "source",
)  # fmt: skip
ADVISORY_FACTS = ("id", "aliases", "title", "severity", "cvss", "kev", "published")


def validate(doc: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(doc)


def report_of(feed: Feed, rows: list[Any], policy: str = "") -> AuditReport:
    pol = parse_policy(policy, "vcaudit.yaml").policy
    return run_audit(rows, feed, pol, TODAY, tool_version="9.9.9")


def json_of(report: AuditReport) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(formatter_for(OutputFormat.JSON)(report, RenderOptions()))
    return doc


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["properties"]["schema_version"] == {"const": 2}


@pytest.mark.parametrize("case", list(CASES))
def test_every_golden_case_is_valid_against_the_schema(test_feed: Feed, case: str) -> None:
    validate(json.loads(render(test_feed, case, OutputFormat.JSON)))


def test_the_schema_refuses_what_it_does_not_describe(test_feed: Feed) -> None:
    doc = json.loads(render(test_feed, "one-vulnerable", OutputFormat.JSON))
    broken = json.loads(json.dumps(doc))
    broken["installations"][0]["advisories"] = []  # version 1's shape
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)
    broken = json.loads(json.dumps(doc))
    del broken["findings"][0]["risk"]
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)
    # The data-protection section describes each product found in full (issue 19).
    broken = json.loads(json.dumps(doc))
    broken["data_protection"]["meetly"]["facts"]["e2ee_available"]["value"] = 1
    with pytest.raises(jsonschema.ValidationError):
        validate(broken)


def _v1_facts(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Per installation, what version 1 said of it (v1 rows already carry everything)."""
    return [
        {
            **{k: row[k] for k in FACTS},
            "advisories": [
                ({k: a[k] for k in ADVISORY_FACTS}, a["fixed"]) for a in row["advisories"]
            ],
            "ignored": [
                ({k: a[k] for k in ADVISORY_FACTS}, a["fixed"], a["reason"], a["until"])
                for a in row["ignored"]
            ],
            "review": [{k: a[k] for k in ADVISORY_FACTS} for a in row["review"]],
        }
        for row in doc["installations"]
    ]


def _v2_facts(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Per installation, what version 2 says of it: its row, its finding, its advisories.
    An advisory's fixed version for a row is the one of its fixed versions on the row's
    product and platform that version 1 named (checked to be among them)."""
    return [
        {
            **{k: row[k] for k in FACTS},
            "advisories": [
                ({k: a[k] for k in ADVISORY_FACTS}, a["fixed"]) for a in row["advisories"]
            ],
            "ignored": [
                ({k: a[k] for k in ADVISORY_FACTS}, a["fixed"], a["reason"], a["until"])
                for a in row["ignored"]
            ],
            "review": [{k: a[k] for k in ADVISORY_FACTS} for a in row["review"]],
        }
        for row in installation_rows(doc)
    ]


def _one_fixed(v1: list[dict[str, Any]], v2: list[dict[str, Any]]) -> None:
    """Version 1's fixed version of each advisory is one of version 2's for that row (or
    none where none is known); then version 2's list is set to it, for the comparison."""
    for old, new in zip(v1, v2, strict=True):
        for key in ("advisories", "ignored"):
            for i, (was, now) in enumerate(zip(old[key], new[key], strict=True)):
                fixed = was[1]
                assert (fixed in now[1]) if fixed else now[1] == [], (old["host"], was, now)
                new[key][i] = (now[0], fixed, *now[2:])


@pytest.mark.parametrize("case", list(CASES))
def test_version_2_carries_the_facts_version_1_did(test_feed: Feed, case: str) -> None:
    """Per installation: host, product, version, platform, status, risk, reason, advice, owner,
    due date, source row, and every advisory that applies, is ignored (with its reason) or is
    to review, with its title, aliases, severity, score and KEV flag."""
    v1 = json.loads((V1 / f"{case}.json").read_text(encoding="utf-8"))
    v2 = json.loads(render(test_feed, case, OutputFormat.JSON))
    assert v1["schema_version"] == 1
    assert v2["schema_version"] == 2
    for key in ("tool", "feed", "as_of", "inputs", "warnings"):
        assert v2[key] == v1[key], key
    # v2's policy adds the data-protection rules (none in the golden cases).
    assert v2["policy"] == {
        **v1["policy"],
        "data_protection": {"require": [], "unknown": "report"},
    }
    assert {**v2["summary"], "findings": None} == {**v1["summary"], "findings": None}
    old, new = _v1_facts(v1), _v2_facts(v2)
    assert len(old) == len(new) == len(CASES[case][0])
    _one_fixed(old, new)
    assert new == old

    # The comparison above is the one the brief asks for, also in its short form.
    def short(rows: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
        return {
            (
                r["host"],
                r["product"],
                r["version"],
                r["status"],
                r["risk"],
                *[a["id"] for a in r["advisories"]],
            )
            for r in rows
        }

    assert short(v1["installations"]) == short(installation_rows(v2))


def test_the_fact_comparison_fails_when_a_fact_differs(test_feed: Feed) -> None:
    """The comparison is not vacuous: a changed risk or a lost advisory is seen."""
    v1 = json.loads((V1 / "one-vulnerable.json").read_text(encoding="utf-8"))
    v2 = json.loads(render(test_feed, "one-vulnerable", OutputFormat.JSON))
    v2["findings"][0]["risk"] = "high"
    assert _v2_facts(v2) != _v1_facts(v1)
    v2 = json.loads(render(test_feed, "one-vulnerable", OutputFormat.JSON))
    v2["findings"][0]["advisories"] = []
    assert _v2_facts(v2) != _v1_facts(v1)


TOP_KEYS = [
    "schema_version", "tool", "feed", "policy", "as_of", "summary", "inputs", "warnings",
    "advisories", "findings", "data_protection", "installations",
]  # fmt: skip
FINDING_KEYS = [
    "id", "product", "product_name", "name", "installer", "version", "platform", "status",
    "risk", "reason", "latest", "fixed_in", "upgrade_to", "or_later", "owner", "due", "overdue",
    "advisories", "ignored", "review", "installations",
]  # fmt: skip
ADVISORY_KEYS = [
    "id", "aliases", "title", "severity", "vendor_severity", "cvss", "kev", "published", "range",
    "references", "products", "fixed",
]  # fmt: skip
INSTALLATION_KEYS = [
    "host", "name", "user", "owner", "ownership", "tags", "source", "finding",
]  # fmt: skip


def test_keys_are_pinned(test_feed: Feed) -> None:
    doc = json.loads(render(test_feed, "ignored", OutputFormat.JSON))
    assert list(doc) == TOP_KEYS
    assert [list(f) for f in doc["findings"]] == [FINDING_KEYS]
    assert [list(a) for a in doc["advisories"].values()] == [ADVISORY_KEYS]
    assert [list(i) for i in doc["installations"]] == [INSTALLATION_KEYS] * 2
    assert doc["advisories"] == {
        "MSB-002": {
            "id": "MSB-002",
            "aliases": ["CVE-2099-0002"],
            "title": "Windows-only bug",
            "severity": "medium",
            "vendor_severity": None,
            "cvss": None,
            "kev": False,
            "published": "2025-06-01",
            "range": "known",
            "references": ["https://example.com/MSB-002"],
            "products": ["meetly"],
            "fixed": {"meetly": {"windows": ["6.2.3"]}},
        }
    }
    (finding,) = doc["findings"]
    assert finding["id"] == "meetly@6.1.0/windows"
    assert finding["ignored"] == [
        {"id": "MSB-002", "reason": "accepted until rollout", "until": "2026-06-30"}
    ]
    assert finding["installations"] == 2
    assert doc["installations"][1] == {
        "host": "pc-2",
        "name": "meetly",
        "user": None,
        "owner": None,
        "ownership": "company",
        "tags": [],
        "source": {"file": "inventory/fleet.csv", "line": 3},
        "finding": "meetly@6.1.0/windows",
    }


def test_each_advisory_and_each_verdict_is_written_once(test_feed: Feed) -> None:
    """A hundred hosts on one vulnerable version: one finding, one advisory body, and every
    further row adds the same few bytes whatever the advisories."""

    def text(n: int) -> str:
        rows = [
            make_installation("meetly", "5.16.9", host=f"pc-{i:03d}", line=i + 2) for i in range(n)
        ]
        return formatter_for(OutputFormat.JSON)(report_of(test_feed, rows), RenderOptions())

    doc = json.loads(text(100))
    assert len(doc["findings"]) == 1
    assert doc["findings"][0]["installations"] == 100
    assert list(doc["advisories"]) == ["MSB-001"]
    assert text(100).count("Critical bug with backports") == 1
    per_row = len(text(101)) - len(text(100))
    assert per_row == len(text(102)) - len(text(101))
    assert per_row < 200


def test_two_names_of_one_product_share_a_finding(test_feed: Feed) -> None:
    rows = [
        make_installation("Meetly Workplace (64-bit)", "5.16.9", host="a", line=2),
        make_installation("meetly", "5.16.9", host="b", line=3),
    ]
    doc = json_of(report_of(test_feed, rows))
    assert [f["id"] for f in doc["findings"]] == ["meetly@5.16.9/windows"]
    assert [(i["name"], i["finding"]) for i in doc["installations"]] == [
        ("Meetly Workplace (64-bit)", "meetly@5.16.9/windows"),
        ("meetly", "meetly@5.16.9/windows"),
    ]


def test_another_policy_context_is_another_finding(test_feed: Feed) -> None:
    """A personal device whose risk the policy raises: same product, version and platform,
    another verdict, so another finding (`#2`); the riskier one comes first."""
    rows = [
        make_installation("meetly", "6.2.3", host="pc", line=2),
        make_installation("meetly", "6.2.3", host="byod", ownership=Ownership.PERSONAL, line=3),
        make_installation("meetly", "6.2.3", host="pc-2", line=4),
    ]
    policy = "devices:\n  personal: {raise_risk: true}\n"
    doc = json_of(report_of(test_feed, rows, policy))
    validate(doc)
    assert [(f["id"], f["risk"], f["installations"]) for f in doc["findings"]] == [
        ("meetly@6.2.3/windows", "medium", 1),
        ("meetly@6.2.3/windows#2", "low", 2),
    ]
    assert [i["finding"] for i in doc["installations"]] == [
        "meetly@6.2.3/windows#2",
        "meetly@6.2.3/windows",
        "meetly@6.2.3/windows#2",
    ]


def test_findings_are_worst_first_and_versions_in_natural_order(test_feed: Feed) -> None:
    rows = [
        make_installation("meetly", v, Platform.LINUX, host=f"h{i}", line=i + 2)
        for i, v in enumerate(["6.2.5", "5.16.10", "5.16.9", "6.1.0", "6.0.9"])
    ]
    doc = json_of(report_of(test_feed, rows))
    ids = [f["id"] for f in doc["findings"]]
    risks = [f["risk"] for f in doc["findings"]]
    order = ["none", "low", "medium", "high", "critical"]
    assert [order.index(r) for r in risks] == sorted((order.index(r) for r in risks), reverse=True)
    outdated = [i for i, f in zip(ids, doc["findings"], strict=True) if f["status"] == "outdated"]
    assert outdated == sorted(
        outdated, key=lambda i: [int(p) for p in i.split("@")[1].split("/")[0].split(".")]
    )
    # Another input order, the same findings in the same order.
    again = json_of(report_of(test_feed, list(reversed(rows))))
    assert [f["id"] for f in again["findings"]] == ids


def test_one_id_two_descriptions_are_keyed_per_product(test_feed: Feed) -> None:
    """Two products' feeds may describe one vendor id differently (Zoom's and Zoom VDI's
    ZSB-26017 differ in title and score): each is then keyed `id@product`."""
    meetly = test_feed.product("meetly")
    assert meetly is not None
    twin = replace(
        meetly,
        id="meetly-vdi",
        name="Meetly VDI",
        advisories=tuple(
            replace(a, title=a.title + " (VDI)") if a.id == "MSB-001" else a
            for a in meetly.advisories
        ),
    )
    feed = replace(test_feed, products=(*test_feed.products, twin))
    rows = [
        make_installation("meetly", "5.16.9", host="a", line=2),
        make_installation("meetly-vdi", "5.16.9", host="b", line=3),
    ]
    doc = json_of(report_of(feed, rows))
    validate(doc)
    assert list(doc["advisories"]) == ["MSB-001@meetly", "MSB-001@meetly-vdi"]
    assert doc["advisories"]["MSB-001@meetly-vdi"]["id"] == "MSB-001"
    assert doc["advisories"]["MSB-001@meetly-vdi"]["title"].endswith("(VDI)")
    assert sorted(a for f in doc["findings"] for a in f["advisories"]) == [
        "MSB-001@meetly",
        "MSB-001@meetly-vdi",
    ]
    # Described alike: one key, both products.
    same = replace(
        feed, products=(*test_feed.products, replace(twin, advisories=meetly.advisories))
    )
    doc = json_of(report_of(same, rows))
    assert list(doc["advisories"]) == ["MSB-001"]
    assert doc["advisories"]["MSB-001"]["products"] == ["meetly", "meetly-vdi"]
    assert set(doc["advisories"]["MSB-001"]["fixed"]) == {"meetly", "meetly-vdi"}


class _Watched:
    """Findings that note how much of the report was written when each row was taken."""

    def __init__(self, findings: list[Finding], stream: io.StringIO) -> None:
        self._findings = findings
        self._stream = stream
        self.written: list[int] = []

    def __len__(self) -> int:
        return len(self._findings)

    def __iter__(self) -> Iterator[Finding]:
        for finding in self._findings:
            self.written.append(len(self._stream.getvalue()))
            yield finding


def test_rows_are_written_as_they_are_taken(test_feed: Feed) -> None:
    """The head (advisories, findings) comes from the report's groups, and each row is
    written before the next is taken: no row waits for the others."""
    rows = [make_installation("meetly", "5.16.9", host=f"pc-{i}", line=i + 2) for i in range(5)]
    report = report_of(test_feed, rows)
    stream = io.StringIO()
    watched = _Watched(list(report.findings), stream)
    writer_for(OutputFormat.JSON)(replace(report, findings=watched), RenderOptions(), stream)
    assert len(watched.written) == 5  # read once: the findings came from the groups
    assert watched.written[0] > 0  # the head was out before the first row was taken
    assert watched.written == sorted(set(watched.written))  # each row out before the next
    assert stream.getvalue() == formatter_for(OutputFormat.JSON)(report, RenderOptions())


def test_a_report_without_groups_reads_its_rows_for_the_findings(test_feed: Feed) -> None:
    rows = [make_installation("meetly", "5.16.9", host=f"pc-{i}", line=i + 2) for i in range(3)]
    report = report_of(test_feed, rows)
    assert json_of(replace(report, groups=())) == json_of(report)


def test_the_readme_jq_example_lists_the_hosts_of_critical_findings(
    test_feed: Feed, tmp_path: Path
) -> None:
    """The README's jq line, run for real (skipped without jq), and the same in Python."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    line = next(x for x in readme.splitlines() if x.startswith("jq ") and "critical" in x)
    rows = [
        make_installation("meetly", "5.16.9", host="pc-b", line=2),
        make_installation("meetly", "6.2.5", host="pc-ok", line=3),
        make_installation("Meetly Workplace (64-bit)", "5.16.9", host="pc-a", line=4),
        make_installation("meetly", "5.16.9", Platform.MACOS, host="mac-1", line=5),
    ]
    report = tmp_path / "report.json"
    report.write_text(json_of_text(report_of(test_feed, rows)), encoding="utf-8")
    doc = json.loads(report.read_text(encoding="utf-8"))
    critical = {f["id"] for f in doc["findings"] if f["risk"] == "critical"}
    expected = sorted({i["host"] for i in doc["installations"] if i["finding"] in critical})
    assert expected == ["mac-1", "pc-a", "pc-b"]
    jq = shutil.which("jq")
    if jq is None:
        pytest.skip("jq is not installed")
    argv = [jq, *_jq_args(line)]
    out = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert sorted(set(out.split())) == expected


def json_of_text(report: AuditReport) -> str:
    return formatter_for(OutputFormat.JSON)(report, RenderOptions())


def _jq_args(line: str) -> list[str]:
    """The arguments of a `jq -r '<program>' report.json` line (no shell involved)."""
    head, program, tail = line[len("jq ") :].split("'", 2)
    return [*head.split(), program, *tail.split("|")[0].split()]


@pytest.mark.parametrize("fmt", [OutputFormat.JSON, OutputFormat.JSONL])
def test_counted_rows_read_again_match_rows_read_one_by_one(
    test_feed: Feed, tmp_path: Path, fmt: OutputFormat
) -> None:
    """Hosts and users that JSON writes as they are, and ones it escapes (a quote, a
    backslash, a control character, non-ASCII, `#[`), in one batch: counted and read again,
    the same bytes as read row by row."""
    from vcaudit.audit import run_audit_counts
    from vcaudit.inventory.sources import aggregate_inventories, read_inventories, reopen_counted

    odd = ['pc "q"', "pc\\b", "pc\x7ftab", "pc-é", "pc-##[x]", "pc-#", "[pc]"]
    lines = ["host,platform,product,version,user"]
    for i in range(40):
        host = odd[i % len(odd)] if i % 3 == 0 else f"pc-{i:03d}"
        user = "" if i % 4 == 0 else ("ann#[" if i % 5 == 0 else f"u{i}")
        lines.append(f'"{host.replace(chr(34), chr(34) * 2)}",windows,meetly,5.16.9,{user}')
    plain = [f"pc-{i:03d},windows,meetly,5.16.9,u{i}" for i in range(40)]
    for name, rows in (("odd.csv", lines), ("plain.csv", [lines[0], *plain])):
        path = tmp_path / name
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        policy = parse_policy("", "vcaudit.yaml").policy
        counted = run_audit_counts(
            aggregate_inventories([str(path)]), test_feed, policy, TODAY, reopen=reopen_counted
        )
        one_by_one = run_audit(read_inventories([str(path)]), test_feed, policy, TODAY)
        text = formatter_for(fmt)(counted, RenderOptions())
        assert text == formatter_for(fmt)(one_by_one, RenderOptions()), name
        assert "#[" not in text
    doc_lines = text.splitlines()
    assert any('"host":"pc-001"' in line for line in doc_lines)


def test_the_policy_records_the_data_protection_rules_applied(test_feed: Feed) -> None:
    rows = [make_installation("meetly", "6.2.5")]
    policy = "data_protection:\n  require: [e2ee_available, self_hostable]\n  unknown: fail\n"
    doc = json_of(report_of(test_feed, rows, policy))
    assert doc["policy"]["data_protection"] == {
        "require": ["e2ee_available", "self_hostable"],
        "unknown": "fail",
    }
