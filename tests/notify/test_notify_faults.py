"""Delivery under faults and hostile input, through the command line, against real servers on
127.0.0.1: SMTP and HTTP servers that trickle their answers or flood them, state files that
are locked, read-only, broken or cannot be saved, owner addresses that try to escape their
header, thousands of owners, passwords that are not ASCII, reports too large for a mail.

Each test asserts the exit code, the one line the user reads, and what was (not) delivered or
kept. Durations are bounded generously (a deadline of 1 s must not take 20), never measured.
"""

from __future__ import annotations

import contextlib
import email
import gzip
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as SMTPServer
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from tests.conftest import TEST_FEED_DIR
from tests.notify.test_notify import Inbox, free_port, parts
from vcaudit.cli import main
from vcaudit.notify import attachments

BASE = ["--feed", str(TEST_FEED_DIR), "--as-of", "2026-01-15", "--fail-on", "none"]
FLEET = (
    "host,platform,product,version,owner\n"
    "pc-1,windows,meetly,5.16.9,ws@example.com\n"
    "pc-2,windows,meetly,6.2.3,\n"
)
GENEROUS = 20.0
"""Seconds a run with a 1 s deadline may take in all on a slow machine (it would hang, or
take the whole trickle, without the deadline)."""
TRICKLE_FOR = 30.0
"""How long the trickling servers keep trickling before they give up."""


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    assert "internal error" not in err
    return code, out, err


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    path = tmp_path / "fleet.csv"
    path.write_text(FLEET, encoding="utf-8")
    return path


# --- servers -------------------------------------------------------------------------------


Handler = Callable[[socket.socket, "RawServer"], None]


class RawServer:
    """A TCP server on 127.0.0.1 that runs `handler` for each connection, in a thread."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.stop = threading.Event()
        self.sent = 0
        """Bytes the handler sent (for the flood)."""
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = int(self.listener.getsockname()[1])
        self.threads: list[threading.Thread] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self.threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        # OSError: the client hung up, or its deadline cut it: what these tests expect.
        with conn, contextlib.suppress(OSError):
            self.handler(conn, self)

    def trickle(self, conn: socket.socket, data: bytes = b"x") -> None:
        """One byte every 0.1 s until the client goes, the test ends, or TRICKLE_FOR."""
        until = time.monotonic() + TRICKLE_FOR
        while not self.stop.is_set() and time.monotonic() < until:
            conn.sendall(data)
            self.sent += len(data)
            time.sleep(0.1)

    def close(self) -> None:
        self.stop.set()
        self.listener.close()
        self.thread.join()
        for thread in self.threads:
            thread.join()


Start = Callable[[Handler], RawServer]


@pytest.fixture
def raw_server() -> Iterator[Start]:
    servers: list[RawServer] = []

    def start(handler: Handler) -> RawServer:
        server = RawServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def read_line(conn: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = conn.recv(1)
        if not chunk:
            raise ConnectionError("client closed")
        data += chunk
    return data


def smtp_until_data(conn: socket.socket) -> None:
    """A plain SMTP server's side up to the end of DATA."""
    conn.sendall(b"220 trickle ESMTP\r\n")
    while True:
        line = read_line(conn).upper()
        if line.startswith(b"EHLO"):
            conn.sendall(b"250-trickle\r\n250 8BITMIME\r\n")
        elif line.startswith(b"DATA"):
            conn.sendall(b"354 go on\r\n")
            data = b""
            while not data.endswith(b"\r\n.\r\n"):
                chunk = conn.recv(65536)
                if not chunk:
                    raise ConnectionError("client closed")
                data += chunk
            return
        else:
            conn.sendall(b"250 OK\r\n")


def read_request(conn: socket.socket) -> bytes:
    """An HTTP request's head and body; the head's path is returned."""
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = conn.recv(65536)
        if not chunk:
            raise ConnectionError("client closed")
        head += chunk
    top, _, body = head.partition(b"\r\n\r\n")
    length = 0
    for line in top.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(body) < length:
        body += conn.recv(65536)
    return top.split(b"\r\n")[0].split(b" ")[1]


