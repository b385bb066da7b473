"""Email summaries over SMTP (plain, STARTTLS or implicit TLS), or .eml files for a dry run.

The password comes only from VCAUDIT_SMTP_PASSWORD or a file, never from a flag, and never
appears in a message, an error or a log; it and the user name are sent as UTF-8 (RFC 4616),
so any password works. Every SMTP session (connecting, TLS, login, sending) has one overall
deadline, `SmtpSettings.timeout`: a server that answers slowly is cut off when it passes,
however it trickles its answers. Every failure becomes one DeliveryError line; a failure of
the server itself (`MailServerError`) means the caller stops trying it for this run. The
caller still writes every other output and exits 5.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hmac
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any, overload

from vcaudit.deadline import Watchdog
from vcaudit.errors import DeliveryError, UsageError
from vcaudit.files import atomic_write
from vcaudit.notify.addresses import parse_address
from vcaudit.notify.digest import Digest

# The SMTP settings and their defaults live with the other notification choices (no smtplib
# there, so a scan that sends nothing never imports this module); named here too.
from vcaudit.notify.kinds import DEFAULT_PORTS as DEFAULT_PORTS
from vcaudit.notify.kinds import DEFAULT_TIMEOUT as DEFAULT_TIMEOUT
from vcaudit.notify.kinds import Security
from vcaudit.notify.kinds import SmtpSettings as SmtpSettings

_MAX_AUTH_ROUNDS = 5


class MailServerError(DeliveryError):
    """The mail server itself failed (unreachable, too slow, TLS, login, sender refused; or
    the dry run's folder): the other messages of this run would fail the same way, so they
    are not attempted."""


def check_address(text: str, what: str) -> str:
    """A plain `name@domain` address; anything else (CR/LF, lists) is a usage error."""
    try:
        return parse_address(text)
    except ValueError as exc:
        raise UsageError(f"{what}: not a single plain email address: {text!r} ({exc})") from None


def compose(
    digest: Digest,
    sender: str,
    recipients: list[str],
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> EmailMessage:
    """A multipart/alternative message (text, then HTML), with optional attachments."""
    message = EmailMessage()
    message["Subject"] = digest.subject
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rpartition("@")[2].rstrip(">").strip() or "vcaudit.invalid"
    message["Message-ID"] = make_msgid("vcaudit", domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(digest.text, subtype="plain", charset="utf-8")
    message.add_alternative(digest.html, subtype="html", charset="utf-8")
    if attachments:
        message.make_mixed()
        for filename, mime, data in attachments:
            maintype, _, subtype = mime.partition("/")
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


def _context(settings: SmtpSettings) -> ssl.SSLContext:
    try:
        return ssl.create_default_context(cafile=settings.ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise MailServerError(f"cannot use the CA file {settings.ca_file}: {exc}") from None


@functools.cache
def _local_hostname() -> str:
    """The name vcaudit gives itself in EHLO, looked up once per run (not once per message)."""
    return socket.getfqdn()


def _b64(text: str) -> str:
    # UTF-8 as RFC 4616 (PLAIN) asks, and as servers expect for LOGIN; surrogateescape gives
    # back the exact bytes of a password read from the environment or a file.
    return base64.b64encode(text.encode("utf-8", "surrogateescape")).decode("ascii")


class _Session(smtplib.SMTP):
    """smtplib's client, with its sockets under a watchdog and credentials sent as UTF-8
    (smtplib encodes them as ASCII and crashes on any other character)."""

    watchdog: Watchdog

    def _connect(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = socket.create_connection((host, port), min(timeout, self.watchdog.remaining()))
        self.watchdog.watch(sock)
        return sock

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return self._connect(host, port, timeout)

    def auth(
        self, mechanism: str, authobject: Any, *, initial_response_ok: bool = True
    ) -> tuple[int, bytes]:
        """smtplib's AUTH exchange, with responses encoded as UTF-8."""
        mechanism = mechanism.upper()
        initial = authobject() if initial_response_ok else None
        if initial is not None:
            code, answer = self.docmd("AUTH", f"{mechanism} {_b64(initial)}")
            self._auth_challenge_count = 1
        else:
            code, answer = self.docmd("AUTH", mechanism)
            self._auth_challenge_count = 0
        while code == 334:
            self._auth_challenge_count += 1
            if self._auth_challenge_count > _MAX_AUTH_ROUNDS:
                raise smtplib.SMTPException("the server keeps asking for authentication data")
            code, answer = self.docmd(_b64(authobject(base64.decodebytes(answer))))
        if code in (235, 503):
            return code, answer
        raise smtplib.SMTPAuthenticationError(code, answer)

    @overload
    def auth_cram_md5(self, challenge: None = None) -> None: ...
    @overload
    def auth_cram_md5(self, challenge: Any) -> str: ...
    def auth_cram_md5(self, challenge: Any = None) -> str | None:
        """CRAM-MD5 keyed by the password's UTF-8 bytes."""
        if challenge is None:
            return None
        secret = self.password.encode("utf-8", "surrogateescape")
        return f"{self.user} {hmac.HMAC(secret, challenge, 'md5').hexdigest()}"


class _PlainSession(_Session):
    def __init__(self, settings: SmtpSettings, watchdog: Watchdog) -> None:
        self.watchdog = watchdog
        super().__init__(
            settings.host,
            settings.effective_port,
            local_hostname=_local_hostname(),
            timeout=settings.timeout,
        )


class _TlsSession(_Session, smtplib.SMTP_SSL):
    def __init__(self, settings: SmtpSettings, watchdog: Watchdog) -> None:
        self.watchdog = watchdog
        smtplib.SMTP_SSL.__init__(
            self,
            settings.host,
            settings.effective_port,
            local_hostname=_local_hostname(),
            timeout=settings.timeout,
            context=_context(settings),
        )

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # The raw socket is watched before the handshake, so a stalled handshake is cut too.
        raw = self._connect(host, port, timeout)
        return self.context.wrap_socket(raw, server_hostname=host)


def send(message: EmailMessage, settings: SmtpSettings, sender: str, recipients: list[str]) -> None:
    """Deliver `message` in one SMTP session bounded by `settings.timeout`; raise
    MailServerError when the server failed, DeliveryError when only this message did."""
    where = f"{settings.host}:{settings.effective_port}"
    with Watchdog(settings.timeout) as watchdog:
        try:
            refused = _session(message, settings, sender, recipients, watchdog, where)
        except DeliveryError:
            raise
        except Exception as exc:
            if watchdog.expired:
                raise MailServerError(
                    f"the mail server {where} did not finish within {settings.timeout:g} s "
                    "(--smtp-timeout bounds the whole session); stopped"
                ) from None
            raise _explain(exc, settings, where, sender) from None
    if refused:
        raise DeliveryError(f"the mail server {where} refused {_refused(refused)}")


def _session(
    message: EmailMessage,
    settings: SmtpSettings,
    sender: str,
    recipients: list[str],
    watchdog: Watchdog,
    where: str,
) -> dict[str, tuple[int, bytes]]:
    client: _Session
    if settings.security is Security.TLS:
        client = _TlsSession(settings, watchdog)
    else:
        client = _PlainSession(settings, watchdog)
    try:
        client.ehlo()
        if settings.security is Security.STARTTLS:
            if not client.has_extn("starttls"):
                raise MailServerError(
                    f"the mail server {where} does not offer STARTTLS; refusing to send in "
                    "clear (use --smtp-security none only on a trusted network)"
                )
            client.starttls(context=_context(settings))
            client.ehlo()
        if settings.user:
            client.login(settings.user, settings.password)
        refused = client.send_message(message, from_addr=sender, to_addrs=recipients)
        # The message was accepted; how the server says goodbye does not matter.
        with contextlib.suppress(smtplib.SMTPException, OSError):
            client.quit()
        return refused
    finally:
        client.close()


def _explain(exc: Exception, settings: SmtpSettings, where: str, sender: str) -> DeliveryError:
    """One sentence for a failed session."""
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return MailServerError(
            f"the mail server {where} refused the login for {settings.user!r} ({exc.smtp_code})"
        )
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return DeliveryError(f"the mail server {where} refused {_refused(exc.recipients)}")
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return MailServerError(
            f"the mail server {where} refused the sender {sender!r} ({exc.smtp_code})"
        )
    if isinstance(exc, smtplib.SMTPDataError):
        return DeliveryError(f"the mail server {where} refused the message ({exc.smtp_code})")
    if isinstance(exc, ssl.SSLError):
        return MailServerError(f"TLS with the mail server {where} failed: {exc.reason}")
    if isinstance(exc, OSError) and exc.strerror:
        return MailServerError(f"cannot send mail through {where}: {exc.strerror}")
    if isinstance(exc, smtplib.SMTPException | OSError | ValueError | OverflowError):
        # ValueError: a host name IDNA cannot encode, a challenge that is not base64...
        return MailServerError(f"cannot send mail through {where}: {exc or type(exc).__name__}")
    raise exc


def _refused(recipients: dict[str, tuple[int, bytes]]) -> str:
    parts = [f"{addr} ({code})" for addr, (code, _msg) in sorted(recipients.items())]
    return "recipient " + ", ".join(parts) if len(parts) == 1 else "recipients " + ", ".join(parts)


def write_eml(message: EmailMessage, directory: Path, name: str) -> Path:
    """Write the message as an .eml file (for --email-dry-run)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # no message can be written there: stop, like a dead server
        raise MailServerError(f"cannot create {directory}: {exc.strerror}") from None
    path = directory / f"{name}.eml"
    atomic_write(path, message.as_bytes())
    return path


def read_password(environ_value: str | None, password_file: str) -> str:
    """The SMTP password from the environment or a file (first line, any bytes)."""
    if environ_value:
        return environ_value
    if not password_file:
        return ""
    try:
        with open(password_file, "rb") as handle:
            first = handle.readline(64 * 1024)
    except OSError as exc:
        raise UsageError(
            f"cannot read the SMTP password file {password_file}: {exc.strerror}"
        ) from None
    # Any bytes at all: they go back out unchanged (surrogateescape), and are never shown.
    password = first.decode("utf-8", "surrogateescape").strip()
    if not password:
        raise UsageError(f"cannot read the SMTP password file {password_file}: the file is empty")
    return password
