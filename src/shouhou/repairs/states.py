"""The repair lifecycle as data: states, the transition table, priorities and service types."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final


class RepairState(StrEnum):
    RECEIVED = "received"
    UNCOVERED = "uncovered"  # no technician qualifies: a visible queue, the supervisor is alerted
    DISPATCHED = "dispatched"
    ACCEPTED = "accepted"  # the technician accepted and contacted the customer: the first response
    EN_ROUTE = "en_route"
    ON_SITE = "on_site"
    WAITING = "waiting"  # for the customer or for parts: the SLA clock pauses
    COMPLETED = "completed"
    RATED = "rated"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    REOPENED = "reopened"  # the same fault again within the warranty window


R = RepairState

TRANSITIONS: Final[Mapping[RepairState, frozenset[RepairState]]] = {
    R.RECEIVED: frozenset({R.DISPATCHED, R.UNCOVERED, R.CANCELLED}),
    R.UNCOVERED: frozenset({R.DISPATCHED, R.CANCELLED}),
    # → received: the technician declined or the SLA escalation took the job back for another.
    R.DISPATCHED: frozenset({R.ACCEPTED, R.RECEIVED, R.CANCELLED}),
    R.ACCEPTED: frozenset({R.EN_ROUTE, R.WAITING, R.RECEIVED, R.CANCELLED}),
    R.EN_ROUTE: frozenset({R.ON_SITE, R.WAITING, R.CANCELLED}),
    R.ON_SITE: frozenset({R.COMPLETED, R.WAITING}),
    R.WAITING: frozenset({R.ACCEPTED, R.EN_ROUTE, R.ON_SITE, R.CANCELLED}),
    R.COMPLETED: frozenset({R.RATED, R.CLOSED, R.REOPENED}),
    R.RATED: frozenset({R.CLOSED, R.REOPENED}),
    R.CLOSED: frozenset({R.REOPENED}),
    R.REOPENED: frozenset({R.DISPATCHED, R.UNCOVERED, R.CANCELLED}),
    R.CANCELLED: frozenset(),
}

OPEN_STATES: Final = frozenset(
    {R.RECEIVED, R.UNCOVERED, R.DISPATCHED, R.ACCEPTED, R.EN_ROUTE, R.ON_SITE, R.WAITING, R.REOPENED}
)
# The technician holds the job in these states (counts against their load and day capacity).
HELD_STATES: Final = frozenset({R.DISPATCHED, R.ACCEPTED, R.EN_ROUTE, R.ON_SITE, R.WAITING})


class Priority(StrEnum):
    NORMAL = "normal"
    EMERGENCY = "emergency"  # green channel (绿色通道): water leak, a locked safe, no heating in winter


class ServiceType(StrEnum):
    REPAIR = "repair"
    INSTALLATION = "installation"
    MAINTENANCE = "maintenance"
    CLEANING = "cleaning"


class Channel(StrEnum):
    PHONE = "phone"  # an agent types it in while the customer talks
    ONLINE = "online"


class WaitReason(StrEnum):
    CUSTOMER = "customer"
    PARTS = "parts"