class Smtp:
    def __init__(self, inbox: Inbox, port: int) -> None:
        self.inbox = inbox
        self.port = port


def start_smtp(inbox: Inbox, **kwargs: Any) -> tuple[Controller, Smtp]:
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    return controller, Smtp(inbox, port)


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    controller, server = start_smtp(Inbox())
    try:
        yield server
    finally:
        controller.stop()


def mail_args(port: int, *extra: str) -> list[str]:
    return [
        "--email-to",
        "ops@example.com",
        "--email-from",
        "vcaudit@example.com",
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        str(port),
        "--smtp-security",
        "none",
        *extra,
    ]


# --- deadlines -----------------------------------------------------------------------------


@pytest.mark.slow  # waits for the deadline on purpose (about a second each)
@pytest.mark.parametrize("stage", ["greeting", "data"])
def test_a_trickling_mail_server_is_cut_at_the_deadline(
    capsys: pytest.CaptureFixture[str],
    raw_server: Start,
    fleet: Path,
    tmp_path: Path,
    stage: str,
) -> None:
    def handler(conn: socket.socket, server: RawServer) -> None:
        if stage == "greeting":
            conn.sendall(b"220-")
        else:
            smtp_until_data(conn)
            conn.sendall(b"250-")
        server.trickle(conn)  # a line that never ends, one byte at a time

    server = raw_server(handler)
    report = tmp_path / "report.json"
    state = tmp_path / "state.json"
    started = time.monotonic()
    code, _, err = run(
        capsys,
        "scan",
        str(fleet),
        *BASE,
        "-f",
        "json",
        "-o",
        str(report),
        "--state",
        str(state),
        *mail_args(server.port, "--smtp-timeout", "1"),
    )
    assert time.monotonic() - started < GENEROUS
    assert code == 5, err
    assert f"the mail server 127.0.0.1:{server.port} did not finish within 1 s" in err
    # The owner's message failed: the server is not tried again for the other one.
    assert "1 more message not attempted after the failure above" in err
    assert server.connections == 1
    assert json.loads(report.read_text(encoding="utf-8"))["summary"]["installations"] == 2
    assert not state.exists()  # not delivered: the next run reports it all again


@pytest.mark.slow  # waits for the deadline on purpose (about a second each)
@pytest.mark.parametrize("stage", ["status line", "headers", "body"])
def test_a_trickling_webhook_is_cut_at_the_deadline(
    capsys: pytest.CaptureFixture[str],
    raw_server: Start,
    fleet: Path,
    tmp_path: Path,
    stage: str,
) -> None:
    def handler(conn: socket.socket, server: RawServer) -> None:
        read_request(conn)
        if stage == "status line":
            conn.sendall(b"HTTP/1.1 20")
            server.trickle(conn, b"0")
        elif stage == "headers":
            conn.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
            server.trickle(conn)
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            server.trickle(conn)

    server = raw_server(handler)
    report = tmp_path / "report.txt"
    url = f"http://127.0.0.1:{server.port}/hook/SECRET-TOKEN"
    started = time.monotonic()
    code, _, err = run(
        capsys,
        "scan",
        str(fleet),
        *BASE,
        "-o",
        str(report),
        "--webhook",
        url,
        "--webhook-timeout",
        "1",
    )
    assert time.monotonic() - started < GENEROUS
    assert code == 5, err
    assert f"webhook http://127.0.0.1:{server.port}/... did not answer within 1 s" in err
    assert "SECRET-TOKEN" not in err
    assert report.read_text(encoding="utf-8").startswith("vcaudit:")


