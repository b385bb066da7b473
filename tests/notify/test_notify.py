"""Email and webhooks end to end: a real SMTP server (aiosmtpd) and a real HTTP server on
127.0.0.1, with plain SMTP, STARTTLS and implicit TLS using a certificate made here."""

from __future__ import annotations

import datetime as dt
import email
import ipaddress
import json
import socket
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import TEST_FEED_DIR
from tests.notify.conftest import Hooks
from vcaudit.cli import main
from vcaudit.notify.changes import compare, open_entries
from vcaudit.notify.email import SmtpSettings

PASSWORD = "s3cret-Passw0rd-never-printed"
FLEET = (
    "host,platform,product,version,owner\n"
    "pc-1,windows,Meetly Workplace (64-bit),5.16.9,ws@example.com\n"
    "pc-2,windows,meetly,6.2.3,\n"
    "<b>pc-3</b>,windows,Chatter,8.150.0.1,\n"
)
BASE = ["--feed", str(TEST_FEED_DIR), "--as-of", "2026-01-15", "--fail-on", "none"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(
        self,
        server: SMTPServer,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        del server, session, rcpt_options
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTPServer, session: Session, envelope: Envelope) -> str:
        del server, session
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        parsed = email.message_from_bytes(raw, policy=default_policy)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_path = folder / "cert.pem"
    key_path = folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def authenticator(
    server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any
) -> AuthResult:
    del server, session, envelope, mechanism
    ok = (
        isinstance(data, LoginPassword)
        and data.login == b"vcaudit"
        and (data.password == PASSWORD.encode())
    )
    return AuthResult(success=ok, handled=False)


class Smtp:
    def __init__(self, inbox: Inbox, port: int, mode: str) -> None:
        self.inbox = inbox
        self.port = port
        self.mode = mode


@pytest.fixture
def smtp(request: pytest.FixtureRequest, certificate: tuple[Path, Path]) -> Iterator[Smtp]:
    mode = getattr(request, "param", "plain")
    inbox = Inbox()
    port = free_port()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    kwargs: dict[str, Any] = {}
    if mode == "starttls":
        kwargs = {"tls_context": context, "require_starttls": True}
    elif mode == "tls":
        kwargs = {"ssl_context": context}
    if mode in ("starttls", "tls", "auth"):
        # Implicit TLS happens below aiosmtpd's view, so it must not insist on STARTTLS.
        kwargs.update(
            authenticator=authenticator,
            auth_required=mode == "auth",
            auth_require_tls=mode == "starttls",
            auth_exclude_mechanism=["LOGIN"],
        )
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    if mode == "tls":
        # Implicit TLS: the controller's readiness probe must speak TLS too.
        controller.ssl_context = context
    controller.start()
    try:
        yield Smtp(inbox, port, mode)
    finally:
        controller.stop()


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    path = tmp_path / "fleet.csv"
    path.write_text(FLEET, encoding="utf-8")
    return path


def run(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    monkeypatch.setenv("VCAUDIT_SMTP_PASSWORD", PASSWORD)
    code = main(list(args))
    out, err = capsys.readouterr()
    assert PASSWORD not in out + err
    return code, out, err


def mail_args(smtp: Smtp, *extra: str) -> list[str]:
    return [
        "--email-to",
        "ops@example.com",
        "--email-from",
        "vcaudit@example.com",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(smtp.port),
        "--smtp-timeout",
        "5",
        *extra,
    ]


def parts(message: EmailMessage) -> tuple[str, str]:
    kinds = [part.get_content_type() for part in message.walk()]
    assert "multipart/alternative" in kinds
    assert kinds.index("text/plain") < kinds.index("text/html")  # plain first, as RFC 2046 asks
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    return text.get_content(), html.get_content()


def test_plain_smtp_message_structure(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, smtp: Smtp, fleet: Path
) -> None:
    code, _, err = run(
        capsys,
        monkeypatch,
        "scan",
        str(fleet),
        *BASE,
        *mail_args(smtp, "--smtp-security", "none", "--email-attach", "csv"),
    )
    assert code == 0, err
    assert len(smtp.inbox.messages) == 2  # the owner's, and the rest to ops
    by_rcpt = {tuple(rcpts): message for rcpts, message in smtp.inbox.messages}
    owner = by_rcpt[("ws@example.com",)]
    rest = by_rcpt[("ops@example.com",)]
    for message in (owner, rest):
        assert message["From"] == "vcaudit@example.com"
        assert message["Date"]
        assert message["Message-ID"].endswith("@example.com>")
        assert message.get_content_type() == "multipart/mixed"
    owner_text, owner_html = parts(owner)
    assert owner["Subject"] == "[vcaudit] PASS: 1 critical; 1 of 1 needs action"
    assert "Meetly Workplace 5.16.9" in owner_text
    assert "Chatter" not in owner_text  # only the owner's products
    assert "upgrade to 6.2.5 (latest)" in owner_text
    assert "<table" in owner_html
    rest_text, rest_html = parts(rest)
    assert "Chatter" in rest_text
    # The default recipients get the whole run, the owner's findings too, and who got what.
    assert rest["Subject"] == "[vcaudit] PASS: 1 critical, 1 high, 1 low; 3 of 3 need action"
    assert "Meetly Workplace 5.16.9 (windows), 1 host, owner ws@example.com" in rest_text
    assert "owners were also mailed their own findings: ws@example.com (1 installation)" in (
        rest_text
    )
    assert "&lt;b&gt;pc-3&lt;/b&gt;" in rest_html  # the next steps name their hosts ...
    assert "<b>pc-3</b>" not in rest_html  # ... never unescaped
    attachments = list(rest.iter_attachments())
    assert [a.get_filename() for a in attachments] == ["vcaudit-report.csv"]
    assert "host,platform,product" in attachments[0].get_content()
    assert "vcaudit: mailed ops@example.com" in err


@pytest.mark.parametrize("smtp", ["starttls"], indirect=True)
def test_starttls_with_auth(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    smtp: Smtp,
    fleet: Path,
    certificate: tuple[Path, Path],
) -> None:
    code, _, err = run(
        capsys,
        monkeypatch,
        "scan",
        str(fleet),
        *BASE,
        *mail_args(smtp, "--smtp-user", "vcaudit", "--smtp-ca-file", str(certificate[0])),
    )
    assert code == 0, err
    assert len(smtp.inbox.messages) == 2


@pytest.mark.parametrize("smtp", ["tls"], indirect=True)
def test_implicit_tls(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    smtp: Smtp,
    fleet: Path,
    certificate: tuple[Path, Path],
) -> None:
    code, _, err = run(
        capsys,
        monkeypatch,
        "scan",
        str(fleet),
        *BASE,
        *mail_args(
            smtp,
            "--smtp-security",
            "tls",
            "--smtp-user",
            "vcaudit",
            "--smtp-ca-file",
            str(certificate[0]),
        ),
    )
    assert code == 0, err
    assert len(smtp.inbox.messages) == 2


@pytest.mark.parametrize("smtp", ["starttls"], indirect=True)
def test_tls_failure_without_the_ca(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    smtp: Smtp,
    fleet: Path,
    tmp_path: Path,
) -> None:
    report = tmp_path / "report.json"
    code, _, err = run(
        capsys,
        monkeypatch,
        "scan",
        str(fleet),
        *BASE,
        "-f",
        "json",
        "-o",
        str(report),
        *mail_args(smtp),
    )
    assert code == 5
    assert "TLS with the mail server" in err
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["installations"] == 3


# aiosmtpd warns that AUTH without TLS is unsafe: true, and the point of this loopback test.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("smtp", ["auth"], indirect=True)
def test_auth_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, smtp: Smtp, fleet: Path
) -> None:
    monkeypatch.setenv("VCAUDIT_SMTP_PASSWORD", "wrong")
    code = main(
        [
            "scan",
            str(fleet),
            *BASE,
            *mail_args(smtp, "--smtp-security", "none", "--smtp-user", "vcaudit"),
        ]
    )
    _, err = capsys.readouterr()
    assert code == 5
    assert "refused the login for 'vcaudit'" in err
    assert "wrong" not in err
    assert smtp.inbox.messages == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("smtp", ["auth"], indirect=True)
def test_auth_accepted_with_password_file(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    smtp: Smtp,
    fleet: Path,
    tmp_path: Path,
) -> None:
    secret = tmp_path / "password"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    monkeypatch.delenv("VCAUDIT_SMTP_PASSWORD", raising=False)
    code = main(
        [
            "scan",
            str(fleet),
            *BASE,
            *mail_args(
                smtp,
                "--smtp-security",
                "none",
                "--smtp-user",
                "vcaudit",
                "--smtp-password-file",
                str(secret),
            ),
        ]
    )
    _, err = capsys.readouterr()
    assert code == 0, err
    assert PASSWORD not in err
    assert len(smtp.inbox.messages) == 2


def test_server_down(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fleet: Path,
    tmp_path: Path,
) -> None:
    down = Smtp(Inbox(), free_port(), "plain")
    report = tmp_path / "out.txt"
    code, _, err = run(
        capsys,
        monkeypatch,
        "scan",
        str(fleet),
        *BASE,
        "-o",
        str(report),
        *mail_args(down, "--smtp-security", "none"),
    )
    assert code == 5
    assert f"cannot send mail through 127.0.0.1:{down.port}" in err
    assert report.read_text(encoding="utf-8").startswith("vcaudit:")
    assert "Traceback" not in err


def test_recipient_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, smtp: Smtp, fleet: Path
) -> None:
    smtp.inbox.refuse.add("ops@example.com")
    code, _, err = run(
        capsys, monkeypatch, "scan", str(fleet), *BASE, *mail_args(smtp, "--smtp-security", "none")
    )
    assert code == 5
    assert "refused recipient ops@example.com (550)" in err
    assert [r for r, _ in smtp.inbox.messages] == [["ws@example.com"]]  # the other still sent


