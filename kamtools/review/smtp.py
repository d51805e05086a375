"""One SMTP conversation of :mod:`kamtools.review.deliver` and how its failures read.

:func:`send_once` sends one message over an encrypted connection when a login is needed (never a
password in the clear); :func:`is_permanent` says whether trying again can help,
:func:`is_unreachable` whether the server was reached at all, and :func:`describe_failure` puts
the failure in one sentence for the KAM list of ``kamtools deliver``.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kamtools.review.deliver import SmtpSettings

__all__ = ["PlainTextLogin", "describe_failure", "is_permanent", "is_unreachable", "send_once"]


class PlainTextLogin(smtplib.SMTPException):
    """The login would go over an unencrypted connection (refused)."""


def is_permanent(exc: BaseException) -> bool:
    """A 5xx SMTP reply (bad address, refused sender, failed login) or a refused unencrypted
    login: trying again will not help."""
    if isinstance(exc, PlainTextLogin):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in exc.recipients.values()]
        return bool(codes) and all(500 <= c < 600 for c in codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return 500 <= exc.smtp_code < 600
    return False


def describe_failure(exc: BaseException) -> str:
    if isinstance(exc, PlainTextLogin):
        return str(exc)
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{addr} refused: {code} {msg.decode(errors='replace') if isinstance(msg, bytes) else msg}"
            for addr, (code, msg) in exc.recipients.items()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"the server answered {exc.smtp_code} {text}"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (is the SMTP server running on that host and port?)"
    if isinstance(exc, TimeoutError | smtplib.SMTPServerDisconnected):
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


def send_once(msg: EmailMessage, s: SmtpSettings) -> None:
    context = ssl.create_default_context()
    if s.tls == "ssl":
        server: smtplib.SMTP = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
    else:
        server = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
    with server:
        server.ehlo()
        encrypted = s.tls == "ssl"
        if s.tls == "starttls" or (s.tls == "auto" and server.has_extn("starttls")):
            server.starttls(context=context)
            server.ehlo()
            encrypted = True
        if s.user:
            if not encrypted:
                raise PlainTextLogin(
                    f"{s.host}:{s.port} does not offer STARTTLS, and kamtools does not send a password unencrypted; "
                    "use --tls ssl (or a server with STARTTLS)"
                )
            server.login(s.user, s.password or "")
        refused = server.send_message(msg)
        if refused:  # some recipients refused while others were accepted (one recipient here)
            raise smtplib.SMTPRecipientsRefused(refused)


def is_unreachable(exc: BaseException) -> bool:
    """The server could not be reached at all (no SMTP conversation took place)."""
    return isinstance(exc, OSError) and not isinstance(exc, smtplib.SMTPException)
