"""The choices notification options take, and their checks (no heavy imports: the CLI reads
these at start)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Security(StrEnum):
    """How to protect the SMTP connection."""

    STARTTLS = "starttls"
    TLS = "tls"
    NONE = "none"


DEFAULT_PORTS = {Security.STARTTLS: 587, Security.TLS: 465, Security.NONE: 25}
DEFAULT_TIMEOUT = 30.0
"""Seconds for one whole SMTP session (`--smtp-timeout`)."""
WEBHOOK_TIMEOUT = 15.0
"""Seconds for one whole webhook request (`--webhook-timeout`)."""


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send."""

    host: str = "localhost"
    port: int | None = None
    security: Security = Security.STARTTLS
    user: str = ""
    password: str = ""
    ca_file: str = ""
    timeout: float = DEFAULT_TIMEOUT
    """The overall deadline of one SMTP session, in seconds."""

    @property
    def effective_port(self) -> int:
        """The port to use: the given one, else the usual one for the security mode."""
        return self.port or DEFAULT_PORTS[self.security]

    def __repr__(self) -> str:  # the password must never reach a log or a traceback
        return (
            f"SmtpSettings(host={self.host!r}, port={self.effective_port}, "
            f"security={self.security.value}, user={self.user!r}, password=***)"
        )


class Attachment(StrEnum):
    """`--email-attach` choices: the reports a mail can carry."""

    JSON = "json"
    CSV = "csv"


class WebhookFormat(StrEnum):
    """`--webhook-format` choices."""

    JSON = "json"
    SLACK = "slack"
    TEAMS = "teams"


_HOSTS = (
    ("hooks.slack.com", "slack"),
    (".webhook.office.com", "teams"),
    (".logic.azure.com", "teams"),
    (".environment.api.powerplatform.com", "teams"),
)
"""Hosts whose webhooks take one kind of message: Slack's incoming webhooks, and Microsoft
Teams' (Office 365 connectors, and the Workflows app's Power Automate and Logic Apps URLs)."""


def split_hook(text: str, default: WebhookFormat | None = None) -> tuple[WebhookFormat, str]:
    """A `--webhook` value: `slack=https://...` names its kind; a bare URL takes `default`
    (`--webhook-format`), else the kind its host takes (see `_HOSTS`), else json."""
    kind, sep, rest = text.partition("=")
    if sep and kind in WebhookFormat.__members__.values():
        return WebhookFormat(kind), rest
    if default is not None:
        return default, text
    from urllib.parse import urlsplit

    try:
        host = (urlsplit(text).hostname or "").lower()
    except ValueError:
        host = ""
    for suffix, named in _HOSTS:
        if host == suffix.lstrip(".") or host.endswith(suffix):
            return WebhookFormat(named), text
    return WebhookFormat.JSON, text


def webhook_url_problem(url: str) -> str:
    """Why `url` cannot be a webhook address ("" when it can): an http(s) URL with a host,
    a valid port and no spaces or control characters."""
    from urllib.parse import urlsplit

    if any(c.isspace() or not c.isprintable() for c in url):
        return "expected an http(s) URL without spaces or control characters"
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - reading it validates the port
    except ValueError as exc:
        return f"not a valid URL ({exc})"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "expected an http(s) URL with a host"
    return ""


def shown_url(url: str) -> str:
    """The part of a webhook URL that may be printed: scheme, host and port. Webhook URLs
    carry their secret in the path, the query or user:password@, so the rest is hidden."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(invalid URL)"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}{port}/..."