def test_dry_run_writes_eml(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fleet: Path,
    tmp_path: Path,
) -> None:
    out = tmp_path / "mail"
    code, _, err = run(
        capsys,
        monkeypatch,
        "scan",
        str(fleet),
        *BASE,
        "--email-to",
        "ops@example.com",
        "--email-from",
        "vcaudit@example.com",
        "--email-dry-run",
        str(out),
    )
    assert code == 0, err
    files = sorted(p.name for p in out.iterdir())
    assert files == ["01-ws_example.com.eml", "02-summary.eml"]
    message = email.message_from_bytes((out / "02-summary.eml").read_bytes(), policy=default_policy)
    assert message.get_content_type() == "multipart/alternative"


def test_only_changes_with_state(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    smtp: Smtp,
    fleet: Path,
    tmp_path: Path,
) -> None:
    state = tmp_path / "state.json"
    args = [
        "scan",
        str(fleet),
        *BASE,
        *mail_args(smtp, "--smtp-security", "none"),
        "--state",
        str(state),
        "--only-changes",
    ]
    assert run(capsys, monkeypatch, *args)[0] == 0
    assert len(smtp.inbox.messages) == 2  # first run: everything is new
    first_text, _ = parts(smtp.inbox.messages[1][1])
    # The default recipients' message is the whole run: the owner's finding is new there too.
    assert "Changes (first run): 3 new, 0 resolved" in first_text
    code, _, err = run(capsys, monkeypatch, *args)
    assert code == 0
    assert "nothing changed since the last run" in err
    assert len(smtp.inbox.messages) == 2
    fleet.write_text(
        FLEET.replace("8.150.0.1,\n", "8.150.0.1,\n").replace(
            "pc-2,windows,meetly,6.2.3,\n", "pc-2,windows,meetly,6.1.0,\n"
        ),
        encoding="utf-8",
    )
    assert run(capsys, monkeypatch, *args)[0] == 0
    assert len(smtp.inbox.messages) == 3  # only the default recipients' part changed
    rcpts, message = smtp.inbox.messages[2]
    assert rcpts == ["ops@example.com"]
    text, _ = parts(message)
    assert "Riskier:" in text
    assert "(1 riskier)" in message["Subject"]


