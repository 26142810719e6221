"""The page context every console handler works with: who is signed in, their language, CSRF binding, flash
messages, and rendering of templates into responses."""

from __future__ import annotations

import base64
import gettext
import hmac
import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape

from shouhou.accounts.roles import Principal, Role
from shouhou.privacy.crypto import keyed_hash
from shouhou.privacy.mask import mask_address, mask_name, mask_phone
from shouhou.runtime import Runtime
from shouhou.web import i18n
from shouhou.web.labels import N_, label_code
from shouhou.web.security import CSRF_FIELD, FLASH_COOKIE, LANG_COOKIE, PRE_COOKIE, csrf_token


@lru_cache(maxsize=1)
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("shouhou.web", "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        local_time=i18n.local_time,
        money=i18n.money,
        mask_phone=mask_phone,
        mask_name=mask_name,
        mask_address=mask_address,
    )
    return env


# Where each role lands after signing in, and the navigation it sees: (path, message id).
HOME: dict[Role, str] = {
    Role.BUYER: "/buyer",
    Role.MERCHANT: "/merchant",
    Role.REVIEWER: "/review",
    Role.ADMIN: "/admin",
    Role.AGENT: "/agent",
    Role.TECHNICIAN: "/tech",
    Role.SUPERVISOR: "/supervisor",
}
NAV: dict[Role, tuple[tuple[str, str], ...]] = {
    Role.BUYER: (
        ("/buyer", N_("My claims")),
        ("/buyer/orders", N_("File a claim")),
        ("/buyer/credit", N_("My credit record")),
    ),
    Role.MERCHANT: (
        ("/merchant", N_("Claims")),
        ("/merchant/skus", N_("Reference photos")),
        ("/merchant/policy", N_("Fast track")),
    ),
    Role.REVIEWER: (("/review", N_("Review queue")),),
    Role.ADMIN: (
        ("/admin", N_("Users")),
        ("/admin/shops", N_("Shops")),
        ("/admin/technicians", N_("Technicians")),
        ("/admin/settings", N_("Settings")),
        ("/admin/audit", N_("Audit log")),
        ("/review", N_("Claims")),
    ),
    Role.AGENT: (("/agent", N_("New repair request")), ("/agent/find", N_("Find a customer"))),
    Role.TECHNICIAN: (("/tech", N_("My jobs")),),
    Role.SUPERVISOR: (
        ("/supervisor", N_("SLA board")),
        ("/supervisor/uncovered", N_("Uncovered")),
        ("/supervisor/coverage", N_("Coverage")),
    ),
}


@dataclass
class Page:
    request: Request
    rt: Runtime
    user: Principal | None
    binding: str  # the session cookie, or the pre-session cookie before sign-in
    locale: str
    new_pre: str | None = None  # a pre-session cookie to set on this response
    flashes: list[dict[str, str]] = field(default_factory=list)

    @property
    def tr(self) -> gettext.NullTranslations:
        return i18n.translations(self.locale)

    def _(self, message: str) -> str:
        return self.tr.gettext(message)

    @property
    def principal(self) -> Principal:
        assert self.user is not None, "signed_in() guarantees a user"
        return self.user

    @property
    def csrf(self) -> str:
        return csrf_token(self.rt.keys.lookup, self.binding)

    def render(self, template: str, status: int = 200, **ctx: Any) -> HTMLResponse:
        tr = self.tr
        html = (
            environment()
            .get_template(template)
            .render(
                page=self,
                request=self.request,
                user=self.user,
                _=tr.gettext,
                gettext=tr.gettext,
                ngettext=tr.ngettext,
                duration=lambda seconds: i18n.duration(seconds, tr),
                tlabel=lambda kind, code: tr.gettext(label_code(kind, code)),
                lang=i18n.HTML_LANG[self.locale],
                locale=self.locale,
                csrf_field=CSRF_FIELD,
                csrf_token=self.csrf,
                nav=NAV.get(self.user.role, ()) if self.user else (),
                flashes=self.flashes,
                now=self.rt.now(),
                **ctx,
            )
        )
        response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
        if self.flashes:
            response.delete_cookie(FLASH_COOKIE, path="/")
        if self.new_pre:
            response.set_cookie(PRE_COOKIE, self.new_pre, httponly=True, samesite="strict", path="/")
        return response

    def redirect(self, url: str, *, flash: str | None = None, error: str | None = None) -> RedirectResponse:
        """303 after a form post (post/redirect/get); the message survives one redirect in a signed cookie."""
        response = RedirectResponse(url, status_code=303)
        message = (
            {"kind": "error", "text": error} if error else {"kind": "ok", "text": flash} if flash else None
        )
        if message:
            response.set_cookie(
                FLASH_COOKIE,
                sign_flash(self.rt.keys.lookup, message),
                httponly=True,
                samesite="lax",
                path="/",
            )
        return response


def sign_flash(key: bytes, message: dict[str, Any]) -> str:
    body = base64.urlsafe_b64encode(json.dumps(message, ensure_ascii=False).encode()).decode()
    return body + "." + keyed_hash(key, body, purpose="flash")[:32]


def read_flash(key: bytes, cookie: str | None) -> list[dict[str, str]]:
    if not cookie or "." not in cookie:
        return []
    body, _, mac = cookie.rpartition(".")
    if not hmac.compare_digest(keyed_hash(key, body, purpose="flash")[:32], mac):
        return []
    try:
        data = json.loads(base64.urlsafe_b64decode(body.encode()))
    except ValueError:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("text"), str):
        return []
    return [{"kind": str(data.get("kind", "ok")), "text": data["text"][:500]}]


def safe_next(url: str | None, default: str = "/") -> str:
    """Only local paths: an open redirect after sign-in would send people to a look-alike site."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return default
    return url


def login_url(request: Request) -> str:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return "/login?next=" + quote(target, safe="")


def language_of(request: Request) -> str:
    return i18n.pick_locale(request.cookies.get(LANG_COOKIE))
