"""Sign in, sign out, the language switch, and `/` sending each role to its own start page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from shouhou.accounts import sessions
from shouhou.errors import Unauthenticated
from shouhou.web.deps import AnyPage, UserPage
from shouhou.web.i18n import LOCALES
from shouhou.web.render import HOME, safe_next
from shouhou.web.security import LANG_COOKIE, PRE_COOKIE, SESSION_COOKIE

router = APIRouter()


@router.get("/")
def home(page: AnyPage) -> Response:
    if page.user is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse(HOME[page.user.role], status_code=303)


@router.get("/login")
def login_form(page: AnyPage, next: str = "") -> Response:
    if page.user is not None:
        return RedirectResponse(safe_next(next, HOME[page.user.role]), status_code=303)
    return page.render("login.html", title=page._("Sign in"), next=safe_next(next, ""), username="")


@router.post("/login")
def login(
    page: AnyPage,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form()] = "",
) -> Response:
    try:
        signed = sessions.sign_in(page.rt, username=username, password=password)
    except Unauthenticated:
        page.flashes = [{"kind": "error", "text": page._("Wrong username or password.")}]
        return page.render(
            "login.html", status=401, title=page._("Sign in"), next=safe_next(next, ""), username=username
        )
    target = safe_next(next, HOME[signed.principal.role])
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        signed.token,
        httponly=True,
        samesite="lax",
        path="/",
        secure=page.request.url.scheme == "https",
        max_age=sessions.SESSION_HOURS * 3600,
    )
    response.delete_cookie(PRE_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(page: AnyPage) -> Response:
    token = page.request.cookies.get(SESSION_COOKIE, "")
    if token:
        sessions.sign_out(page.rt, token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/lang")
def switch_language(
    page: AnyPage, lang: Annotated[str, Form()], back: Annotated[str, Form()] = "/"
) -> Response:
    response = RedirectResponse(safe_next(back), status_code=303)
    if lang in LOCALES:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", path="/", max_age=365 * 24 * 3600)
    return response


@router.get("/account")
def account(page: UserPage) -> Response:
    return page.render("account.html", title=page._("My account"))


@router.post("/account/password")
def change_password(
    page: UserPage,
    current: Annotated[str, Form(max_length=200)],
    new: Annotated[str, Form(max_length=200)],
    repeat: Annotated[str, Form(max_length=200)],
) -> Response:
    """Change one's own password: the current one is checked; every other session ends."""
    user = page.principal
    try:
        sessions.sign_in(page.rt, username=user.username, password=current, record=False)
    except Unauthenticated:
        return page.redirect("/account", error=page._("The current password is wrong."))
    if new != repeat:
        return page.redirect("/account", error=page._("The two new passwords differ."))
    sessions.set_password(page.rt, actor=user, user_id=user.user_id, password=new)
    response = page.redirect("/login", flash=page._("Password changed. Sign in with the new one."))
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