def test_change_detection_unit(test_feed: Any) -> None:
    from tests.conftest import TODAY, make_installation
    from vcaudit.audit import run_audit
    from vcaudit.policy import Policy

    def entries(rows: list[tuple[str, str, str]]) -> Any:
        report = run_audit(
            [make_installation(p, v, host=h) for h, p, v in rows], test_feed, Policy(), TODAY
        )
        return open_entries(report.findings)

    before = entries([("a", "meetly", "5.16.9"), ("b", "meetly", "6.2.3"), ("c", "chatter", "8.1")])
    after = entries([("a", "meetly", "6.2.5"), ("b", "meetly", "6.1.0"), ("d", "meetly", "5.0.0")])
    changes = compare(before, after, "2026-01-01T00:00:00+00:00")
    assert [e.host for e in changes.new] == ["d"]
    assert sorted(e.host for e in changes.resolved) == ["a", "c"]
    assert [e.host for e in changes.rose] == ["b"]  # low -> medium
    assert changes.any
    assert not compare(after, after, "x").any


def test_settings_never_show_the_password() -> None:
    settings = SmtpSettings(host="mx", user="u", password=PASSWORD)
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in str(settings)


def test_usage_errors(capsys: pytest.CaptureFixture[str], fleet: Path) -> None:
    code = main(["scan", str(fleet), *BASE, "--email-to", "ops@example.com"])
    assert code == 2
    assert "--email-to needs --email-from" in capsys.readouterr().err
    code = main(
        [
            "scan",
            str(fleet),
            *BASE,
            "--email-to",
            "a@x.com\r\nBcc: evil@x.com",
            "--email-from",
            "v@x.com",
        ]
    )
    assert code == 2
    code = main(["scan", str(fleet), *BASE, "--only-changes"])
    assert code == 2
    assert "--only-changes needs --state" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["json", "slack", "teams"])
