"""Admin pages: users (create with a token shown once, passwords, deactivation, shifts), platforms and shops,
technicians, settings without secrets, and the audit log with its verify button."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from shouhou.accounts import service as accounts
from shouhou.accounts import sessions
from shouhou.errors import Unauthenticated
from shouhou.storage.tables import AuditEntry, Shop, User
from tests.web.conftest import Browser, WebWorld

ADMIN_PAGES = ("/admin", "/admin/shops", "/admin/technicians", "/admin/settings", "/admin/audit")
NEW_PASSWORD = "a long new password 42"
FULL_PHONE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")  # not inside a token or hash


def _audit(web: WebWorld, action: str) -> list[AuditEntry]:
    with web.rt.uow(write=False) as uow:
        rows, _total = uow.audit.newest(action=action, subject=None, offset=0, limit=100)
        return list(rows)


def _user(web: WebWorld, username: str) -> User:
    return accounts.user_by_username(web.rt, username=username)


def _sign_in(web: WebWorld, username: str, password: str) -> Browser:
    b = web.browser()
    b.get("/login")
    r = b.submit("/login", {"username": username, "password": password}, follow=False)
    assert r.status_code == 303, r.text
    return b


# ----- users


def test_admin_creates_a_user_who_signs_in_with_the_password_the_admin_sets(web: WebWorld) -> None:
    admin = web.browser("admin")
    admin.get("/admin")
    r = admin.submit(
        "/admin/users",
        {"username": "rev_new", "role": "reviewer", "display_name": "新审核员", "on_shift": "on"},
    )
    assert r.status_code == 200 and 'id="new-token"' in r.text
    token = re.search(r'id="new-token"[^>]*>(shh_[^<]+)<', r.text)
    assert token, r.text
    created = _user(web, "rev_new")
    assert created.role == "reviewer" and created.on_shift and created.password_hash is None
    assert accounts.authenticate(web.rt, token.group(1)).username == "rev_new"
    # The token is shown that once: not on the list, not on the user's page.
    assert token.group(1) not in admin.get("/admin").text
    page = admin.get(f"/admin/users/{created.id}").text
    assert token.group(1) not in page and "scrypt$" not in page

    # Before a password is set, nobody signs in as them.
    with pytest.raises(Unauthenticated):
        sessions.sign_in(web.rt, username="rev_new", password=NEW_PASSWORD)
    r = admin.submit(
        f"/admin/users/{created.id}/password", {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert r.status_code == 200 and "scrypt$" not in r.text
    b = _sign_in(web, "rev_new", NEW_PASSWORD)
    assert b.get("/", follow_redirects=False).headers["location"] == "/review"
    entry = _audit(web, "user.password_set")[0]
    assert entry.subject_id == created.id and entry.actor == web.api.ids["admin"]


def test_a_password_given_at_creation_works_and_must_be_typed_twice_alike(web: WebWorld) -> None:
    admin = web.browser("admin")
    admin.get("/admin")
    r = admin.submit(
        "/admin/users",
        {"username": "agent2", "role": "agent", "password": NEW_PASSWORD, "confirm": "something else!!"},
    )
    assert "两次输入的密码不一致" in r.text
    with web.rt.uow(write=False) as uow:
        assert uow.users.by_username(username="agent2") is None  # nothing half-made
    r = admin.submit(
        "/admin/users", {"username": "agent2", "role": "agent", "password": "short", "confirm": "short"}
    )
    with web.rt.uow(write=False) as uow:
        assert uow.users.by_username(username="agent2") is None
    admin.get("/admin")
    r = admin.submit(
        "/admin/users",
        {"username": "agent2", "role": "agent", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert r.status_code == 200 and "shh_" in r.text
    b = _sign_in(web, "agent2", NEW_PASSWORD)
    assert b.get("/", follow_redirects=False).headers["location"] == "/agent"


def test_a_merchant_is_created_in_the_shop_chosen_and_a_duplicate_is_refused(web: WebWorld) -> None:
    admin = web.browser("admin")
    page = admin.get("/admin").text
    assert "shopA" in page
    admin.submit(
        "/admin/users",
        {"username": "mB2", "role": "merchant", "shop_id": web.api.ids["shopB"], "on_shift": "on"},
    )
    user = _user(web, "mB2")
    assert user.shop_id == web.api.ids["shopB"] and not user.on_shift
    admin.get("/admin")
    r = admin.submit("/admin/users", {"username": "mB2", "role": "merchant", "shop_id": web.api.ids["shopB"]})
    assert "exists already" in r.text


def test_the_list_filters_by_role_and_never_shows_secrets(web: WebWorld) -> None:
    admin = web.browser("admin")
    r = admin.get("/admin?role=technician")
    names = re.findall(r'data-username="([^"]+)"', r.text)
    assert sorted(names) == ["tech_far", "tech_near", "tech_safe"]
    everyone = admin.get("/admin").text
    for token in web.api.tokens.values():
        assert token not in everyone
    assert "scrypt$" not in everyone


def test_deactivating_ends_sessions_and_tokens_and_an_admin_cannot_lock_themself_out(web: WebWorld) -> None:
    rev = web.browser("rev2")
    assert rev.get("/review", follow_redirects=False).status_code == 200
    admin = web.browser("admin")
    uid = web.api.ids["rev2"]
    admin.get(f"/admin/users/{uid}")
    r = admin.submit(f"/admin/users/{uid}/active", {"active": "0"})
    assert 'id="user-status">已停用' in r.text
    assert rev.get("/review", follow_redirects=False).status_code == 303  # back to the sign-in page
    with pytest.raises(Unauthenticated):
        accounts.authenticate(web.rt, web.api.tokens["rev2"])
    with pytest.raises(Unauthenticated):
        sessions.sign_in(web.rt, username="rev2", password="correct horse battery")
    assert _audit(web, "user.deactivated")[0].subject_id == uid
    admin.submit(f"/admin/users/{uid}/active", {"active": "1"})
    assert accounts.authenticate(web.rt, web.api.tokens["rev2"]).username == "rev2"
    # Their own page offers no deactivation; a forged post is refused.
    me = web.api.ids["admin"]
    assert 'id="active-form"' not in admin.get(f"/admin/users/{me}").text
    r = admin.submit(f"/admin/users/{me}/active", {"active": "0"})
    assert "cannot deactivate your own account" in r.text and _user(web, "admin").active


def test_the_reviewer_shift_toggle(web: WebWorld) -> None:
    admin = web.browser("admin")
    uid = web.api.ids["rev_off"]
    admin.get(f"/admin/users/{uid}")
    r = admin.submit(f"/admin/users/{uid}/shift", {"on_shift": "1"})
    assert _user(web, "rev_off").on_shift and 'id="user-shift">在岗' in r.text
    admin.submit(f"/admin/users/{uid}/shift", {"on_shift": "0"})
    assert not _user(web, "rev_off").on_shift
    assert [e.detail for e in _audit(web, "reviewer.shift")[:2]] == [{"on_shift": False}, {"on_shift": True}]


@pytest.mark.parametrize("who", ["buyer1", "merchantA", "rev1", "agent", "super", "tech_near"])
def test_other_roles_get_no_admin_page_and_no_admin_action(web: WebWorld, who: str) -> None:
    b = web.browser(who)
    for url in (*ADMIN_PAGES, f"/admin/users/{web.api.ids['admin']}"):
        r = b.get(url, follow_redirects=False)
        assert r.status_code in (403, 404), (who, url)
        assert "shh_" not in r.text
    b.get("/account")
    r = b.submit("/admin/users", {"username": "sneaky", "role": "admin"}, follow=False)
    assert r.status_code in (403, 404)
    r = b.submit(
        f"/admin/users/{web.api.ids['admin']}/password",
        {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        follow=False,
    )
    assert r.status_code in (403, 404)
    r = b.submit("/admin/audit/verify", follow=False)
    assert r.status_code in (403, 404) and "verify-result" not in r.text
    with web.rt.uow(write=False) as uow:
        assert uow.users.by_username(username="sneaky") is None
    with pytest.raises(Unauthenticated):
        sessions.sign_in(web.rt, username="admin", password=NEW_PASSWORD)


def test_anonymous_visitors_are_sent_to_sign_in(web: WebWorld) -> None:
    b = web.browser()
    for url in ADMIN_PAGES:
        r = b.get(url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), url


# ----- platforms and shops


def test_platforms_shops_and_fast_track_policy(web: WebWorld) -> None:
    admin = web.browser("admin")
    r = admin.get("/admin/shops")
    counts = re.findall(r'class="sku-count">(\d+)<', r.text)
    assert sorted(counts) == ["0", "1"]  # shopA has the helmet SKU, shopB none
    r = admin.submit("/admin/platforms", {"name": "京东 JD"})
    assert "京东 JD" in r.text
    with web.rt.uow(write=False) as uow:
        jd = uow.platforms.by_name(name="京东 JD")
    assert jd is not None
    r = admin.submit(
        "/admin/shops",
        {"platform_id": jd.id, "shop_name": "京东自营", "fast_track": "on", "limit": "150", "hours": "24"},
    )
    assert "京东自营" in r.text
    with web.rt.uow(write=False) as uow:
        shop = uow.session.scalars(select(Shop).where(Shop.name == "京东自营")).one()
    assert (shop.fast_track, shop.fast_track_limit_fen, shop.response_window_hours) == (True, 15000, 24)
    shop_a = web.api.ids["shopA"]
    r = admin.submit(f"/admin/shops/{shop_a}/policy", {"fast_track": "on", "limit": "99.50", "hours": ""})
    with web.rt.uow(write=False) as uow:
        a = uow.shops.get_or_raise(id=shop_a)
    assert (a.fast_track, a.fast_track_limit_fen, a.response_window_hours) == (True, 9950, None)
    assert _audit(web, "shop.policy")[0].actor == web.api.ids["admin"]
    r = admin.submit(f"/admin/shops/{shop_a}/policy", {"limit": "abc"})
    assert "例如 100" in r.text or "for example 100" in r.text


# ----- technicians


TECH_FORM = {
    "display_name": "赵师傅 Zhao",
    "phone": "13912345678",
    "home": "上饶市广信区",
    "coverage": "上饶市广信区\n上饶市信州区",
    "skill": ["washing_machine", "safe@海尔 Haier"],
    "shift": "20:00-08:00",
    "capacity": "5",
}


def test_technicians_list_coverage_skills_load_and_masked_phones(web: WebWorld) -> None:
    r = web.repairs.intake()  # dispatched to tech_near
    assert r.status_code == 201, r.text
    admin = web.browser("admin")
    html = admin.get("/admin/technicians").text
    assert not FULL_PHONE.search(html)
    row = re.search(r'data-technician="tech_near">(.*?)</tr>', html, re.S)
    assert row is not None
    cells = row.group(1)
    assert "137****0000" in cells and "广信区" in cells and "信州区" in cells and "洗衣机" in cells
    assert re.search(r'class="num"[^>]*>1 / 8<', cells)


def test_registering_a_technician_keeps_what_was_typed_when_a_place_does_not_resolve(web: WebWorld) -> None:
    admin = web.browser("admin")
    admin.get("/admin/technicians")
    r = admin.submit("/admin/technicians", {**TECH_FORM, "coverage": "上饶市广信区\n不存在的地方"})
    assert r.status_code == 422 and 'id="technician-error"' in r.text and "不存在的地方" in r.text
    assert "赵师傅 Zhao" in r.text and "20:00-08:00" in r.text
    assert "139****5678" in r.text and not FULL_PHONE.search(r.text)  # kept sealed, shown masked
    assert re.search(r'value="safe@海尔 Haier" checked', r.text)
    r = admin.submit("/admin/technicians", {**TECH_FORM, "shift": "8-20"})
    assert r.status_code == 422 and "HH:MM-HH:MM" in r.text
    # Sent again with only the sealed number (as the browser does after an error).
    sealed = re.search(r'name="phone_sealed" value="([^"]+)"', r.text)
    assert sealed
    form = {**TECH_FORM, "phone": "", "phone_sealed": sealed.group(1)}
    r = admin.submit("/admin/technicians", form)
    assert r.status_code == 200 and "赵师傅 Zhao" in r.text and 'id="technician-error"' not in r.text
    row = re.search(r'data-technician="赵师傅 Zhao">(.*?)</tr>', r.text, re.S)
    assert row is not None
    assert "139****5678" in row.group(1) and "20:00–08:00" in row.group(1) and "海尔 Haier" in row.group(1)
    entry = _audit(web, "technician.registered")[0]
    assert entry.actor == web.api.ids["admin"] and "13912345678" not in json.dumps(entry.detail)


def test_availability_toggle(web: WebWorld) -> None:
    admin = web.browser("admin")
    admin.get("/admin/technicians")
    tid = web.api.ids["tech_near_tech"]
    admin.submit(f"/admin/technicians/{tid}/available", {"available": "0"})
    with web.rt.uow(write=False) as uow:
        assert not uow.technicians.get_or_raise(id=tid).available
    admin.submit(f"/admin/technicians/{tid}/available", {"available": "1"})
    with web.rt.uow(write=False) as uow:
        assert uow.technicians.get_or_raise(id=tid).available
    assert _audit(web, "technician.availability")[0].detail == {"available": True}


# ----- settings


def test_settings_show_where_things_are_and_no_secret(web: WebWorld) -> None:
    html = web.browser("admin").get("/admin/settings").text
    settings = web.rt.settings
    assert str(settings.home.resolve()) in html and "sqlite" in html
    assert "SHOUHOU_CLAIMS_REVIEW_SLA_HOURS" in html and "SHOUHOU_REPAIRS_FIRST_RESPONSE_MINUTES" in html
    for secret in (settings.field_keys, settings.lookup_key, settings.audit_key):
        assert secret is not None
        value = secret.get_secret_value()
        assert value not in html
        for part in re.split(r"[:,]", value):  # "kid:base64" pieces too
            assert len(part) < 8 or part not in html
    assert re.search(r"SHOUHOU_AUDIT_KEY</code></th><td><span class=\"badge\">已设置", html)
    assert web.rt.keys.audit.hex() not in html


# ----- audit log


def test_audit_log_lists_entries_newest_first_and_verifies(web: WebWorld) -> None:
    admin = web.browser("admin")
    r = admin.get("/admin/audit")
    seqs = [int(s) for s in re.findall(r'<tr data-seq="(\d+)">', r.text)]
    with web.rt.uow(write=False) as uow:
        head, _mac = uow.audit.head()
    assert seqs == list(range(head, 0, -1))[:50]  # newest first, none left out
    older = [int(s) for s in re.findall(r'<tr data-seq="(\d+)">', admin.get("/admin/audit?offset=10").text)]
    assert older == list(range(head - 10, 0, -1))[:50]
    assert "user.created" in r.text and "session.signed_in" in r.text
    r = admin.get("/admin/audit?action=user.created")
    actions = set(re.findall(r'<td data-label="[^"]+"><code>([a-z_.]+)</code></td>', r.text))
    assert actions == {"user.created"}
    r = admin.get(f"/admin/audit?subject=user:{web.api.ids['rev1']}")
    assert re.findall(r'<tr data-seq="', r.text) and "rev1" in r.text
    r = admin.submit("/admin/audit/verify")
    assert r.status_code == 200
    result = re.search(r'id="verify-result" class="verify ok"[^>]*>([^<]+)<', r.text)
    assert result and result.group(1).startswith(f"校验通过：{head} 条记录完好")


def test_verify_reports_a_tampered_detail(web: WebWorld) -> None:
    victim = next(e for e in _audit(web, "user.created") if e.detail["role"] == "reviewer")
    # Someone with write access to the database (not to the audit key) edits one entry.
    with web.rt.db.session(write=True) as s:
        row = s.get(AuditEntry, victim.seq)
        assert row is not None
        row.detail = {**row.detail, "role": "admin"}
        s.commit()
    admin = web.browser("admin")
    admin.get("/admin/audit")
    r = admin.submit("/admin/audit/verify")
    assert 'id="verify-result" class="verify bad"' in r.text
    assert f"seq {victim.seq}: altered" in r.text


def test_a_database_password_is_never_shown() -> None:
    from types import SimpleNamespace

    from shouhou.config import Settings
    from shouhou.web.pages.admin_system import setting_sections

    page = SimpleNamespace(_=lambda s: s)
    settings = Settings(database_url="postgresql+psycopg://shouhou:hunter2-secret@db.internal:5432/shouhou")
    rows = {r.name: r.value for _title, section in setting_sections(settings, page) for r in section}  # type: ignore[arg-type]
    assert rows["SHOUHOU_DATABASE_URL"] == "postgresql+psycopg://shouhou:***@db.internal:5432/shouhou"
    assert rows["SHOUHOU_AUDIT_KEY"] in ("set", "not set")
    assert rows["SHOUHOU_CLAIMS_REVIEW_SLA_HOURS"] == "24.0"
