"""The finding store: same findings, same order, whether in memory or spilled to disk."""

from __future__ import annotations

import os

from tests.conftest import TODAY, make_installation
from vcaudit.audit import run_audit
from vcaudit.models import Feed, Finding, Ownership, Platform
from vcaudit.output import OutputFormat, RenderOptions, formatter_for
from vcaudit.policy import Policy
from vcaudit.spool import FindingStore


def test_spilled_findings_come_back_identical(test_feed: Feed) -> None:
    report = run_audit(
        [
            make_installation("meetly", "5.16.9", host="a", line=2),
            make_installation(
                "com.example.meetly",
                "6.1.5",
                Platform.MACOS,
                host="b",
                line=3,
                ownership=Ownership.PERSONAL,
            ),
            make_installation("nonesuch", "1", Platform.LINUX, host="c", line=4),
        ],
        test_feed,
        Policy(),
        TODAY,
    )
    originals = list(report.findings)
    store = FindingStore(memory_limit=1)
    for finding in originals:
        store.append(finding)
    assert store.spilled
    assert len(store) == 3
    assert list(store) == originals
    assert list(store) == originals  # iterable more than once
    path = store._path
    assert os.path.exists(path)
    store.close()
    assert not os.path.exists(path)


def test_assessments_stay_shared_after_spilling(test_feed: Feed) -> None:
    rows = [make_installation("meetly", "5.16.9", host=f"h{i}", line=i + 2) for i in range(5)]
    report = run_audit(rows, test_feed, Policy(), TODAY, memory_limit=2)
    findings: list[Finding] = list(report.findings)
    assert len({id(f.assessment) for f in findings}) == 1


def test_report_bytes_do_not_depend_on_spilling(test_feed: Feed) -> None:
    rows = [
        make_installation(product, version, host=f"h{i}", line=i + 2)
        for i, (product, version) in enumerate(
            [("meetly", "5.16.9"), ("chatter", "8.1"), ("meetly", "6.2.5"), ("x", "1")] * 3
        )
    ]
    render = formatter_for(OutputFormat.JSON)
    in_memory = render(run_audit(rows, test_feed, Policy(), TODAY), RenderOptions())
    spilled = render(run_audit(rows, test_feed, Policy(), TODAY, memory_limit=3), RenderOptions())
    assert in_memory == spilled
