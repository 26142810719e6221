"""Dependencies for console handlers: the page (signed in or not), role checks, the CSRF check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from shouhou.accounts import sessions
from shouhou.accounts.roles import Principal, Role
from shouhou.api.deps import get_runtime
from shouhou.errors import Forbidden, Unauthenticated
from shouhou.runtime import Runtime
from shouhou.web.render import Page, language_of, read_flash
from shouhou.web.security import (
    CSRF_FIELD,
    FLASH_COOKIE,
    PRE_COOKIE,
    SAFE_METHODS,
    SESSION_COOKIE,
    csrf_ok,
    new_pre_session,
)


class LoginRequired(Exception):
    """No valid session: the handler answers with a redirect to the sign-in page."""


class CsrfRefused(Exception):
    """An unsafe request without the right CSRF token: refused with 403, nothing done."""


def _page(request: Request, rt: Runtime) -> Page:
    token = request.cookies.get(SESSION_COOKIE, "")
    user: Principal | None = None
    if token:
        try:
            user = sessions.resolve(rt, token)
        except Unauthenticated:
            user = None
    pre = request.cookies.get(PRE_COOKIE, "")
    new_pre = None
    if user is None and not pre:
        pre = new_pre = new_pre_session()
    page = Page(
        request=request,
        rt=rt,
        user=user,
        binding=("s:" + token) if user else ("p:" + pre),
        locale=language_of(request),
        new_pre=new_pre,
        flashes=read_flash(rt.keys.lookup, request.cookies.get(FLASH_COOKIE)),
    )
    request.state.page = page
    return page


def any_page(request: Request, rt: Annotated[Runtime, Depends(get_runtime)]) -> Page:
    return _page(request, rt)


def signed_in(page: Annotated[Page, Depends(any_page)]) -> Page:
    if page.user is None:
        raise LoginRequired
    return page


AnyPage = Annotated[Page, Depends(any_page)]
UserPage = Annotated[Page, Depends(signed_in)]


def require_role(page: Page, *roles: Role) -> Principal:
    user = page.principal
    if user.role not in roles:
        raise Forbidden("this page is for another role")
    return user


async def check_csrf(request: Request, page: AnyPage) -> None:
    """Router dependency: every unsafe method carries the token bound to this browser's session."""
    if request.method in SAFE_METHODS:
        return
    presented = request.headers.get("x-csrf-token", "")
    if not presented:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        presented = value if isinstance(value, str) else ""
    if not csrf_ok(page.rt.keys.lookup, page.binding, presented):
        raise CsrfRefused
