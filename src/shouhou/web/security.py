"""Cookies, CSRF tokens and the security headers of every response.

CSRF: a synchroniser token bound to the session (HMAC of the session cookie under the lookup key), or, on the
sign-in form, to a pre-session cookie. Every unsafe method on a console path must carry it as the form field
`csrf_token` (or the X-CSRF-Token header); the API is exempt because it takes bearer tokens, never cookies."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Final

from shouhou.privacy.crypto import keyed_hash

SESSION_COOKIE: Final = "shouhou_session"
PRE_COOKIE: Final = "shouhou_pre"
LANG_COOKIE: Final = "shouhou_lang"
FLASH_COOKIE: Final = "shouhou_flash"
CSRF_FIELD: Final = "csrf_token"
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})

CSP: Final = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS: Final = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)


def csrf_token(key: bytes, binding: str) -> str:
    return keyed_hash(key, binding, purpose="csrf")


def csrf_ok(key: bytes, binding: str, presented: str) -> bool:
    return bool(binding) and bool(presented) and hmac.compare_digest(csrf_token(key, binding), presented)


def new_pre_session() -> str:
    return secrets.token_urlsafe(24)


Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Awaitable[None]
]


class SecurityHeaders:
    """Pure ASGI middleware (no per-request task switch): adds the headers unless a response set its own."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.extra = ((b"strict-transport-security", b"max-age=31536000"),) if hsts else ()

    async def __call__(
        self,
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in (*HEADERS, *self.extra) if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
