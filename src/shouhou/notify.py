"""Notifications (SMS, WeChat, e-mail) behind one interface; the default writes them to the log.

Messages never carry a phone number or an address in clear: the notifier gets an opaque recipient id and the
gateway that sends it looks the contact up under its own access rules.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    channel: str  # sms | wechat | email | supervisor
    recipient: str  # an id (customer, technician, user, "supervisors"), never a contact detail
    template: str
    params: dict[str, str] = field(default_factory=dict)


class Notifier(Protocol):
    def send(self, message: Message) -> None: ...


class LoggingNotifier:
    def send(self, message: Message) -> None:
        m = message
        # One-time tokens are secrets of the recipient: the log gets their presence, not their value.
        shown = {k: ("***" if "token" in k else v) for k, v in m.params.items()}
        log.info("notify %s → %s: %s %s", m.channel, m.recipient, m.template, shown)


class RecordingNotifier:
    """Keeps what was sent (tests, simulations)."""

    def __init__(self) -> None:
        self.sent: list[Message] = []

    def send(self, message: Message) -> None:
        self.sent.append(message)
