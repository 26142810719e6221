"""Admin console: users and roles (create, password, deactivate, reviewer shifts), platforms and shops with
their fast-track policy. Technicians (admin_roster) and settings and the audit log (admin_system) hang off
this router. API tokens are shown once, when a user is created; password hashes never."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import RedirectResponse, Response

from shouhou.accounts import service as accounts
from shouhou.accounts import sessions
from shouhou.accounts.roles import Principal, Role
from shouhou.claims import catalog
from shouhou.privacy.mask import mask_name
from shouhou.storage import tables as t
from shouhou.web.deps import UserPage, require_role
from shouhou.web.pages import admin_roster, admin_system
from shouhou.web.pages.buyer import fen_to_yuan, yuan_to_fen
from shouhou.web.render import Page

router = APIRouter()
router.include_router(admin_roster.router)
router.include_router(admin_system.router)

PAGE_SIZE = 50
ROLES = tuple(r.value for r in Role)


def _admin(page: Page) -> Principal:
    return require_role(page, Role.ADMIN)


def shown_name(user: t.User) -> str:
    """A buyer's display name may be their real name: masked like every buyer's name. Staff names are the
    names colleagues know them by."""
    return mask_name(user.display_name) if user.role == Role.BUYER.value else user.display_name


def _shop_names(page: Page, me: Principal) -> dict[str, str]:
    rows, _total = catalog.list_shops(page.rt, actor=me, offset=0, limit=1000)
    return {r.shop.id: f"{r.shop.name} · {r.platform}" for r in rows}


# ----- users


@router.get("/admin")
def users(page: UserPage, role: str = "", offset: int = 0) -> Response:
    me = _admin(page)
    role = role if role in ROLES else ""
    offset = max(offset, 0)
    rows, total = accounts.list_users(page.rt, role=role or None, offset=offset, limit=PAGE_SIZE)
    return page.render(
        "admin/users.html",
        title=page._("Users"),
        users=rows,
        total=total,
        role=role,
        roles=ROLES,
        offset=offset,
        page_size=PAGE_SIZE,
        shops=_shop_names(page, me),
        shown_name=shown_name,
    )


@router.post("/admin/users")
def create_user(
    page: UserPage,
    username: Annotated[str, Form(max_length=100)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    shop_id: Annotated[str, Form(max_length=80)] = "",
    buyer_id: Annotated[str, Form(max_length=80)] = "",
    on_shift: Annotated[str, Form(max_length=5)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    me = _admin(page)
    if role not in ROLES:
        return page.redirect("/admin", error=page._("Choose a role."))
    chosen = Role(role)
    if password or confirm:
        if password != confirm:
            return page.redirect("/admin", error=page._("The two passwords differ."))
        sessions.check_password_rules(password)  # before the user exists: no half-made account
    user, token = accounts.create_user(
        page.rt,
        actor=me,
        username=username.strip(),
        role=chosen,
        display_name=display_name.strip(),
        # Only the fields of the chosen role: the form shows them all.
        shop_id=(shop_id.strip() or None) if chosen is Role.MERCHANT else None,
        buyer_id=(buyer_id.strip() or None) if chosen is Role.BUYER else None,
        on_shift=bool(on_shift) and chosen is Role.REVIEWER,
    )
    if password:
        sessions.set_password(page.rt, actor=me, user_id=user.id, password=password)
    # Rendered, not redirected: the token must not survive in a cookie or a URL, and is not kept anywhere.
    return page.render(
        "admin/created.html",
        title=page._("User %(name)s created") % {"name": user.username},
        created=user,
        token=token,
        password_set=bool(password),
        shown_name=shown_name,
    )


@router.get("/admin/users")
def back_to_users(page: UserPage) -> Response:
    _admin(page)
    return RedirectResponse("/admin", status_code=303)


@router.get("/admin/users/{user_id}")
def user_page(page: UserPage, user_id: str) -> Response:
    me = _admin(page)
    user = accounts.get_user(page.rt, user_id=user_id)
    return page.render(
        "admin/user.html",
        title=page._("User %(name)s") % {"name": user.username},
        u=user,
        shops=_shop_names(page, me),
        shown_name=shown_name,
        is_me=user.id == me.user_id,
        min_password=sessions.MIN_PASSWORD,
    )


@router.get("/admin/users/{user_id}/{action}")
def back_to_user(page: UserPage, user_id: str, action: str) -> Response:
    _admin(page)
    return RedirectResponse(f"/admin/users/{user_id}", status_code=303)


@router.post("/admin/users/{user_id}/password")
def set_password(
    page: UserPage,
    user_id: str,
    password: Annotated[str, Form(max_length=200)] = "",
    confirm: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    me = _admin(page)
    back = f"/admin/users/{user_id}"
    if password != confirm:
        return page.redirect(back, error=page._("The two passwords differ."))
    sessions.set_password(page.rt, actor=me, user_id=user_id, password=password)
    if user_id == me.user_id:  # their own sessions ended with it, this one included
        return page.redirect("/login", flash=page._("Your password is changed. Sign in with it."))
    return page.redirect(back, flash=page._("Password set. Every open session of this user has ended."))


@router.post("/admin/users/{user_id}/active")
def set_active(page: UserPage, user_id: str, active: Annotated[str, Form(max_length=5)] = "") -> Response:
    me = _admin(page)
    on = active == "1"
    accounts.set_active(page.rt, actor=me, user_id=user_id, active=on)
    return page.redirect(
        f"/admin/users/{user_id}",
        flash=page._("Account reactivated.")
        if on
        else page._("Account deactivated: its sessions and API tokens no longer work."),
    )


@router.post("/admin/users/{user_id}/shift")
def set_shift(page: UserPage, user_id: str, on_shift: Annotated[str, Form(max_length=5)] = "") -> Response:
    me = _admin(page)
    on = on_shift == "1"
    accounts.set_on_shift(page.rt, actor=me, user_id=user_id, on_shift=on)
    return page.redirect(
        f"/admin/users/{user_id}",
        flash=page._("On shift: new claims may be assigned to this reviewer.")
        if on
        else page._("Off shift: no new claims are assigned to this reviewer."),
    )


# ----- platforms and shops


@router.get("/admin/shops")
def shops(page: UserPage, offset: int = 0) -> Response:
    me = _admin(page)
    offset = max(offset, 0)
    rows, total = catalog.list_shops(page.rt, actor=me, offset=offset, limit=PAGE_SIZE)
    return page.render(
        "admin/shops.html",
        title=page._("Platforms and shops"),
        platforms=catalog.list_platforms(page.rt, actor=me),
        shops=rows,
        total=total,
        offset=offset,
        page_size=PAGE_SIZE,
        fen_to_yuan=fen_to_yuan,
        default_hours=f"{page.rt.settings.claims.merchant_response_hours:g}",
    )


@router.post("/admin/platforms")
def create_platform(page: UserPage, name: Annotated[str, Form(max_length=200)] = "") -> Response:
    me = _admin(page)
    if not name.strip():
        return page.redirect("/admin/shops", error=page._("Name the platform."))
    catalog.create_platform(page.rt, actor=me, name=name.strip())
    return page.redirect("/admin/shops", flash=page._("Platform created."))


def _policy(page: Page, limit: str, hours: str) -> tuple[int, float | None] | str:
    """(limit in fen, response window in hours or None) from the form, or the message saying what is wrong."""
    limit_fen = 0 if limit.strip() in ("", "0") else yuan_to_fen(limit)
    if limit_fen is None:
        return page._("Enter the limit in yuan, for example 100.")
    try:
        window = float(hours) if hours.strip() else None
    except ValueError:
        return page._("Enter the response window in hours.")
    return limit_fen, window


@router.post("/admin/shops")
def create_shop(
    page: UserPage,
    platform_id: Annotated[str, Form(max_length=80)] = "",
    shop_name: Annotated[str, Form(max_length=200)] = "",
    fast_track: Annotated[str, Form(max_length=5)] = "",
    limit: Annotated[str, Form(max_length=30)] = "0",
    hours: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    me = _admin(page)
    if not shop_name.strip():
        return page.redirect("/admin/shops", error=page._("Name the shop."))
    policy = _policy(page, limit, hours)
    if isinstance(policy, str):
        return page.redirect("/admin/shops", error=policy)
    catalog.create_shop(
        page.rt,
        actor=me,
        platform_id=platform_id,
        name=shop_name.strip(),
        fast_track=fast_track == "on",
        fast_track_limit_fen=policy[0],
        response_window_hours=policy[1],
    )
    return page.redirect("/admin/shops", flash=page._("Shop created."))


@router.get("/admin/platforms")
def back_from_platforms(page: UserPage) -> Response:
    _admin(page)
    return RedirectResponse("/admin/shops", status_code=303)


@router.get("/admin/shops/{shop_id}/policy")
def back_to_shops(page: UserPage, shop_id: str) -> Response:
    _admin(page)
    return RedirectResponse("/admin/shops", status_code=303)


@router.post("/admin/shops/{shop_id}/policy")
def set_policy(
    page: UserPage,
    shop_id: str,
    fast_track: Annotated[str, Form(max_length=5)] = "",
    limit: Annotated[str, Form(max_length=30)] = "0",
    hours: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    me = _admin(page)
    policy = _policy(page, limit, hours)
    if isinstance(policy, str):
        return page.redirect("/admin/shops", error=policy)
    shop = catalog.set_policy(
        page.rt,
        actor=me,
        shop_id=shop_id,
        fast_track=fast_track == "on",
        fast_track_limit_fen=policy[0],
        response_window_hours=policy[1],
    )
    return page.redirect("/admin/shops", flash=page._("Policy of %(shop)s saved.") % {"shop": shop.name})
