"""The options of `vcaudit scan`, one alias each, so the command reads as a list of them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vcaudit.console import ColorMode
from vcaudit.inventory.formats import InputFormat
from vcaudit.models import Platform
from vcaudit.notify.kinds import Attachment, Security, WebhookFormat
from vcaudit.output import OutputFormat

ColumnsOption = Annotated[
    str | None,
    typer.Option(
        "--columns",
        metavar="FIELD=HEADER,...",
        help="Map a CSV's own headers to vcaudit's fields, e.g. "
        "'host=Computer,product=App,version=Ver' (fields: host, platform, product, version, "
        "publisher, owner, ownership, user, tags, last_seen). Common headers (Hostname, Computer "
        "Name, Application, Display Version, OS, ...) are recognised without it.",
    ),
]


PlatformOption = Annotated[
    Platform | None,
    typer.Option(
        "--platform",
        help="Platform of rows that give none and whose product does not say (a bundle id, an "
        ".app or a package name does).",
    ),
]


EncodingOption = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        metavar="NAME",
        help="Text encoding of inventories that are neither UTF-8 nor UTF-16: Excel's plain "
        "'CSV' is in the computer's code page (cp1252 in Western Europe, cp1250 Central "
        "Europe...). Default: UTF-8, or as a byte-order mark says.",
    ),
]


AllowEmptyOption = Annotated[
    bool,
    typer.Option(
        "--allow-empty",
        help="Accept an inventory that yields no installation (exit 3 otherwise).",
    ),
]


InventoryFlag = Annotated[
    list[str] | None,
    typer.Argument(
        metavar="[INVENTORY]...",
        help="Inventories or exports (native CSV/JSON/JSONL/YAML, osquery, Fleet, Intune, "
        "Jamf, ConfigMgr, dpkg/rpm/flatpak/snap); '-' reads stdin; none: this machine.",
    ),
]


OutputFormatFlag = Annotated[OutputFormat, typer.Option("--format", "-f", help="Report format.")]


OutputFlag = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write the report to FILE (atomically) instead of stdout.",
    ),
]


ReportsFlag = Annotated[
    list[str] | None,
    typer.Option(
        "--report",
        metavar="FORMAT=PATH",
        help="Also write a report in FORMAT to PATH; repeatable (json=out.json, sarif=...).",
    ),
]


FailOnFlag = Annotated[
    str | None,
    typer.Option(
        "--fail-on",
        envvar="VCAUDIT_FAIL_ON",
        metavar="LEVEL",
        help="Exit 1 when a finding reaches LEVEL: none|low|medium|high|critical "
        "('none' never fails). Default: the policy file's fail_on, else high.",
    ),
]


DetailsFlag = Annotated[
    bool,
    typer.Option(
        "--details", help="One row per installation instead of groups (the worst 10,000)."
    ),
]


StrictFlag = Annotated[
    bool | None,
    typer.Option("--strict/--no-strict", help="Unknown products and versions fail the run."),
]


FailOnReviewFlag = Annotated[
    bool | None,
    typer.Option(
        "--fail-on-review/--no-fail-on-review",
        help="An advisory to review (affected versions not published yet) fails the run "
        "when its severity reaches --fail-on. Default: the policy file's review.",
    ),
]


MaxFeedAgeFlag = Annotated[
    int | None,
    typer.Option(
        "--max-feed-age",
        metavar="DAYS",
        min=0,
        help="Exit 4 when the feed is older than DAYS (after writing the report).",
    ),
]


ColorFlag = Annotated[
    ColorMode,
    typer.Option(
        "--color",
        help="Colour the table: auto (on a terminal, not under TERM=dumb; NO_COLOR set turns "
        "it off, FORCE_COLOR set turns it on), always or never.",
    ),
]


QuietFlag = Annotated[
    bool,
    typer.Option("--quiet", "-q", help="Table format: print only the verdict line; no warnings."),
]


InputFormatFlag = Annotated[
    InputFormat, typer.Option("--input-format", help="Force the inventory format.")
]


HostFlag = Annotated[
    str | None,
    typer.Option(
        "--host",
        metavar="NAME",
        help="Host name for exports that carry none (osqueryi, dpkg-query, a CSV without a "
        "host column...); default: the file name (a CSV needs its host column).",
    ),
]


AsOfFlag = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        metavar="DATE",
        help="Judge as of DATE (YYYY-MM-DD) instead of today, for reproducible reports.",
    ),
]


EmailToFlag = Annotated[
    list[str] | None,
    typer.Option("--email-to", metavar="ADDR", help="Mail the summary to ADDR; repeatable."),
]


EmailFromFlag = Annotated[
    str | None, typer.Option("--email-from", metavar="ADDR", help="Sender address.")
]


SmtpHostFlag = Annotated[
    str | None,
    typer.Option(
        "--smtp-host",
        metavar="HOST",
        help="Mail relay for --email (default: vcaudit.yaml email smtp_host).",
    ),
]


SmtpPortFlag = Annotated[
    int | None,
    typer.Option(
        "--smtp-port",
        metavar="PORT",
        min=1,
        max=65535,
        help="Mail server port (default: 587 starttls, 465 tls, 25 none).",
    ),
]


SmtpSecurityFlag = Annotated[
    Security | None,
    typer.Option("--smtp-security", help="starttls (default), tls or none."),
]


SmtpUserFlag = Annotated[
    str | None,
    typer.Option(
        "--smtp-user",
        metavar="USER",
        help="Mail server login (its password: --smtp-password-file).",
    ),
]


SmtpPasswordFileFlag = Annotated[
    str | None,
    typer.Option(
        "--smtp-password-file",
        metavar="FILE",
        help="File holding the SMTP password (else $VCAUDIT_SMTP_PASSWORD).",
    ),
]


SmtpCaFileFlag = Annotated[
    str | None,
    typer.Option("--smtp-ca-file", metavar="PEM", help="CA certificates for a private relay."),
]


SmtpTimeoutFlag = Annotated[
    float | None,
    typer.Option(
        "--smtp-timeout",
        metavar="SECONDS",
        min=0.1,
        max=86400,
        help="Overall deadline of each SMTP session: connecting, TLS, login and sending, "
        "however slowly the server answers (default 30).",
    ),
]


EmailAttachFlag = Annotated[
    list[Attachment] | None,
    typer.Option("--email-attach", help="Attach the report as json or csv; repeatable."),
]


EmailDryRunFlag = Annotated[
    Path | None,
    typer.Option("--email-dry-run", metavar="DIR", help="Write .eml files instead of sending."),
]


StateFlag = Annotated[
    Path | None,
    typer.Option(
        "--state",
        metavar="FILE",
        help="Remember findings between runs here (locked while a run uses it).",
    ),
]


StateWaitFlag = Annotated[
    float | None,
    typer.Option(
        "--state-wait",
        metavar="SECONDS",
        min=0,
        max=86400,
        help="Wait this long for another run using --state, then give up (default 30).",
    ),
]


OnlyChangesFlag = Annotated[
    bool,
    typer.Option("--only-changes", help="Send only when findings are new, resolved or riskier."),
]


WebhooksFlag = Annotated[
    list[str] | None,
    typer.Option(
        "--webhook",
        metavar="[KIND=]URL",
        help="Post the summary to URL, as KIND (json, slack or teams: slack=https://...); "
        "repeatable, each with its own kind.",
    ),
]


WebhookFormatFlag = Annotated[
    list[WebhookFormat] | None,
    typer.Option(
        "--webhook-format",
        help="The kind of the --webhook URLs that name none (default: slack for "
        "hooks.slack.com, teams for Microsoft's webhook hosts, else json). Given once.",
    ),
]


WebhookTimeoutFlag = Annotated[
    float | None,
    typer.Option(
        "--webhook-timeout",
        metavar="SECONDS",
        min=0.1,
        max=86400,
        help="Overall deadline of each webhook request, reading the answer included (default 15).",
    ),
]


SarifCategoryFlag = Annotated[
    str | None,
    typer.Option(
        "--sarif-category",
        metavar="NAME",
        help="SARIF: set automationDetails.id to NAME/, the category GitHub code scanning "
        "files the alerts under (default: none, so upload-sarif's own category input applies).",
    ),
]


SarifRootFlag = Annotated[
    Path | None,
    typer.Option(
        "--sarif-root",
        metavar="DIR",
        help="SARIF and GitLab reports: the repository root inventories are located against "
        "(default: $GITHUB_WORKSPACE in GitHub Actions, else the working folder).",
    ),
]


ExcelFlag = Annotated[
    bool,
    typer.Option(
        "--excel",
        help="CSV: start with a UTF-8 byte order mark, so Excel reads accents and other "
        "non-ASCII text correctly.",
    ),
]


CsvDelimiterFlag = Annotated[
    str,
    typer.Option(
        "--csv-delimiter",
        metavar="comma|semicolon|tab",
        help="CSV: what separates cells; semicolon for Excel set up for a language whose "
        "list separator it is (German, French, Dutch, Italian, Spanish...).",
    ),
]
