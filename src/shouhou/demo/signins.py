"""Console sign-ins for the demo: one demo user of each role gets a fresh random password on every run (set
through the audited password service, which also ends their old sessions), printed once by `shouhou demo`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Final

from shouhou.accounts import service as accounts
from shouhou.accounts import sessions
from shouhou.accounts.roles import SYSTEM, Role
from shouhou.demo import repairs as demo_repairs
from shouhou.errors import NotFound
from shouhou.runtime import Runtime

# One user of each role from the demo worlds; the technician is the on-call locksmith, who always holds
# the demo's emergency job, whatever the hour the demo was loaded at.
USERS: Final[dict[Role, str]] = {
    Role.BUYER: "demo-buyer-2",  # holds the forged-crack claim
    Role.MERCHANT: "demo-merchant",
    Role.REVIEWER: "demo-reviewer-1",
    Role.ADMIN: "demo-admin",
    Role.AGENT: demo_repairs.MARKER_USER,
    Role.TECHNICIAN: "demo-tech-zhou",
    Role.SUPERVISOR: "demo-supervisor",
}
# No 0/O, 1/l/I: read off a terminal and typed into a phone.
_ALPHABET: Final = "abcdefghjkmnpqrstuvwxyz23456789"
CONSOLE_URL: Final = "http://127.0.0.1:8000/"


@dataclass(frozen=True)
class SignIn:
    role: Role
    username: str
    password: str


def new_password(groups: int = 3, size: int = 4) -> str:
    """'k7wq-3mzp-x9ta': about 59 random bits, easy to read off a screen and type."""
    return "-".join("".join(secrets.choice(_ALPHABET) for _ in range(size)) for _ in range(groups))


def reset_passwords(rt: Runtime) -> list[SignIn]:
    """A new password for each demo user, in role order; users the demo did not create are skipped."""
    out = []
    for role, username in USERS.items():
        try:
            user = accounts.user_by_username(rt, username=username)
        except NotFound:
            continue
        if not user.active:  # deactivated in the console since: the demo promises a working sign-in
            accounts.set_active(rt, actor=SYSTEM, user_id=user.id, active=True)
        password = new_password()
        sessions.set_password(rt, actor=SYSTEM, user_id=user.id, password=password)
        out.append(SignIn(role=role, username=user.username, password=password))
    return out
