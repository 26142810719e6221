"""Sign-in, sessions, CSRF, headers and the language switch."""

from __future__ import annotations

from tests.web.conftest import PASSWORD, WebWorld


def test_sign_in_sends_each_role_home_and_sets_a_strict_cookie(web: WebWorld) -> None:
    b = web.browser()
    r = b.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    b = web.browser("rev1")
    r = b.get("/", follow_redirects=False)
    assert r.headers["location"] == "/review"


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(web: WebWorld) -> None:
    web.browser("buyer1")  # sets the password
    b = web.browser()
    b.get("/login")
    r = b.submit("/login", {"username": "buyer1", "password": "wrong password!"})
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text
    r = b.submit("/login", {"username": "nobody-at-all", "password": PASSWORD})
    assert r.status_code == 401


def test_session_cookie_is_httponly_and_samesite(web: WebWorld) -> None:
    from shouhou.accounts import sessions
    from shouhou.accounts.roles import SYSTEM

    sessions.set_password(web.rt, actor=SYSTEM, user_id=web.api.ids["rev1"], password=PASSWORD)
    b = web.browser()
    b.get("/login")
    r = b.submit("/login", {"username": "rev1", "password": PASSWORD}, follow=False)
    cookie = r.headers["set-cookie"]
    assert "shouhou_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(web: WebWorld) -> None:
    b = web.browser("rev1")
    r = b.client.post("/logout", data={}, follow_redirects=False)
    assert r.status_code == 403
    assert b.get("/account", follow_redirects=False).status_code == 200  # still signed in
    r = b.client.post("/logout", data={"csrf_token": "0" * 64}, follow_redirects=False)
    assert r.status_code == 403
    r = b.submit("/logout", follow=False)
    assert r.status_code == 303
    assert b.get("/account", follow_redirects=False).status_code == 303  # signed out


def test_another_sessions_token_does_not_pass(web: WebWorld) -> None:
    a, b = web.browser("rev1"), web.browser("rev2")
    a.get("/account")
    token_a = a.last
    from tests.web.conftest import csrf_of

    r = b.client.post("/logout", data={"csrf_token": csrf_of(token_a)}, follow_redirects=False)
    assert r.status_code == 403


def test_every_page_carries_the_security_headers(web: WebWorld) -> None:
    r = web.browser().get("/login")
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


def test_chinese_by_default_and_english_on_request(web: WebWorld) -> None:
    b = web.browser()
    r = b.get("/login")
    assert '<html lang="zh-Hans">' in r.text and "登录" in r.text
    r = b.submit("/lang", {"lang": "en", "back": "/login"})
    assert '<html lang="en">' in r.text and "Sign in" in r.text


def test_sign_in_redirect_stays_on_this_site(web: WebWorld) -> None:
    web.browser("rev1")
    b = web.browser()
    b.get("/login")
    r = b.submit(
        "/login", {"username": "rev1", "password": PASSWORD, "next": "//evil.example/x"}, follow=False
    )
    assert r.headers["location"] == "/review"
