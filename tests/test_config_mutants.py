"""The email, webhooks and feed sections of vcaudit.yaml, and reading the file itself: what
each setting becomes, and each mistake as one line naming the file, the line and the field."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vcaudit.config import MailConfig, find_config, load_policy, parse_policy
from vcaudit.errors import InputError


def parsed(text: str, name: str = "vcaudit.yaml") -> MailConfig:
    return parse_policy(textwrap.dedent(text), name).mail


def refused(text: str, name: str = "vcaudit.yaml") -> str:
    with pytest.raises(InputError) as caught:
        parse_policy(textwrap.dedent(text), name)
    return str(caught.value)


# email -----------------------------------------------------------------------------------


def test_every_email_setting() -> None:
    mail = parsed(
        """\
        email:
          to: [it@example.com, sec@example.com]
          from: vcaudit@example.com
          smtp_host: mail.example.com
          smtp_port: 465
          security: tls
          user: vcaudit
          password_file: /run/secrets/smtp
          ca_file: /etc/ssl/internal.pem
          timeout: 12.5
          attach: [json, csv]
          route_to_owners: false
          allowed_domains: [Example.com, '*.corp.example.com']
        """
    )
    assert mail == MailConfig(
        to=("it@example.com", "sec@example.com"),
        sender="vcaudit@example.com",
        smtp_host="mail.example.com",
        smtp_port=465,
        security="tls",
        user="vcaudit",
        password_file="/run/secrets/smtp",
        ca_file="/etc/ssl/internal.pem",
        timeout=12.5,
        attach=("json", "csv"),
        route_to_owners=False,
        allowed_domains=("example.com", "*.corp.example.com"),
    )


def test_an_empty_email_section_routes_to_owners() -> None:
    assert parsed("email: {}\n") == MailConfig()
    assert parsed("email: {to: it@example.com}\n").route_to_owners
    assert parsed("") == MailConfig()


@pytest.mark.parametrize("port", [1, 25, 65535])
def test_an_smtp_port_in_range(port: int) -> None:
    assert parsed(f"email: {{smtp_port: {port}}}\n").smtp_port == port


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("email:\n  password: hunter2\n", "email.password: never put the password here"),
        ("email:\n  security: ssl\n", "email.security: expected one of starttls, tls, none"),
        ("email:\n  attach: [json, pdf]\n", "email.attach: expected json or csv, got 'pdf'"),
        ("email:\n  smtp_port: 65536\n", "email.smtp_port: expected a port from 1 to 65535"),
        ("email:\n  smtp_port: 0\n", "email.smtp_port:"),
        ("email:\n  to: [it@example.com, 'a b']\n", "email.to: not a plain email address"),
        ("email:\n  from: bob@\n", "email.from: not a plain email address: ''"),
        ("email:\n  allowed_domains: [exa mple]\n", "email.allowed_domains: expected a "
                                                    "domain like example.com or *.example.com"),
        ("email:\n  timeout: 0\n", "email.timeout: expected a number of seconds above 0 "
                                   "and at most 86400"),
        ("email:\n  timeout: 86401\n", "email.timeout: expected a number of seconds"),
        ("email:\n  smtp: x\n", "email.smtp: unknown key"),
    ],
)  # fmt: skip
def test_email_mistakes(text: str, message: str) -> None:
    said = refused(text)
    assert said.startswith("vcaudit.yaml, line 2: email.")
    assert message in said


def test_a_timeout_of_a_whole_day_is_allowed() -> None:
    assert parsed("email: {timeout: 86400}\n").timeout == 86400


# webhooks --------------------------------------------------------------------------------


def test_webhook_settings() -> None:
    mail = parsed(
        """\
        email: {to: it@example.com}
        webhooks:
          urls: ['https://hooks.example.com/a', 'http://127.0.0.1:8080/b']
          format: teams
          timeout: 3
        """
    )
    assert mail.to == ("it@example.com",)
    assert mail.webhooks == ("https://hooks.example.com/a", "http://127.0.0.1:8080/b")
    assert (mail.webhook_format, mail.webhook_timeout) == ("teams", 3)


@pytest.mark.parametrize("fmt", ["json", "slack", "teams"])
def test_each_webhook_format(fmt: str) -> None:
    assert parsed(f"webhooks: {{format: {fmt}}}\n").webhook_format == fmt


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("webhooks:\n  format: xml\n", "webhooks.format: expected one of json, slack, teams"),
        ("webhooks:\n  urls: [ftp://h/x]\n", "webhooks.urls: expected an http(s) URL with a host"),
        ("webhooks:\n  urls: ['https://h/a b']\n", "urls: expected an http(s) URL without"),
        ("webhooks:\n  timeout: -1\n", "webhooks.timeout: expected a number of seconds"),
        ("webhooks:\n  url: https://h/x\n", "webhooks.url: unknown key"),
    ],
)  # fmt: skip
def test_webhook_mistakes(text: str, message: str) -> None:
    said = refused(text)
    assert said.startswith("vcaudit.yaml, line 2: webhooks.")
    assert message in said


# feed --------------------------------------------------------------------------------------


def public_key() -> str:
    key = Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def test_the_feed_url_and_key() -> None:
    loaded = parse_policy(
        "feed:\n  url: https://feeds.example.com/feed.json\n  public_key: KEYTEXT\n", "v.yaml"
    )
    assert (loaded.feed_url, loaded.feed_public_key) == (
        "https://feeds.example.com/feed.json",
        "KEYTEXT",
    )
    assert parse_policy("feed: {url: 'http://127.0.0.1/f.json'}\n", "v.yaml").feed_url == (
        "http://127.0.0.1/f.json"
    )
    assert (parse_policy("", "v.yaml").feed_url, parse_policy("", "v.yaml").feed_public_key) == (
        "",
        "",
    )


def test_a_key_file_beside_the_policy_file(tmp_path: Path) -> None:
    pem = public_key()
    (tmp_path / "keys").mkdir()
    (tmp_path / "keys" / "feed.pub").write_text(pem, encoding="utf-8")
    config = tmp_path / "vcaudit.yaml"
    config.write_text("feed:\n  public_key_file: keys/feed.pub\n", encoding="utf-8")
    assert load_policy(config).feed_public_key == pem
    absolute = tmp_path / "elsewhere.yaml"
    absolute.write_text(
        f"feed:\n  public_key_file: {tmp_path / 'keys' / 'feed.pub'}\n", encoding="utf-8"
    )
    assert load_policy(absolute).feed_public_key == pem


def test_feed_mistakes(tmp_path: Path) -> None:
    name = str(tmp_path / "vcaudit.yaml")
    assert refused("feed:\n  url: ftp://f/x\n", name) == (
        f"{name}, line 2: feed.url: expected an https:// URL"
    )
    assert refused("feed:\n  public_key: K\n  public_key_file: k.pub\n", name) == (
        f"{name}, line 3: feed.public_key_file: give public_key or public_key_file, not both"
    )
    missing = tmp_path / "missing.pub"
    assert refused("feed:\n  public_key_file: missing.pub\n", name) == (
        f"{name}, line 2: feed.public_key_file: cannot read {missing}: No such file or directory"
    )
    (tmp_path / "binary.pub").write_bytes(b"\xff\xfe")
    assert refused("feed:\n  public_key_file: binary.pub\n", name) == (
        f"{name}, line 2: feed.public_key_file: cannot read {tmp_path / 'binary.pub'}: not "
        "UTF-8 text"
    )
    (tmp_path / "big.pub").write_bytes(b"k" * (64 * 1024 + 1))
    assert refused("feed:\n  public_key_file: big.pub\n", name) == (
        f"{name}, line 2: feed.public_key_file: cannot read {tmp_path / 'big.pub'}: larger than "
        "the 64 KiB limit"
    )
    assert refused("feed:\n  key: K\n", name).startswith(f"{name}, line 2: feed.key: unknown key")


# The file ----------------------------------------------------------------------------------


def test_reading_the_policy_file(tmp_path: Path) -> None:
    config = tmp_path / "vcaudit.yaml"
    config.write_bytes(b"\xef\xbb\xbffail_on: low\n")  # a byte-order mark is allowed
    loaded = load_policy(config)
    assert loaded.path == str(config)
    assert loaded.explicit == frozenset({"fail_on"})
    with pytest.raises(InputError) as caught:
        load_policy(tmp_path / "missing.yaml")
    assert str(caught.value) == f"{tmp_path / 'missing.yaml'}: no such policy file"
    with pytest.raises(InputError) as caught:
        load_policy(tmp_path)
    assert str(caught.value) == f"{tmp_path}: cannot read: Is a directory"
    config.write_bytes(b"fail_on: low\n\xff")
    with pytest.raises(InputError) as caught:
        load_policy(config)
    assert str(caught.value) == f"{config}: not UTF-8 text (byte 13)"
    config.write_bytes(b"#" * (1024 * 1024 + 1))
    with pytest.raises(InputError) as caught:
        load_policy(config)
    assert str(caught.value) == f"{config}: the policy file is larger than 1 MiB"
    config.write_bytes(b"#" * (1024 * 1024))
    assert load_policy(config).explicit == frozenset()


def test_which_policy_file(tmp_path: Path) -> None:
    assert find_config("given.yaml", {"VCAUDIT_CONFIG": "env.yaml"}, tmp_path) == Path("given.yaml")
    assert find_config(None, {"VCAUDIT_CONFIG": " env.yaml "}, tmp_path) == Path("env.yaml")
    assert find_config(None, {"VCAUDIT_CONFIG": "  "}, tmp_path) is None
    (tmp_path / "vcaudit.yaml").mkdir()  # a folder of that name is no policy file
    assert find_config(None, {}, tmp_path) is None
    (tmp_path / "vcaudit.yaml").rmdir()
    (tmp_path / "vcaudit.yaml").write_text("", encoding="utf-8")
    assert find_config(None, {}, tmp_path) == tmp_path / "vcaudit.yaml"
