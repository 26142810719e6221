"""Passwords (scrypt) and the web console's sessions: sign in, resolve a cookie, sign out.

The cookie carries 256 random bits; the database keeps only their SHA-256, so a copy of the database cannot be
replayed as a session. Sign-ins, sign-outs and password changes are audit-logged; a failed sign-in is logged
(not audited: the chain is no place for guessing noise)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from shouhou.accounts.roles import Principal
from shouhou.accounts.service import principal_of
from shouhou.errors import NotFound, Unauthenticated, ValidationFailed
from shouhou.runtime import Runtime
from shouhou.storage import tables as t

log = logging.getLogger(__name__)

SESSION_HOURS: Final = 12
MIN_PASSWORD: Final = 10
# scrypt at n=2**14, r=8: ~16 MiB and tens of milliseconds per guess (OWASP's interactive-login floor).
_N, _R, _P = 2**14, 8, 1
# Verified against when the username is unknown, so a miss costs the same time as a wrong password.
_DUMMY: Final = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A" * 44


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return "$".join(
        (
            "scrypt",
            str(_N),
            str(_R),
            str(_P),
            base64.b64encode(salt).decode(),
            base64.b64encode(digest).decode(),
        )
    )


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, digest = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(digest) or 32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, digest)


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"a password needs at least {MIN_PASSWORD} characters")
    if len(password) > 200:
        raise ValidationFailed("a password may have at most 200 characters")


def set_password(rt: Runtime, *, actor: Principal, user_id: str, password: str) -> None:
    """Set (or reset) a user's password; every open session of theirs ends."""
    check_password_rules(password)
    hashed = hash_password(password)
    now = rt.now()
    with rt.uow(write=True) as uow:
        user = uow.users.lock_or_raise(id=user_id)
        user.password_hash = hashed
        uow.web_sessions.revoke_for_user(user_id=user.id, now=now)
        uow.audit.append(
            at=now,
            actor=actor.user_id,
            action="user.password_set",
            subject_type="user",
            subject_id=user.id,
            detail={},
        )
        uow.commit()


def _session_id(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    principal: Principal
    token: str
    expires_at: datetime


def sign_in(rt: Runtime, *, username: str, password: str, record: bool = True) -> SignedIn:
    """Check the password and open a session; `record=False` only checks it (re-authentication)."""
    with rt.uow(write=False) as uow:
        user = uow.users.by_username(username=username.strip())
        stored = user.password_hash if user is not None and user.active else None
    ok = verify_password(password, stored or _DUMMY) and stored is not None
    if not ok or user is None:
        log.info("failed web sign-in for %r", username[:100])
        raise Unauthenticated("wrong username or password")
    if not record:
        return SignedIn(principal=principal_of(user), token="", expires_at=rt.now())
    token = secrets.token_urlsafe(32)
    now = rt.now()
    expires = now + timedelta(hours=SESSION_HOURS)
    with rt.uow(write=True) as uow:
        uow.web_sessions.add(
            t.WebSession(id=_session_id(token), user_id=user.id, created_at=now, expires_at=expires)
        )
        uow.audit.append(
            at=now,
            actor=user.id,
            action="session.signed_in",
            subject_type="user",
            subject_id=user.id,
            detail={},
        )
        uow.commit()
    return SignedIn(principal=principal_of(user), token=token, expires_at=expires)


def resolve(rt: Runtime, token: str) -> Principal:
    if not token or len(token) > 100:
        raise Unauthenticated("not signed in")
    with rt.uow(write=False) as uow:
        user = uow.web_sessions.active_user(session_id=_session_id(token), now=rt.now())
        if user is None:
            raise Unauthenticated("the session has ended; sign in again")
        return principal_of(user)


def sign_out(rt: Runtime, token: str) -> None:
    now = rt.now()
    with rt.uow(write=True) as uow:
        try:
            row = uow.web_sessions.get_or_raise(id=_session_id(token))
        except NotFound:
            return
        if row.revoked_at is None:
            row.revoked_at = now
            uow.audit.append(
                at=now,
                actor=row.user_id,
                action="session.signed_out",
                subject_type="user",
                subject_id=row.user_id,
                detail={},
            )
        uow.commit()
