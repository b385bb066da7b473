"""Every notification channel, in the order a run delivers: routed email first, then the
webhook kind `--webhook-format` names. Adding a channel touches its module and this registry;
a test checks that every `WebhookFormat` has one."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from vcaudit.notify import slack, teams
from vcaudit.notify.interface import Channel
from vcaudit.notify.kinds import WebhookFormat
from vcaudit.notify.mail import EmailChannel
from vcaudit.notify.webhook import WebhookChannel, json_body

EMAIL = "email"

CHANNELS: Mapping[str, Channel] = MappingProxyType(
    {
        EMAIL: EmailChannel(),
        WebhookFormat.JSON.value: WebhookChannel(WebhookFormat.JSON, json_body),
        WebhookFormat.SLACK.value: WebhookChannel(WebhookFormat.SLACK, slack.body),
        WebhookFormat.TEAMS.value: WebhookChannel(WebhookFormat.TEAMS, teams.body),
    }
)


def webhook_channel(kind: WebhookFormat) -> WebhookChannel:
    """The channel that posts `kind` (KeyError for a kind without one: never a default)."""
    channel = CHANNELS[kind.value]
    if not isinstance(channel, WebhookChannel) or channel.kind is not kind:
        raise KeyError(kind.value)
    return channel
