"""A real SMTP server on loopback (aiosmtpd) that keeps what it is sent, for email tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler keeping every message: (sender, recipients, raw text)."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            (envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode("utf8", "replace"))
        )
        return "250 OK"


@contextmanager
def running_smtp_server(**controller_args) -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **controller_args)
    controller.start()
    try:
        yield controller.port, inbox
    finally:
        controller.stop()


def email_settings(port: int) -> dict:
    return {"email_address": "desk@example.com", "email_server": "127.0.0.1", "email_port": port,
            "email_use_tls": False, "email_to": "me@example.com"}