def test_a_webhook_answer_is_read_up_to_a_small_cap(
    capsys: pytest.CaptureFixture[str],
    raw_server: Start,
    fleet: Path,
) -> None:
    chunk = b"y" * 65536

    def handler(conn: socket.socket, server: RawServer) -> None:
        read_request(conn)
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
        while server.sent < 4 << 30 and not server.stop.is_set():  # an answer of 4 GiB
            conn.sendall(chunk)
            server.sent += len(chunk)

    server = raw_server(handler)
    code, _, err = run(
        capsys, "scan", str(fleet), *BASE, "--webhook", f"http://127.0.0.1:{server.port}/h"
    )
    assert code == 0, err
    assert "posted a webhook" in err
    assert "was not mailed" not in err  # no mail configured: owners are no concern
    for thread in server.threads:
        thread.join(timeout=GENEROUS)
    # What the client read, plus what the kernel buffers held when it hung up.
    assert server.sent < 64 << 20


def test_a_webhook_error_answer_is_shown_short_and_without_the_secret(
    capsys: pytest.CaptureFixture[str],
    raw_server: Start,
    fleet: Path,
) -> None:
    def handler(conn: socket.socket, server: RawServer) -> None:
        path = read_request(conn)
        body = b"Cannot POST " + path + b"\x1b[31m " + b"z" * 200_000
        head = f"HTTP/1.1 404 Not Found\r\nContent-Length: {len(body)}\r\n\r\n"
        conn.sendall(head.encode() + body)

    server = raw_server(handler)
    url = f"http://user:hunter2@127.0.0.1:{server.port}/hook/SECRET-TOKEN?key=SECRET-KEY"
    code, _, err = run(capsys, "scan", str(fleet), *BASE, "--webhook", url)
    assert code == 5
    line = next(line for line in err.splitlines() if "answered 404" in line)
    assert line.startswith(f"vcaudit: error: webhook http://127.0.0.1:{server.port}/... ")
    assert "Cannot POST ..." in line
    assert "\x1b" not in line
    assert len(line) < 400
    for secret in ("SECRET-TOKEN", "SECRET-KEY", "hunter2"):
        assert secret not in err


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--webhook", "http://[::1"], "--webhook: not a valid URL (Invalid IPv6 URL)"),
        (["--webhook", "http://example.com:99999/x"], "--webhook: not a valid URL"),
        (["--webhook", "ftp://example.com/x"], "--webhook: expected an http(s) URL with a host"),
        (["--webhook", "http://h/\u2028x"], "--webhook: expected an http(s) URL without spaces"),
        (["--webhook", "http://h/x", "--webhook-timeout", "nan"], "--webhook-timeout: expected"),
        (["--state", "s.json", "--state-wait", "nan"], "--state-wait: expected"),
    ],
)
def test_bad_delivery_options_are_usage_errors(
    capsys: pytest.CaptureFixture[str],
    fleet: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run(capsys, "scan", str(fleet), *BASE, *args)
    assert code == 2, err
    assert message in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("webhooks:\n  urls: ['http://[::1']\n", "line 2: webhooks.urls: not a valid URL"),
        ("webhooks:\n  urls: [https://h/x]\n  timeout: 0\n", "webhooks.timeout: expected"),
        ("email:\n  timeout: 1.0e+400\n", "email.timeout: expected a number of seconds"),
        ("email:\n  timeout: " + "9" * 60 + "\n", "email.timeout: expected a number of seconds"),
        ("email:\n  smtp_port: 70000\n", "email.smtp_port: expected a port from 1 to 65535"),
        ("email:\n  allowed_domains: ['exa mple.com']\n", "email.allowed_domains: expected a"),
        ("email:\n  to: ['a@x.com\\u2028']\n", "email.to: not a plain email address"),
    ],
)
def test_bad_delivery_settings_in_the_policy_file(
    capsys: pytest.CaptureFixture[str], fleet: Path, tmp_path: Path, section: str, message: str
) -> None:
    config = tmp_path / "vcaudit.yaml"
    config.write_text(section, encoding="utf-8")
    code, _, err = run(capsys, "scan", str(fleet), *BASE, "--config", str(config))
    assert code == 3, err
    assert message in err
    assert str(config) in err


