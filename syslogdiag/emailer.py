"""Send an email to the user (CRITICAL log records, reports) with the standard library's smtplib.

Email is a side channel: a missing or broken mail setup must never stop a trading process. So
`send_email` returns whether the message went, logs what went wrong, and raises nothing.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

log = logging.getLogger(__name__)

# Records from this module never trigger an email themselves (no loops when mail is broken).
EMAILER_LOGGER = __name__

_told_not_configured = False


def email_is_configured(config: Mapping[str, Any]) -> bool:
    return bool(config.get("email_server")) and bool(config.get("email_address"))


def recipients(config: Mapping[str, Any]) -> list[str]:
    """`email_to` (one address or a comma-separated list), else the sender's own address."""
    raw = config.get("email_to") or config.get("email_address") or ""
    if isinstance(raw, list | tuple):
        return [str(a).strip() for a in raw if str(a).strip()]
    return [part.strip() for part in str(raw).split(",") if part.strip()]


def build_message(config: Mapping[str, Any], subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = str(config["email_address"])
    message["To"] = ", ".join(recipients(config))
    message["Subject"] = subject
    message.set_content(body)
    return message


def send_email(config: Mapping[str, Any], subject: str, body: str) -> bool:
    """Send `body` to the configured recipients; True when the server accepted it.

    Config: `email_server`, `email_port`, `email_address` (sender, and the login user),
    `email_pwd` (login only when set), `email_to` (default: the sender), `email_use_tls`
    (STARTTLS; on port 465 the connection is TLS from the start), `email_timeout_seconds`.
    """
    return send_message(config, None, subject=subject, body=body)


def send_message(config: Mapping[str, Any], message: EmailMessage | None, *, subject: str = "",
                 body: str = "") -> bool:
    """Send a message already assembled (a report: HTML, text and inline charts), or one built
    from `subject` and `body` when `message` is None; True when the server accepted it."""
    global _told_not_configured
    if not email_is_configured(config):
        if not _told_not_configured:
            _told_not_configured = True
            log.warning(
                "email is not configured (set email_address and email_server); "
                "messages meant for email are only logged"
            )
        return False
    server = str(config["email_server"])
    port = int(config.get("email_port") or 587)
    timeout = float(config.get("email_timeout_seconds") or 30)
    try:
        if message is None:
            message = build_message(config, subject, body)
        subject = str(message["Subject"])
        if port == 465:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                server, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(server, port, timeout=timeout)
        with smtp:
            if port != 465 and config.get("email_use_tls", True):
                smtp.starttls(context=ssl.create_default_context())
            if config.get("email_pwd"):
                smtp.login(str(config["email_address"]), str(config["email_pwd"]))
            smtp.send_message(message)
        return True
    except (TimeoutError, smtplib.SMTPException, OSError, ValueError) as exc:
        log.error("email '%s' to %s via %s:%s failed: %s", subject, ", ".join(recipients(config)),
                  server, port, exc)
        return False
