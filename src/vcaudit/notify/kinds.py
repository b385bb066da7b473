"""The choices notification options take (no heavy imports: the CLI reads these at start)."""

from __future__ import annotations

from enum import StrEnum


class Security(StrEnum):
    """How to protect the SMTP connection."""

    STARTTLS = "starttls"
    TLS = "tls"
    NONE = "none"


class WebhookFormat(StrEnum):
    """`--webhook-format` choices."""

    JSON = "json"
    SLACK = "slack"
    TEAMS = "teams"