def test_a_dry_run_folder_that_cannot_be_made_stops_the_other_messages(
    capsys: pytest.CaptureFixture[str], fleet: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "mail"
    blocker.write_text("a file, not a folder\n", encoding="utf-8")
    code, _, err = run(
        capsys,
        "scan",
        str(fleet),
        *BASE,
        "--email-to",
        "ops@example.com",
        "--email-from",
        "vcaudit@example.com",
        "--email-dry-run",
        str(blocker),
    )
    assert code == 5
    assert err.count(f"cannot create {blocker}: File exists") == 1
    assert "1 more message not attempted after the failure above" in err


# --- owners --------------------------------------------------------------------------------

HOSTILE_OWNERS = (
    "host,platform,product,version,owner\n"
    "pc-1,windows,meetly,5.16.9,ws@example.com\n"
    'pc-2,windows,meetly,5.16.9,"=?utf-8?q?x=0D=0ABcc:_evil@attacker.test?= <cc@example.com>"\n'
    "pc-3,windows,meetly,5.16.9,line\u2028break@example.com\n"
    "pc-5,windows,meetly,5.16.9,boss@attacker.test\n"
    "pc-6,windows,meetly,5.16.9,Anna Lind <anna@Example.COM>\n"
    "pc-7,windows,meetly,5.16.9,it-ops\n"
)


def test_bad_owner_addresses_are_skipped_and_reported_and_the_others_get_mail(
    capsys: pytest.CaptureFixture[str], smtp: Smtp, tmp_path: Path
) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_bytes(HOSTILE_OWNERS.encode("utf-8"))
    code, _, err = run(capsys, "scan", str(fleet), *BASE, *mail_args(smtp.port))
    assert code == 0, err
    by_rcpt = {tuple(rcpts): message for rcpts, message in smtp.inbox.messages}
    assert sorted(by_rcpt) == [("anna@example.com",), ("ops@example.com",), ("ws@example.com",)]
    assert by_rcpt[("anna@example.com",)]["To"] == "anna@example.com"  # the name is dropped
    for line in (
        "owner '=?utf-8?q?x=0D=0ABcc:_evil@attacker.test?= <cc@example.com>' was not mailed "
        "(not a plain email address: contains an encoded word)",
        "owner 'line\\u2028break@example.com' was not mailed (not a plain email address: "
        "contains a control or line-break character)",
        "owner 'boss@attacker.test' was not mailed (the domain attacker.test is not in "
        "email.allowed_domains); their findings went to ops@example.com",
    ):
        assert f"vcaudit: warning: {line}" in err
    rest, _ = parts(by_rcpt[("ops@example.com",)])
    assert "pc-5" in rest  # the skipped owners' findings go to the default recipients
    assert "boss@attacker.test' was not mailed" in rest
    assert "it-ops" not in err  # an owner that is a name, not an address, is not a problem
    for _, message in smtp.inbox.messages:
        assert "attacker" not in str(message["To"]) + str(message["Cc"]) + str(message["Bcc"])


def test_allowed_domains_in_the_policy_file_decide_where_owner_mail_goes(
    capsys: pytest.CaptureFixture[str], smtp: Smtp, tmp_path: Path
) -> None:
    fleet = tmp_path / "fleet.csv"
    fleet.write_text(
        "host,platform,product,version,owner\n"
        "pc-1,windows,meetly,5.16.9,ws@example.com\n"
        "pc-2,windows,meetly,5.16.9,li@eu.partner.test\n"
        "pc-3,windows,meetly,5.16.9,max@partner.test.attacker.test\n",
        encoding="utf-8",
    )
    config = tmp_path / "vcaudit.yaml"
    config.write_text("email:\n  allowed_domains: [example.com, '*.partner.test']\n", "utf-8")
    code, _, err = run(
        capsys, "scan", str(fleet), *BASE, "--config", str(config), *mail_args(smtp.port)
    )
    assert code == 0, err
    rcpts = sorted(r[0] for r, _ in smtp.inbox.messages)
    assert rcpts == ["li@eu.partner.test", "ops@example.com", "ws@example.com"]
    assert "owner 'max@partner.test.attacker.test' was not mailed" in err


_OPENED: list[str] | None = None
"""Files opened while a test listens (an audit hook cannot be removed, so it stays idle)."""


def _count_opens(event: str, args: tuple[Any, ...]) -> None:
    if _OPENED is not None and event == "open" and args and isinstance(args[0], str):
        _OPENED.append(args[0])


@pytest.mark.slow  # runs the mail path for many owners
def test_routing_reads_the_inventory_a_fixed_number_of_times_whatever_the_owners(
    capsys: pytest.CaptureFixture[str], smtp: Smtp, tmp_path: Path
) -> None:
    # A large report is not kept in memory: each pass over its findings reads the inventory
    # again. Routing used to make two passes per owner (2000 owners: 66 s); it makes a few
    # in all, so the count of reads says whether it is linear, without timing anything.
    global _OPENED
    fleet = tmp_path / "fleet.csv"
    rows = [f"pc-{i},windows,meetly,5.16.9,owner{i}@example.com\n" for i in range(200)]
    fleet.write_text("host,platform,product,version,owner\n" + "".join(rows), encoding="utf-8")
    sys.addaudithook(_count_opens)
    _OPENED = []
    try:
        code, _, err = run(
            capsys,
            "scan",
            str(fleet),
            *BASE,
            "-q",
            "--state",
            str(tmp_path / "state.json"),
            *mail_args(smtp.port),
        )
        reads = _OPENED.count(str(fleet))
    finally:
        _OPENED = None
    assert code == 0, err
    assert len(smtp.inbox.messages) == 200 + 1  # each owner, and the whole run to --email-to
    assert reads <= 10


@pytest.mark.slow
def test_two_thousand_owners_each_get_their_mail(
    capsys: pytest.CaptureFixture[str], smtp: Smtp, tmp_path: Path
) -> None:
    fleet = tmp_path / "fleet.csv"
    rows = [f"pc-{i},windows,meetly,5.16.9,owner{i}@example.com\n" for i in range(2000)]
    fleet.write_text("host,platform,product,version,owner\n" + "".join(rows), encoding="utf-8")
    code, _, err = run(
        capsys,
        "scan",
        str(fleet),
        *BASE,
        "-q",
        "--state",
        str(tmp_path / "state.json"),
        *mail_args(smtp.port),
    )
    # (Routing was quadratic, 66 s here: the test above counts the inventory's reads, which
    # says whether it is linear without timing anything.)
    assert code == 0, err
    assert len(smtp.inbox.messages) == 2000 + 1
    owners = {f"owner{i}@example.com" for i in range(2000)}
    assert {r[0] for r, _ in smtp.inbox.messages} == owners | {"ops@example.com"}


# --- passwords -----------------------------------------------------------------------------


def utf8_authenticator(expected: bytes) -> Callable[..., AuthResult]:
    def check(
        server: SMTPServer, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        del server, session, envelope, mechanism
        ok = (
            isinstance(data, LoginPassword)
            and data.login == b"v\xc3\xa9"
            and data.password == expected
        )
        return AuthResult(success=ok, handled=False)

    return check


# aiosmtpd warns that AUTH without TLS is unsafe: true, and the point of this loopback test.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize(
    ("source", "secret"),
    [("environment", "pässwörd-€-密码".encode()), ("file", b"p\xe4ss-latin-1")],
)
def test_a_password_that_is_not_ascii_logs_in(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fleet: Path,
    tmp_path: Path,
    mechanism: str,
    source: str,
    secret: bytes,
) -> None:
    inbox = Inbox()
    other = "LOGIN" if mechanism == "PLAIN" else "PLAIN"
    controller, server = start_smtp(
        inbox,
        authenticator=utf8_authenticator(secret),
        auth_required=True,
        auth_require_tls=False,
        auth_exclude_mechanism=[other],
    )
    extra = ["--smtp-user", "vé"]
    monkeypatch.delenv("VCAUDIT_SMTP_PASSWORD", raising=False)
    if source == "environment":
        monkeypatch.setenv("VCAUDIT_SMTP_PASSWORD", secret.decode())
    else:
        (tmp_path / "password").write_bytes(secret + b"\n")
        extra += ["--smtp-password-file", str(tmp_path / "password")]
    try:
        code, _, err = run(capsys, "scan", str(fleet), *BASE, *mail_args(server.port, *extra))
    finally:
        controller.stop()
    assert code == 0, err
    assert len(inbox.messages) == 2
    assert secret.decode("utf-8", "replace") not in err


# --- state ---------------------------------------------------------------------------------


def state_run(
    capsys: pytest.CaptureFixture[str], fleet: Path, smtp: Smtp, state: Path, *extra: str
) -> tuple[int, str, str]:
    return run(
        capsys,
        "scan",
        str(fleet),
        *BASE,
        *mail_args(smtp.port),
        "--state",
        str(state),
        "--only-changes",
        *extra,
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"version": 1, "findings": [\xff]}', "not a vcaudit state file (not UTF-8 at byte 28)"),
        (b"[" * 200_000, "not a vcaudit state file (nested too deeply)"),
        (
            b'{"version": 1, "findings": [{"host": "\\ud800", "product": "p", "platform": "w"}]}',
            "not a vcaudit state file (host: holds a lone surrogate)",
        ),
        (b'{"version": 1, "findings": 1e999999}', "not a vcaudit state file"),
        (b'{"version": 1, "findings": [' + b"9" * 5000 + b"]}", "not a vcaudit state file"),
        (b"", "not a vcaudit state file"),
    ],
)
def test_a_broken_state_file_is_one_line_and_exit_3_and_no_mail(
    capsys: pytest.CaptureFixture[str],
    smtp: Smtp,
    fleet: Path,
    tmp_path: Path,
    content: bytes,
    message: str,
) -> None:
    state = tmp_path / "state.json"
    state.write_bytes(content)
    report = tmp_path / "report.txt"
    code, _, err = state_run(capsys, fleet, smtp, state, "-o", str(report))
    assert code == 3, err
    assert f"vcaudit: error: {state}: {message}" in err
    assert smtp.inbox.messages == []
    assert state.read_bytes() == content
    assert report.exists()  # every other output is written


