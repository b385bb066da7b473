"""Email summaries over SMTP (plain, STARTTLS or implicit TLS), or .eml files for a dry run.

The password comes only from VCAUDIT_SMTP_PASSWORD or a file, never from a flag, and never
appears in a message, an error or a log. Every failure (connection, TLS, authentication, a
refused recipient) becomes one DeliveryError line; the caller still writes every other
output and exits 5.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path

from vcaudit.errors import DeliveryError, UsageError
from vcaudit.files import atomic_write
from vcaudit.notify.digest import Digest
from vcaudit.notify.kinds import Security

DEFAULT_PORTS = {Security.STARTTLS: 587, Security.TLS: 465, Security.NONE: 25}


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send."""

    host: str = "localhost"
    port: int | None = None
    security: Security = Security.STARTTLS
    user: str = ""
    password: str = ""
    ca_file: str = ""
    timeout: float = 30.0

    @property
    def effective_port(self) -> int:
        """The port to use: the given one, else the usual one for the security mode."""
        return self.port or DEFAULT_PORTS[self.security]

    def __repr__(self) -> str:  # the password must never reach a log or a traceback
        return (
            f"SmtpSettings(host={self.host!r}, port={self.effective_port}, "
            f"security={self.security.value}, user={self.user!r}, password=***)"
        )


def check_address(text: str, what: str) -> str:
    """A plain `name@domain` address; anything else (CR/LF, lists) is a usage error."""
    if any(c in text for c in "\r\n,;") or not text.strip():
        raise UsageError(f"{what}: not a single email address: {text!r}")
    _name, address = parseaddr(text)
    if "@" not in address or address != address.strip():
        raise UsageError(f"{what}: not an email address: {text!r}")
    try:
        Address(addr_spec=address)
    except (ValueError, IndexError) as exc:
        raise UsageError(f"{what}: not an email address: {text!r} ({exc})") from None
    return address


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
    domain = sender.rpartition("@")[2] or "vcaudit.invalid"
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
        raise DeliveryError(f"cannot use the CA file {settings.ca_file}: {exc}") from None


def send(message: EmailMessage, settings: SmtpSettings, sender: str, recipients: list[str]) -> None:
    """Deliver `message`; raise DeliveryError with one sentence on any failure."""
    where = f"{settings.host}:{settings.effective_port}"
    try:
        client: smtplib.SMTP
        if settings.security is Security.TLS:
            client = smtplib.SMTP_SSL(
                settings.host, settings.effective_port, timeout=settings.timeout,
                context=_context(settings),
            )  # fmt: skip
        else:
            client = smtplib.SMTP(settings.host, settings.effective_port, timeout=settings.timeout)
        with client:
            client.ehlo()
            if settings.security is Security.STARTTLS:
                if not client.has_extn("starttls"):
                    raise DeliveryError(
                        f"the mail server {where} does not offer STARTTLS; refusing to send in "
                        "clear (use --smtp-security none only on a trusted network)"
                    )
                client.starttls(context=_context(settings))
                client.ehlo()
            if settings.user:
                client.login(settings.user, settings.password)
            refused = client.send_message(message, from_addr=sender, to_addrs=recipients)
    except DeliveryError:
        raise
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"the mail server {where} refused the login for {settings.user!r} ({exc.smtp_code})"
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(f"the mail server {where} refused {_refused(exc.recipients)}") from None
    except smtplib.SMTPSenderRefused as exc:
        raise DeliveryError(
            f"the mail server {where} refused the sender {sender!r} ({exc.smtp_code})"
        ) from None
    except ssl.SSLError as exc:
        raise DeliveryError(f"TLS with the mail server {where} failed: {exc.reason}") from None
    except (TimeoutError, smtplib.SMTPException, OSError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise DeliveryError(f"cannot send mail through {where}: {detail}") from None
    if refused:
        raise DeliveryError(f"the mail server {where} refused {_refused(refused)}")


def _refused(recipients: dict[str, tuple[int, bytes]]) -> str:
    parts = [f"{addr} ({code})" for addr, (code, _msg) in sorted(recipients.items())]
    return "recipient " + ", ".join(parts) if len(parts) == 1 else "recipients " + ", ".join(parts)


def write_eml(message: EmailMessage, directory: Path, name: str) -> Path:
    """Write the message as an .eml file (for --email-dry-run)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DeliveryError(f"cannot create {directory}: {exc.strerror}") from None
    path = directory / f"{name}.eml"
    atomic_write(path, message.as_bytes())
    return path


def read_password(environ_value: str | None, password_file: str) -> str:
    """The SMTP password from the environment or a file (first line)."""
    if environ_value:
        return environ_value
    if not password_file:
        return ""
    try:
        return Path(password_file).read_text(encoding="utf-8").splitlines()[0].strip()
    except (OSError, IndexError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "the file is empty"
        raise UsageError(f"cannot read the SMTP password file {password_file}: {reason}") from None