def test_webhooks(
    capsys: pytest.CaptureFixture[str], hooks: tuple[Hooks, str], fleet: Path, fmt: str
) -> None:
    state, url = hooks
    code = main(["scan", str(fleet), *BASE, "--webhook", url, "--webhook-format", fmt])
    assert code == 0, capsys.readouterr().err
    body = state.bodies[0]
    if fmt == "json":
        assert body["summary"]["installations"] == 3
        assert body["next_steps"]
    elif fmt == "slack":
        assert body["text"].startswith("[vcaudit]")
        # The host name "<b>pc-3</b>" is listed, escaped as Slack asks, never as markup.
        dumped = json.dumps(body)
        assert "(&lt;b&gt;pc-3&lt;/b&gt;)" in dumped
        assert "<b>" not in dumped
    else:
        assert body["attachments"][0]["content"]["type"] == "AdaptiveCard"


def test_webhook_failure_exits_5_without_leaking_the_url(
    capsys: pytest.CaptureFixture[str], hooks: tuple[Hooks, str], fleet: Path
) -> None:
    state, url = hooks
    state.status = 500
    code = main(["scan", str(fleet), *BASE, "--webhook", url])
    err = capsys.readouterr().err
    assert code == 5
    assert "answered 500" in err
    assert "SECRET-TOKEN" not in err
