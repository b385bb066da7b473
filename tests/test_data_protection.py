"""The data-protection sheet (issue #19): the feed's `data_protection` block, its validation,
`vcaudit products --data`, `vcaudit product ID` and the policy's `data_protection` rules."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.conftest import TEST_FEED_DIR, TODAY, make_installation
from vcaudit.audit import run_audit
from vcaudit.cli import main
from vcaudit.config import parse_policy
from vcaudit.errors import FeedError, InputError
from vcaudit.feed import compiled
from vcaudit.feed.load import load_feed
from vcaudit.models import Assessment, AuditReport, Fact, FactName, Feed, Risk, Status
from vcaudit.output import dataprotection
from vcaudit.policy import Policy

ROOT = Path(__file__).resolve().parent.parent
FEED_SCHEMA = json.loads((ROOT / "schema" / "feed.schema.json").read_text(encoding="utf-8"))
META = "schema_version: 1\ngenerated_at: '2026-01-01T00:00:00Z'\npublisher: tests\n"
SOURCE = "source: 'https://example.com/privacy', read: '2026-01-10'"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def sheet(**facts: str) -> str:
    """A complete `data_protection` block (every fact unknown), with `facts` written in as the
    flow mappings given (replacing the fact, or added at the end)."""
    names = [n.value for n in FactName if n is not FactName.END_OF_LIFE]
    text = "data_protection:\n" + "".join(f"  {n}: {{value: unknown}}\n" for n in names)
    for key, flow in facts.items():
        pattern = re.compile(rf"^  {key}: .*\n", re.M)
        line = f"  {key}: {flow}\n"
        found = pattern.search(text)
        text = text[: found.start()] + line + text[found.end() :] if found else text + line
    return text


def demo_feed(tmp_path: Path, block: str, *, eol: bool = False) -> Path:
    folder = tmp_path / "feed"
    folder.mkdir(parents=True)
    (folder / "feed.yaml").write_text(META, encoding="utf-8")
    life = (
        "lifecycle: {status: eol, sources: ['https://example.com/retired']}\n"
        if eol
        else "lifecycle: {status: supported}\n"
    )
    (folder / "demo.yaml").write_text(
        "id: demo\nname: Demo\nvendor: Example\n" + life + block, encoding="utf-8"
    )
    return folder


# ---------------------------------------------------------------------------------------------
# The feed


def test_the_test_feed_sheets_load_with_values_sources_and_dates(test_feed: Feed) -> None:
    meetly = test_feed.product("meetly")
    assert meetly is not None
    e2ee = meetly.fact(FactName.E2EE_AVAILABLE)
    assert e2ee == Fact(
        FactName.E2EE_AVAILABLE, True, "https://example.com/help/e2ee", dt.date(2026, 1, 10)
    )
    assert meetly.fact(FactName.E2EE_DEFAULT).value is False
    assert meetly.fact(FactName.MEDIA_PROCESSING).value == (
        "the vendor data centre nearest the meeting host"
    )
    unknown = meetly.fact(FactName.SELF_HOSTABLE)
    assert (unknown.value, unknown.known, unknown.shown) == (None, False, "unknown")
    assert meetly.fact(FactName.EU_RESIDENCY_OPTION).note == "Business plan and above"
    # In the sheet's order, without end_of_life for a supported product.
    assert [f.name for f in meetly.data_protection] == [
        n for n in FactName if n is not FactName.END_OF_LIFE
    ]
    chatter = test_feed.product("chatter")
    assert chatter is not None
    assert chatter.lifecycle.eol
    assert chatter.fact(FactName.END_OF_LIFE).shown.startswith("no further security")
    slackish = test_feed.product("slackish")
    assert slackish is not None
    assert [f.value for f in slackish.data_protection] == [None] * 12


def test_a_feed_without_sheets_still_loads_but_does_not_validate(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """An older installed feed keeps working for scans; a feed validated, imported or updated
    must have a sheet for every product."""
    folder = demo_feed(tmp_path, "")
    product = load_feed(folder).product("demo")
    assert product is not None
    assert product.data_protection == ()
    assert product.fact(FactName.DPA_AVAILABLE) == Fact(FactName.DPA_AVAILABLE, None)
    for text in (
        dataprotection.render_sheets(load_feed(folder), False, 80),
        dataprotection.render_sheet(product, False, 80),
    ):
        assert "the feed has no data-protection sheet for this product yet" in text
    code, _, err = run(capsys, "feed", "validate", str(folder))
    assert code == 4
    assert f"{folder / 'demo.yaml'}: data_protection: is required: every product says" in err


def test_a_complete_sheet_loads_and_matches_the_schema(tmp_path: Path) -> None:
    block = sheet(
        e2ee_available=f"{{value: true, {SOURCE}, note: 'on paid plans'}}",
        media_processing=f"{{value: 'EU data centres', {SOURCE}}}",
    )
    folder = demo_feed(tmp_path, block)
    product = load_feed(folder).product("demo")
    assert product is not None
    assert product.fact(FactName.E2EE_AVAILABLE).value is True
    assert product.fact(FactName.MEDIA_PROCESSING).value == "EU data centres"
    doc = yaml.safe_load((folder / "demo.yaml").read_text(encoding="utf-8"))
    doc["data_protection"]["e2ee_available"]["read"] = "2026-01-10"
    doc["data_protection"]["media_processing"]["read"] = "2026-01-10"
    validator = jsonschema.Draft202012Validator(FEED_SCHEMA)
    assert [e.message for e in validator.iter_errors(doc)] == []
    del doc["data_protection"]["e2ee_available"]["source"]
    assert [e.message for e in validator.iter_errors(doc)] != []


BAD_SHEETS = [
    pytest.param(
        sheet(e2ee_available="{value: true, read: '2026-01-10'}"),
        "data_protection.e2ee_available.source: is required",
        id="no-source",
    ),
    pytest.param(
        sheet(e2ee_available="{value: true, source: 'https://example.com/p'}"),
        "data_protection.e2ee_available.read: is required",
        id="no-read-date",
    ),
    pytest.param(
        sheet(media_processing="{value: 'in the EU', source: 'the vendor', read: '2026-01-10'}"),
        "data_protection.media_processing.source: expected the http(s) URL",
        id="source-not-a-url",
    ),
    pytest.param(
        sheet(e2ee_available="{value: true, source: 'ftp://example.com/p', read: '2026-01-10'}"),
        "data_protection.e2ee_available.source: expected the http(s) URL",
        id="source-not-http",
    ),
    pytest.param(
        sheet(e2ee_available=f"{{value: true, {SOURCE.replace('2026-01-10', 'last week')}}}"),
        "data_protection.e2ee_available.read: expected a date",
        id="read-not-a-date",
    ),
    pytest.param(
        sheet(e2e_available=f"{{value: true, {SOURCE}}}"),
        "data_protection.e2e_available: not a data-protection fact",
        id="unknown-fact-name",
    ),
    pytest.param(
        sheet(e2ee_available=f"{{value: 'yes', {SOURCE}}}"),
        "data_protection.e2ee_available.value: expected true, false or unknown",
        id="text-for-a-yes-no-fact",
    ),
    pytest.param(
        sheet(media_processing=f"{{value: true, {SOURCE}}}"),
        "data_protection.media_processing.value: expected text, or unknown",
        id="yes-no-for-a-text-fact",
    ),
    pytest.param(
        sheet(dpa_available="{source: 'https://example.com/dpa', read: '2026-01-10'}"),
        "data_protection.dpa_available.value: expected true, false or unknown",
        id="no-value",
    ),
    pytest.param(
        sheet(dpa_available=f"{{value: true, {SOURCE}, said: 'x'}}"),
        "data_protection.dpa_available.said: unknown key",
        id="unknown-key-in-a-fact",
    ),
    pytest.param(
        "data_protection:\n  e2ee_available: {value: unknown}\n",
        "data_protection: missing vendor_entity, media_processing, eu_residency_option",
        id="facts-missing",
    ),
    pytest.param(
        sheet(end_of_life=f"{{value: 'no more fixes', {SOURCE}}}"),
        "data_protection.end_of_life: only an end-of-life product",
        id="end-of-life-on-a-supported-product",
    ),
    pytest.param(
        "data_protection: [e2ee_available]\n",
        "data_protection: expected a mapping",
        id="not-a-mapping",
    ),
]


@pytest.mark.parametrize(("block", "message"), BAD_SHEETS)
def test_feed_validate_refuses_a_bad_sheet_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, block: str, message: str
) -> None:
    folder = demo_feed(tmp_path, block)
    with pytest.raises(FeedError, match=re.escape(message)):
        load_feed(folder)
    code, out, err = run(capsys, "feed", "validate", str(folder))
    assert code == 4, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"vcaudit: error: {folder / 'demo.yaml'}, line ")
    assert message in lines[0]
    assert "Traceback" not in err
    assert out == ""


def test_an_end_of_life_product_says_so_in_its_sheet(tmp_path: Path) -> None:
    with pytest.raises(FeedError, match="missing end_of_life"):
        load_feed(demo_feed(tmp_path / "a", sheet(), eol=True))
    block = sheet(end_of_life=f"{{value: 'no further fixes', {SOURCE}}}")
    product = load_feed(demo_feed(tmp_path / "b", block, eol=True)).product("demo")
    assert product is not None
    assert product.fact(FactName.END_OF_LIFE).value == "no further fixes"


def test_unknown_facts_need_no_source_but_a_source_given_is_checked(tmp_path: Path) -> None:
    block = sheet(dpa_available="{value: unknown, note: 'the DPA page was not found'}")
    product = load_feed(demo_feed(tmp_path / "a", block)).product("demo")
    assert product is not None
    assert product.fact(FactName.DPA_AVAILABLE) == Fact(
        FactName.DPA_AVAILABLE, None, note="the DPA page was not found"
    )
    with pytest.raises(FeedError, match=r"dpa_available\.source: expected the http"):
        load_feed(demo_feed(tmp_path / "b", sheet(dpa_available="{value: unknown, source: x}")))


@pytest.mark.parametrize(
    ("facts", "message"),
    [
        pytest.param(
            {"e2ee_available": f"{{value: true, {SOURCE.replace('2026-01-10', '2999-01-01')}}}"},
            "data_protection.e2ee_available.read: 2999-01-01 is in the future",
            id="read-in-the-future",
        ),
        pytest.param(
            {
                "e2ee_available": f"{{value: false, {SOURCE}}}",
                "e2ee_default": f"{{value: true, {SOURCE}}}",
            },
            "data_protection.e2ee_default.value: end-to-end encryption cannot be on by default",
            id="on-by-default-but-unavailable",
        ),
    ],
)
def test_feed_validate_refuses_a_sheet_that_cannot_be_true(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, facts: dict[str, str], message: str
) -> None:
    folder = demo_feed(tmp_path, sheet(**facts))
    code, _, err = run(capsys, "feed", "validate", str(folder))
    assert code == 4
    assert f"{folder / 'demo.yaml'}, line " in err
    assert message in err


def test_the_compiled_feed_keeps_the_sheets(test_feed: Feed) -> None:
    data = compiled.dumps(test_feed, version="1", source="s")
    assert compiled.loads(data, version="1", source="s") == test_feed
    assert compiled.FORMAT == "vcaudit compiled feed 2"
    # A fact's value is yes/no, text or unknown (null): a number is a damaged copy.
    head, _, payload = data.partition(b"\n")
    damaged = payload.replace(b'"value":true', b'"value":1', 1)
    assert damaged != payload
    header = json.loads(head)
    header["payload"] = hashlib.sha256(damaged).hexdigest()
    with pytest.raises(compiled.Mismatch, match="expected one of"):
        compiled.loads(
            json.dumps(header, sort_keys=True).encode() + b"\n" + damaged,
            version="1",
            source="s",
        )


# ---------------------------------------------------------------------------------------------
# vcaudit products --data, vcaudit product ID


def test_products_data_shows_every_sheet(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "products", "--data", "--feed", str(TEST_FEED_DIR))
    assert code == 0, err
    for name in ("Meetly Workplace (meetly)", "Chatter (chatter)", "Slackish (slackish)"):
        assert name in out
    assert re.search(r"End-to-end encryption available +yes", out)
    assert re.search(r"End-to-end encryption on by default +no", out)
    assert re.search(r"Can be self-hosted +unknown", out)
    no_fixes = r"No further fixes \(vendor statement\) +no further security or privacy fixes"
    assert re.search(no_fixes, out)
    assert "no data-protection sheet" not in out
    assert "not legal advice" in out


def test_the_sheets_are_readable_at_80_columns(test_feed: Feed) -> None:
    for text in (
        dataprotection.render_sheets(test_feed, False, 80),
        *(dataprotection.render_sheet(p, False, 80) for p in test_feed.products),
    ):
        for line in text.splitlines():
            # URLs are printed whole (a URL cut in two cannot be opened); the rest wraps.
            assert len(line) <= 80 or line.strip().startswith("read "), line
            assert line == line.rstrip()


def test_products_data_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "products", "--data", "--format", "json", "--feed", str(TEST_FEED_DIR)
    )
    assert code == 0
    doc = json.loads(out)
    products = {p["id"]: p for p in doc["products"]}
    assert set(products) == {"chatter", "meetly", "slackish"}
    meetly = products["meetly"]
    assert meetly["sheet"] is True
    assert meetly["data_protection"]["e2ee_available"] == {
        "value": True,
        "source": "https://example.com/help/e2ee",
        "read": "2026-01-10",
        "note": None,
    }
    assert meetly["data_protection"]["self_hostable"]["value"] is None
    assert "end_of_life" not in meetly["data_protection"]
    assert "end_of_life" in products["chatter"]["data_protection"]
    assert products["slackish"]["sheet"] is True
    assert all(f["value"] is None for f in products["slackish"]["data_protection"].values())


def test_product_shows_each_fact_with_its_source_and_read_date(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "product", "meetly", "--feed", str(TEST_FEED_DIR))
    assert code == 0, err
    assert out.startswith("Meetly Workplace (meetly), Example Corp\n")
    block = out[out.index("Can be kept in the EU/EEA: yes") :]
    assert block.splitlines()[1:3] == [
        "  Business plan and above",
        "  read 2026-01-10: https://example.com/trust/residency",
    ]
    assert "Can be self-hosted: unknown\n\n" in out
    assert "https://example.com/legal/dpa" in out
    assert "not legal advice" in out
    code, upper, _ = run(capsys, "product", "MEETLY", "--feed", str(TEST_FEED_DIR))
    assert (code, upper) == (0, out)


def test_product_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "product", "chatter", "--format", "json", "--feed", str(TEST_FEED_DIR)
    )
    assert code == 0
    product = json.loads(out)["product"]
    assert (product["id"], product["eol"]) == ("chatter", True)
    assert product["data_protection"]["end_of_life"]["source"] == (
        "https://example.com/chatter-retired"
    )


def test_an_unknown_product_is_one_line_and_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, err = run(capsys, "product", "zoomx\x1b[2J", "--feed", str(TEST_FEED_DIR))
    assert code == 2
    assert out == ""
    assert err.splitlines()[0] == "vcaudit: error: no product 'zoomx\\x1b[2J' in the feed"
    assert "\x1b" not in err


def test_feed_text_in_a_sheet_cannot_drive_the_terminal_or_rich(tmp_path: Path) -> None:
    block = sheet(
        media_processing=f'{{value: "\\e[2J[red]x[/red] ::error::boom \\u202e", {SOURCE}}}',
        dpa_available=f'{{value: true, {SOURCE}, note: "[bold]n[/bold]\\a"}}',
    )
    feed = load_feed(demo_feed(tmp_path, block))
    product = feed.product("demo")
    assert product is not None
    for text in (
        dataprotection.render_sheet(product, True, 100),
        dataprotection.render_sheets(feed, True, 100),
    ):
        assert "\x1b[2J" not in text
        assert "\x07" not in text
        assert "\u202e" not in text
        assert "[red]x[/red]" in text
        assert "::error::" not in text
    assert "[bold]n[/bold]" in dataprotection.render_sheet(product, True, 100)


# ---------------------------------------------------------------------------------------------
# The policy's data_protection rules


def policy(text: str) -> Policy:
    return parse_policy(text, "vcaudit.yaml").policy


def verdict(
    feed: Feed, pol: Policy, product: str = "meetly", version: str = "6.2.5"
) -> tuple[AuditReport, Assessment]:
    report = run_audit([make_installation(product, version)], feed, pol, TODAY)
    (finding,) = list(report.findings)
    return report, finding.assessment


def test_a_product_meeting_the_requirements_stays_current(test_feed: Feed) -> None:
    pol = policy("data_protection: {require: [e2ee_available, dpa_available, local_recording]}")
    report, assessment = verdict(test_feed, pol)
    assert assessment.status is Status.CURRENT
    (entry,) = report.data_protection.products
    assert (entry.unmet, entry.unknown) == ((), ())
    assert report.warnings == ()


def test_a_required_fact_answered_no_makes_the_product_unapproved(test_feed: Feed) -> None:
    pol = policy(
        "data_protection: {require: [e2ee_available, e2ee_default, recording_location_selectable]}"
    )
    report, assessment = verdict(test_feed, pol)
    assert assessment.status is Status.UNAPPROVED
    assert assessment.risk is Risk.MEDIUM
    assert assessment.reason == (
        "does not meet data_protection.require: e2ee_default (no), "
        "recording_location_selectable (no)"
    )
    (entry,) = report.data_protection.products
    assert entry.unmet == (FactName.E2EE_DEFAULT, FactName.RECORDING_LOCATION_SELECTABLE)


def test_the_unmet_requirement_joins_the_approved_list_reason(test_feed: Feed) -> None:
    pol = policy("approved: [slackish]\ndata_protection: {require: [e2ee_default]}")
    _, assessment = verdict(test_feed, pol)
    assert assessment.reason == (
        "not on the approved list; does not meet data_protection.require: e2ee_default (no)"
    )


def test_a_vulnerable_product_missing_a_requirement_is_still_vulnerable(test_feed: Feed) -> None:
    pol = policy("data_protection: {require: [e2ee_default]}\nfail_on: critical")
    _, plain = verdict(test_feed, Policy(fail_on=Risk.CRITICAL), version="5.16.9")
    _, assessment = verdict(test_feed, pol, version="5.16.9")
    assert assessment.status is Status.VULNERABLE
    assert assessment.risk >= max(plain.risk, Risk.MEDIUM)


def test_an_unknown_required_fact_is_reported_by_default(test_feed: Feed) -> None:
    pol = policy("data_protection: {require: [self_hostable, e2ee_available]}")
    report, assessment = verdict(test_feed, pol)
    assert assessment.status is Status.CURRENT
    (entry,) = report.data_protection.products
    assert (entry.unmet, entry.unknown) == ((), (FactName.SELF_HOSTABLE,))
    assert report.data_protection.unknown_fails is False
    (warning,) = report.warnings
    assert warning.startswith(
        "Meetly Workplace: the data-protection sheet does not state self_hostable, which the "
        "policy requires"
    )


def test_an_unknown_required_fact_fails_with_unknown_fail(test_feed: Feed) -> None:
    pol = policy("data_protection: {require: [self_hostable], unknown: fail}")
    report, assessment = verdict(test_feed, pol)
    assert assessment.status is Status.UNAPPROVED
    assert assessment.reason == "does not meet data_protection.require: self_hostable (unknown)"
    assert report.data_protection.unknown_fails is True
    assert report.warnings == ()


def test_a_product_without_a_sheet_is_unknown_on_every_requirement(tmp_path: Path) -> None:
    feed = load_feed(demo_feed(tmp_path, ""))
    report, assessment = verdict(
        feed, policy("data_protection: {require: [dpa_available]}"), "demo", "1.0"
    )
    assert assessment.status is not Status.UNAPPROVED
    assert report.data_protection.products[0].unknown == (FactName.DPA_AVAILABLE,)
    _, failing = verdict(
        feed, policy("data_protection: {require: [dpa_available], unknown: fail}"), "demo", "1.0"
    )
    assert failing.status is Status.UNAPPROVED
    assert "dpa_available (unknown)" in failing.reason


def test_the_verdict_is_still_decided_once_per_distinct_installation(test_feed: Feed) -> None:
    pol = policy("data_protection: {require: [e2ee_default]}")
    rows = [make_installation("meetly", "6.2.5", host=f"pc-{i}") for i in range(50)]
    report = run_audit(rows, test_feed, pol, TODAY)
    assessments = {id(f.assessment) for f in report.findings}
    assert len(assessments) == 1
    (entry,) = report.data_protection.products
    assert (entry.hosts, entry.installations) == (50, 50)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param(
            "data_protection: {require: [e2ee_available, e2e]}",
            "vcaudit.yaml, line 1: data_protection.require[1]: 'e2e' is not a data-protection fact",
            id="unknown-fact",
        ),
        pytest.param(
            "data_protection:\n  require:\n    - dpa_available\n    - media_processing\n",
            "vcaudit.yaml, line 4: data_protection.require[1]: 'media_processing' is text, not a "
            "yes/no fact",
            id="text-fact",
        ),
        pytest.param(
            "data_protection: {require: [dpa_available], unknown: ignore}",
            "vcaudit.yaml, line 1: data_protection.unknown: expected report (the default) or fail",
            id="unknown-mode",
        ),
        pytest.param(
            "data_protection: {require: dpa_available, unknown: fail, strict: true}",
            "data_protection.strict: unknown key",
            id="unknown-key",
        ),
        pytest.param(
            "data_protection: {require: {dpa_available: true}}",
            "data_protection.require: expected a list",
            id="not-a-list",
        ),
    ],
)
def test_bad_data_protection_policy_values(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(InputError, match=re.escape(message)):
        parse_policy(text, "vcaudit.yaml")
    config = tmp_path / "vcaudit.yaml"
    config.write_text(text, encoding="utf-8")
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host,platform,product,version\npc-1,windows,meetly,6.2.5\n", encoding="utf-8")
    code, _, err = run(
        capsys, "scan", str(fleet), "--config", str(config), "--feed", str(TEST_FEED_DIR)
    )
    assert code == 3
    (line,) = err.splitlines()
    assert line.startswith(f"vcaudit: error: {config}")
    assert message.removeprefix("vcaudit.yaml") in line


def test_the_example_policy_documents_the_keys() -> None:
    from vcaudit.config import EXAMPLE

    assert "# data_protection:\n#   require: [" in EXAMPLE
    uncommented = (
        EXAMPLE.replace("# data_protection:", "data_protection:")
        .replace("#   require:", "  require:")
        .replace("#   unknown:", "  unknown:")
    )
    rules = parse_policy(uncommented, "example").policy.data_protection
    assert rules.require == (FactName.EU_RESIDENCY_OPTION, FactName.DPA_AVAILABLE)
    assert rules.unknown_fails is False


def test_the_readme_explains_the_sheet_and_its_policy_keys() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("### `vcaudit products --data`, `vcaudit product ID`")
    section = readme[start : readme.index("\n### ", start + 1)]
    assert "data protection impact assessment (DPIA), not legal\nadvice" in section
    block = section[
        section.index("```yaml\n") + 8 : section.index("```", section.index("```yaml") + 7)
    ]
    rules = parse_policy(block, "README.md").policy.data_protection
    assert set(rules.require) == {name for name in FactName if name.boolean}
    assert rules.unknown_fails is False
