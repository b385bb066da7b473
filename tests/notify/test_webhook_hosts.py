"""Webhook messages name the hosts of each finding and link its advisories, and untrusted text
never becomes a link or markup in Slack or Teams."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import TEST_FEED_DIR, TODAY, make_installation
from tests.notify.conftest import Hooks
from vcaudit.advice import reference_url
from vcaudit.audit import run_audit
from vcaudit.cli import main
from vcaudit.models import AuditReport, Feed, Installation
from vcaudit.notify.digest import build
from vcaudit.notify.kinds import WebhookFormat
from vcaudit.notify.webhook import MAX_HOSTS, payload
from vcaudit.policy import Policy

CRITICAL = "5.16.9"  # MSB-001 in the test feed, https://example.com/MSB-001
HOSTILE = "[pwn](https://evil.example) www.evil.example <http://evil.example> @channel"


def report_of(feed: Feed, rows: list[Installation]) -> AuditReport:
    return run_audit(rows, feed, Policy(), TODAY)


def body(fmt: WebhookFormat, report: AuditReport) -> dict[str, Any]:
    return payload(fmt, report, build(report, None), None)


def many_hosts(count: int) -> list[Installation]:
    return [
        make_installation("meetly", CRITICAL, host=f"pc-{n}", line=n + 1)
        for n in range(count, 0, -1)
    ]


def test_json_findings_name_hosts_and_link_advisories(test_feed: Feed) -> None:
    report = report_of(test_feed, many_hosts(MAX_HOSTS + 3))
    (finding,) = body(WebhookFormat.JSON, report)["findings"]
    assert finding["hosts"] == MAX_HOSTS + 3
    assert finding["host_names"] == [f"pc-{n}" for n in range(1, MAX_HOSTS + 1)]
    assert finding["more_hosts"] == 3
    assert finding["risk"] == "critical"
    assert {"id": "MSB-001", "url": "https://example.com/MSB-001"} in finding["advisories"]
    assert finding["text"].startswith("critical vulnerable: Meetly Workplace 5.16.9 (windows)")


def test_slack_names_hosts_and_links_advisories_as_slack_links(test_feed: Feed) -> None:
    report = report_of(test_feed, many_hosts(3))
    text = json.dumps(body(WebhookFormat.SLACK, report))
    assert "hosts: pc-1, pc-2, pc-3" in text
    assert "<https://example.com/MSB-001|MSB-001>" in text


def test_slack_keeps_hostile_names_plain(test_feed: Feed) -> None:
    rows = [make_installation("meetly", CRITICAL, host=HOSTILE)]
    dumped = json.dumps(body(WebhookFormat.SLACK, report_of(test_feed, rows)))
    assert "<http://evil.example>" not in dumped
    assert "&lt;http://evil.example&gt;" in dumped


def test_teams_names_hosts_links_advisories_and_keeps_hostile_text_plain(
    test_feed: Feed,
) -> None:
    rows = [make_installation("meetly", CRITICAL, host=HOSTILE)]
    card = body(WebhookFormat.TEAMS, report_of(test_feed, rows))
    texts = [block["text"] for block in card["attachments"][0]["content"]["body"]]
    hosts = next(t for t in texts if t.startswith("hosts: "))
    # What Teams' Markdown would make a link is broken by a zero-width space, the words kept.
    assert "](" not in hosts
    assert "://" not in hosts
    assert "www." not in hosts
    assert hosts.replace("\u200b", "") == f"hosts: {HOSTILE}"
    links = next(t for t in texts if t.startswith("advisories: "))
    assert "[MSB-001](https://example.com/MSB-001)" in links


def test_a_slack_finding_list_is_split_between_sections_never_cut(test_feed: Feed) -> None:
    long_host = "h" * 39
    rows = [
        make_installation("meetly", v, host=f"{long_host}{n}", line=n)
        for n, v in enumerate(["5.16.9", "6.0.1", "6.2.3", "5.9.0", "6.1.0"] * 30, start=2)
    ]
    blocks = body(WebhookFormat.SLACK, report_of(test_feed, rows))["blocks"]
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert len(sections) > 2  # the findings did not fit one section
    assert all(len(s) <= 3000 for s in sections)
    for section in sections:
        # Every Slack link opened in a section is closed in it.
        assert section.count("<https://") == section.count("|MSB-")


def test_reference_url_skips_what_a_message_would_read_as_markup(test_feed: Feed) -> None:
    import dataclasses

    advisory = next(a for p in test_feed.products for a in p.advisories if a.id == "MSB-001")
    odd = dataclasses.replace(
        advisory,
        references=("ftp://x", "https://a|b", "https://ok.example/x?y=1", "https://later"),
    )
    assert reference_url(odd) == "https://ok.example/x?y=1"
    assert reference_url(dataclasses.replace(advisory, references=("javascript:x",))) == ""
    # The same plain web address the HTML report links: no look-alike letter, no overlong one.
    lookalike = dataclasses.replace(advisory, references=("https://ex\u0430mple.com/x",))
    assert reference_url(lookalike) == ""
    overlong = dataclasses.replace(advisory, references=("https://a.example/" + "x" * 3000,))
    assert reference_url(overlong) == ""
    parens = dataclasses.replace(advisory, references=("https://a.example/(x)",))
    assert reference_url(parens) == ""
    assert reference_url(parens, escaped=True) == "https://a.example/(x)"


def test_each_webhook_takes_the_kind_it_names_or_its_host_takes() -> None:
    from vcaudit.notify.kinds import split_hook

    slack = "https://hooks.slack.com/services/T0/B0/x"
    teams = "https://prod-12.westeurope.logic.azure.com:443/workflows/abc/triggers/manual"
    office = "https://contoso.webhook.office.com/webhookb2/abc"
    plain = "https://hooks.example.com/a?x=1"
    assert split_hook(f"teams={plain}") == (WebhookFormat.TEAMS, plain)
    assert split_hook(f"json={slack}") == (WebhookFormat.JSON, slack)  # named wins
    assert split_hook(slack) == (WebhookFormat.SLACK, slack)
    assert split_hook(teams) == (WebhookFormat.TEAMS, teams)
    assert split_hook(office) == (WebhookFormat.TEAMS, office)
    assert split_hook(plain) == (WebhookFormat.JSON, plain)
    assert split_hook(plain, WebhookFormat.SLACK) == (WebhookFormat.SLACK, plain)
    # A query's '=' is no kind; an unknown word before '=' neither.
    assert split_hook("https://a.example/?k=v") == (WebhookFormat.JSON, "https://a.example/?k=v")
    assert split_hook("discord=https://a.example/") == (
        WebhookFormat.JSON,
        "discord=https://a.example/",
    )


def test_two_webhooks_of_two_kinds_each_get_their_own(
    tmp_path: Path, hooks: tuple[Hooks, str]
) -> None:
    state, url = hooks
    fleet = tmp_path / "fleet.csv"
    fleet.write_text(
        "host,platform,product,version\npc-1,windows,meetly,5.16.9\n", encoding="utf-8"
    )
    code = main(
        [
            "scan", str(fleet), "--feed", str(TEST_FEED_DIR), "--as-of", "2026-01-15",
            "--fail-on", "none", "-q",
            "--webhook", f"slack={url}/s", "--webhook", f"teams={url}/t",
            "--webhook", f"{url}/j",
        ]
    )  # fmt: skip
    assert code == 0
    path = url.split("127.0.0.1:", 1)[1].split("/", 1)[1]
    received = state.by_path
    assert "blocks" in received[f"/{path}/s"]
    assert received[f"/{path}/t"]["attachments"][0]["content"]["type"] == "AdaptiveCard"
    assert "findings" in received[f"/{path}/j"]


def test_a_webhook_format_given_twice_with_two_kinds_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_text("host,product,version\npc-1,meetly,5.16.9\n", encoding="utf-8")
    code = main(
        [
            "scan", str(fleet), "--feed", str(TEST_FEED_DIR),
            "--webhook", "https://a.example/1", "--webhook-format", "slack",
            "--webhook", "https://a.example/2", "--webhook-format", "teams",
        ]
    )  # fmt: skip
    assert code == 2
    err = capsys.readouterr().err
    assert "--webhook-format given more than once" in err
    assert "slack=https://" in err
