"""Creating users, issuing API tokens (shown once, stored as a hash) and authenticating them."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime

from shouhou.accounts.roles import Principal, Role
from shouhou.errors import Conflict, Forbidden, NotFound, Unauthenticated, ValidationFailed
from shouhou.runtime import Runtime
from shouhou.storage import tables as t
from shouhou.storage.ids import new_id
from shouhou.storage.uow import UnitOfWork

TOKEN_PREFIX = "shh_"


def hash_token(token: str) -> str:
    # Tokens carry 256 random bits, so a plain SHA-256 is enough (no password stretching needed).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def principal_of(user: t.User) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        role=Role(user.role),
        shop_id=user.shop_id,
        buyer_id=user.buyer_id,
    )


def create_user(
    rt: Runtime,
    *,
    actor: Principal,
    username: str,
    role: Role,
    display_name: str = "",
    shop_id: str | None = None,
    buyer_id: str | None = None,
    on_shift: bool = False,
) -> tuple[t.User, str]:
    """Create a user and their first token; the token is returned once and only its hash is stored."""
    if not username or len(username) > 100:
        raise ValidationFailed("username must be 1–100 characters")
    if role is Role.MERCHANT and not shop_id:
        raise ValidationFailed("a merchant user needs shop_id")
    if role is Role.BUYER and not buyer_id:
        raise ValidationFailed("a buyer user needs buyer_id")
    if role not in (Role.MERCHANT,) and shop_id:
        raise ValidationFailed("only merchant users belong to a shop")
    now = rt.now()
    with rt.uow(write=True) as uow:
        if uow.users.by_username(username=username) is not None:
            raise Conflict(f"user {username!r} exists already")
        if shop_id:
            uow.shops.get_or_raise(id=shop_id)
        if buyer_id:
            uow.buyers.get_or_raise(id=buyer_id)
        user = uow.users.add(
            t.User(
                id=new_id("usr"),
                username=username,
                display_name=display_name or username,
                role=role.value,
                shop_id=shop_id,
                buyer_id=buyer_id,
                on_shift=on_shift,
                active=True,
                created_at=now,
            )
        )
        token = _issue(uow, user.id, now)
        uow.audit.append(
            at=now,
            actor=actor.user_id,
            action="user.created",
            subject_type="user",
            subject_id=user.id,
            detail={"username": username, "role": role.value, "shop_id": shop_id, "buyer_id": buyer_id},
        )
        uow.commit()
    return user, token


def _issue(uow: UnitOfWork, user_id: str, now: datetime) -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    uow.users.add_token(
        t.ApiToken(id=new_id("tok"), user_id=user_id, token_hash=hash_token(token), label="", created_at=now)
    )
    return token


def issue_token(rt: Runtime, *, actor: Principal, username: str) -> str:
    now = rt.now()
    with rt.uow(write=True) as uow:
        user = uow.users.by_username(username=username)
        if user is None:
            raise NotFound(f"user {username!r} not found")
        token = _issue(uow, user.id, now)
        uow.audit.append(
            at=now,
            actor=actor.user_id,
            action="token.issued",
            subject_type="user",
            subject_id=user.id,
            detail={},
        )
        uow.commit()
    return token


def authenticate(rt: Runtime, token: str) -> Principal:
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthenticated("a bearer token from `shouhou users create` is required")
    with rt.uow(write=False) as uow:
        user = uow.users.by_token_hash(token_hash=hash_token(token))
        if user is None:
            raise Unauthenticated("the token is unknown or revoked")
        return principal_of(user)


def set_on_shift(rt: Runtime, *, actor: Principal, user_id: str, on_shift: bool) -> t.User:
    now = rt.now()
    with rt.uow(write=True) as uow:
        user = uow.users.lock_or_raise(id=user_id)
        if user.role != Role.REVIEWER.value:
            raise ValidationFailed("only reviewers go on shift")
        user.on_shift = on_shift
        uow.audit.append(
            at=now,
            actor=actor.user_id,
            action="reviewer.shift",
            subject_type="user",
            subject_id=user_id,
            detail={"on_shift": on_shift},
        )
        uow.commit()
        return user


def get_user(rt: Runtime, *, user_id: str) -> t.User:
    with rt.uow(write=False) as uow:
        return uow.users.get_or_raise(id=user_id)


def list_users(rt: Runtime, *, role: str | None, offset: int, limit: int) -> tuple[Sequence[t.User], int]:
    with rt.uow(write=False) as uow:
        return uow.users.list(role=role, offset=offset, limit=limit)


def user_by_username(rt: Runtime, *, username: str) -> t.User:
    with rt.uow(write=False) as uow:
        user = uow.users.by_username(username=username.strip())
        if user is None:
            raise NotFound(f"user {username!r} not found")
        return user


def usernames(rt: Runtime, *, user_ids: Sequence[str]) -> dict[str, str]:
    """Login names by user id, for the ids that name a user (others, such as "system", are left out)."""
    with rt.uow(write=False) as uow:
        found = (uow.users.get(id=uid) for uid in sorted(set(user_ids)))
        return {u.id: u.username for u in found if u is not None}


def set_active(rt: Runtime, *, actor: Principal, user_id: str, active: bool) -> t.User:
    """Deactivate (or reactivate) a user: a deactivated user's API tokens and sessions stop working at once
    (both are checked against `active`); their open sessions are ended too. An admin cannot lock themself
    out this way."""
    if actor.role is not Role.ADMIN:
        raise Forbidden(f"the {actor.role.value} role may not do this")
    if not active and user_id == actor.user_id:
        raise ValidationFailed("you cannot deactivate your own account")
    now = rt.now()
    with rt.uow(write=True) as uow:
        user = uow.users.lock_or_raise(id=user_id)
        user.active = active
        if not active:
            uow.web_sessions.revoke_for_user(user_id=user.id, now=now)
        uow.audit.append(
            at=now,
            actor=actor.user_id,
            action="user.activated" if active else "user.deactivated",
            subject_type="user",
            subject_id=user.id,
            detail={"active": active},
        )
        uow.commit()
        return user