@pytest.mark.slow
def test_a_state_held_by_another_run_sends_nothing(
    capsys: pytest.CaptureFixture[str], smtp: Smtp, fleet: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    assert state_run(capsys, fleet, smtp, state)[0] == 0
    before = state.read_bytes()
    fleet.write_text(FLEET.replace("6.2.3", "6.1.0"), encoding="utf-8")
    holder = hold_lock(state, seconds=GENEROUS)
    try:
        code, _, err = state_run(capsys, fleet, smtp, state, "--state-wait", "0.3")
    finally:
        holder.kill()
        holder.communicate()
    assert code == 5, err
    assert (
        f"{state}: another vcaudit run is using this state file (it holds state.json.lock)" in err
    )
    assert len(smtp.inbox.messages) == 2  # the first run's only
    assert state.read_bytes() == before
    code, _, err = state_run(capsys, fleet, smtp, state)
    assert code == 0, err
    assert len(smtp.inbox.messages) == 3  # the change, once the other run is gone


@pytest.mark.slow
def test_a_run_waits_for_the_state_lock_then_sees_the_other_runs_state(
    capsys: pytest.CaptureFixture[str], smtp: Smtp, fleet: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    assert state_run(capsys, fleet, smtp, state)[0] == 0
    holder = hold_lock(state, seconds=0.5)
    try:
        code, _, err = state_run(capsys, fleet, smtp, state, "--state-wait", str(GENEROUS))
    finally:
        holder.communicate()
    assert code == 0, err
    assert "nothing changed since the last run" in err
    assert len(smtp.inbox.messages) == 2


def hold_lock(state: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the state's lock (the documented FILE.lock) for `seconds`."""
    script = (
        "import fcntl, sys, time\n"
        "f = open(sys.argv[1], 'a')\n"
        "fcntl.flock(f, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "time.sleep(float(sys.argv[2]))\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(state) + ".lock", str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None
    assert holder.stdout.readline() == "held\n"
    return holder


@pytest.mark.slow
def test_two_runs_at_once_send_the_changes_once(fleet: Path, tmp_path: Path) -> None:
    slow = Inbox()
    original = slow.handle_DATA

    async def handle_data(server: SMTPServer, session: Session, envelope: Envelope) -> str:
        import asyncio

        await asyncio.sleep(0.5)  # a slow relay keeps the first run in its critical section
        return await original(server, session, envelope)

    slow.handle_DATA = handle_data  # type: ignore[method-assign]
    controller, server = start_smtp(slow)
    state = tmp_path / "state.json"
    command = [
        sys.executable,
        "-m",
        "vcaudit",
        "scan",
        str(fleet),
        *BASE,
        *mail_args(server.port),
        "--state",
        str(state),
        "--only-changes",
        "--state-wait",
        "60",
    ]
    try:
        runs = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(2)]
        results = [(p.communicate(timeout=120)[1], p.returncode) for p in runs]
    finally:
        controller.stop()
    assert [code for _, code in results] == [0, 0], results
    assert len(slow.messages) == 2  # one run mailed; the other found nothing changed
    assert sum("nothing changed since the last run" in err for err, _ in results) == 1


def test_a_missing_state_folder_is_refused_before_anything_is_sent(
    capsys: pytest.CaptureFixture[str], smtp: Smtp, fleet: Path, tmp_path: Path
) -> None:
    state = tmp_path / "gone" / "state.json"
    code, _, err = state_run(capsys, fleet, smtp, state)
    assert code == 3
    assert f"{state}: cannot keep the state here: the folder {state.parent} does not exist" in err
    assert smtp.inbox.messages == []


def make_read_only(folder: Path) -> Callable[[], None]:
    """Make `folder` read-only even for root (chmod, else the immutable attribute); returns
    what undoes it."""
    folder.chmod(0o555)

    def undo() -> None:
        if chattr:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)

    chattr = False
    probe = folder / ".probe"
    try:
        probe.touch()
    except PermissionError:
        return undo
    probe.unlink()  # root writes anyway: try the immutable attribute
    tool = shutil.which("chattr")
    if tool and subprocess.run([tool, "+i", str(folder)], check=False).returncode == 0:
        chattr = True
        return undo
    folder.chmod(0o755)
    pytest.skip("cannot make a folder read-only here (root without chattr)")


def test_a_read_only_state_folder_is_refused_before_anything_is_sent(
    capsys: pytest.CaptureFixture[str], smtp: Smtp, fleet: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "state"
    folder.mkdir()
    state = folder / "state.json"
    assert state_run(capsys, fleet, smtp, state)[0] == 0
    before = state.read_bytes()
    fleet.write_text(FLEET.replace("6.2.3", "6.1.0"), encoding="utf-8")
    undo = make_read_only(folder)
    try:
        code, _, err = state_run(capsys, fleet, smtp, state)
    finally:
        undo()
    assert code == 3, err
    assert f"{state}: cannot keep the state here" in err
    assert len(smtp.inbox.messages) == 2  # the first run's only
    assert state.read_bytes() == before


def test_a_state_that_cannot_be_saved_after_sending_is_exit_5_and_nothing_is_lost(
    capsys: pytest.CaptureFixture[str], fleet: Path, tmp_path: Path
) -> None:
    state = tmp_path / "state.json"
    inbox = Inbox()
    controller, smtp = start_smtp(inbox)
    sabotage = threading.Event()
    original = inbox.handle_DATA

    async def handle_data(server: SMTPServer, session: Session, envelope: Envelope) -> str:
        if sabotage.is_set():
            # While the mail is sent, the new state staged beside the old one disappears
            # (a cleaner, a full disk on rename...): it cannot be put in place.
            for staged in tmp_path.glob(".state.json.*.tmp"):
                staged.unlink()
        return await original(server, session, envelope)

    inbox.handle_DATA = handle_data  # type: ignore[method-assign]
    try:
        assert state_run(capsys, fleet, smtp, state)[0] == 0
        before = state.read_bytes()
        fleet.write_text(FLEET.replace("6.2.3", "6.1.0"), encoding="utf-8")
        sabotage.set()
        code, _, err = state_run(capsys, fleet, smtp, state)
        assert code == 5, err
        assert f"{state}: delivered, but the new state could not be saved" in err
        assert "the next run will report these changes again" in err
        assert state.read_bytes() == before  # the previous state, whole
        assert len(inbox.messages) == 3
        sabotage.clear()
        code, _, err = state_run(capsys, fleet, smtp, state)
    finally:
        controller.stop()
    assert code == 0, err
    # The next run reports the same change again, not everything as new.
    assert len(inbox.messages) == 4
    text, _ = parts(inbox.messages[3][1])
    assert "Changes since" in text
    assert "0 new, 0 resolved, 1 riskier" in text


# --- attachments ---------------------------------------------------------------------------


def attachments_of(message: EmailMessage) -> dict[str, bytes]:
    found = {}
    for part in message.iter_attachments():
        name = part.get_filename()
        assert name is not None
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[name] = payload
    return found


def test_large_attachments_are_compressed_or_replaced_by_a_note(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    # Small limits stand in for the real ones (1 MiB plain, 8 MiB in all), which would need
    # a fleet of tens of thousands of rows to reach.
    monkeypatch.setattr(attachments, "PLAIN_LIMIT", 4096)
    monkeypatch.setattr(attachments, "MAX_BYTES", 3000)
    fleet = tmp_path / "fleet.csv"
    rows = [f"pc-{i:04d},windows,meetly,5.16.{i % 10},\n" for i in range(400)]
    fleet.write_text("host,platform,product,version,owner\n" + "".join(rows), encoding="utf-8")
    out = tmp_path / "mail"
    code, _, err = run(
        capsys,
        "scan",
        str(fleet),
        *BASE,
        "--email-to",
        "ops@example.com",
        "--email-from",
        "vcaudit@example.com",
        "--email-dry-run",
        str(out),
        "--email-attach",
        "json",
        "--email-attach",
        "csv",
    )
    assert code == 0, err
    message = email.message_from_bytes((out / "01-summary.eml").read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    files = attachments_of(message)
    # The JSON does not fit even compressed: a note says how to get it. The CSV, over the
    # plain limit, fits compressed.
    assert sorted(files) == ["vcaudit-report.csv.gz", "vcaudit-report.json.txt"]
    assert b"--report json=FILE" in files["vcaudit-report.json.txt"]
    csv_text = gzip.decompress(files["vcaudit-report.csv.gz"]).decode("utf-8")
    assert csv_text.startswith("host,platform,product")
    assert csv_text.count("\n") == 401
    assert sum(len(data) for data in files.values()) <= 3000 + 1000


def test_a_small_attachment_is_attached_as_it_is(
    capsys: pytest.CaptureFixture[str], fleet: Path, tmp_path: Path
) -> None:
    out = tmp_path / "mail"
    code, _, err = run(
        capsys,
        "scan",
        str(fleet),
        *BASE,
        "--email-to",
        "ops@example.com",
        "--email-from",
        "vcaudit@example.com",
        "--email-dry-run",
        str(out),
        "--email-attach",
        "json",
    )
    assert code == 0, err
    message = email.message_from_bytes((out / "02-summary.eml").read_bytes(), policy=default_policy)
    assert isinstance(message, EmailMessage)
    files = attachments_of(message)
    assert list(files) == ["vcaudit-report.json"]
    # The default recipients' report is the whole run, the owner's row included.
    assert json.loads(files["vcaudit-report.json"])["summary"]["installations"] == 2


def test_the_lock_file_is_documented_beside_the_state() -> None:
    readme = (Path(__file__).parent.parent.parent / "README.md").read_text(encoding="utf-8")
    assert "FILE.lock" in readme
    assert "TimeoutStartSec=" in readme
