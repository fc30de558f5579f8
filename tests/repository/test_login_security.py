"""Sign-ins that hold: throttled per e-mail address and per client address, and sessions that end.

Throttling per address typed (in the database): five attempts in a row are free, then each next
one waits 2, 4, 8 … seconds, and after ten the address is locked for 15 minutes; a success
forgets them. Per client address (Flask-Limiter): ten sign-ins that fail in a minute. Signing out
and a new password end every session and remember-me cookie of the user.
"""

from __future__ import annotations

import hashlib
import itertools
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from repository.accounts import load_user
from repository.errors import Conflict, PermissionDenied
from repository.extensions import db, limiter
from repository.models.accounts import SignInThrottle
from repository.models.base import utcnow
from repository.services import accounts
from tests.conftest import RequestScopedClient, csrf_token_from
from tests.factories import PASSWORD

HOST = "huiku.test"
_addresses = itertools.count(1)


@pytest.fixture(autouse=True)
def fresh_rate_limits(app):
    """Per-address counts start empty, in this app's own storage."""
    limiter.init_app(app)
    limiter.reset()


@pytest.fixture
def browser(app):
    """A browser of its own, from a client address of its own, so limits do not carry over."""

    app.test_client_class = RequestScopedClient

    def open_browser(address: str | None = None):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address or f"198.51.100.{next(_addresses) % 250}"
        return client

    return open_browser


def try_password(client, email: str, password: str, *, remember: bool = False):
    token = csrf_token_from(client, "/login")
    data = {"csrf_token": token, "email": email, "password": password}
    if remember:
        data["remember"] = "y"
    return client.post("/login", data=data)


def fail(client, email: str, times: int) -> list[tuple[int, str | None]]:
    """Wrong passwords; each answer's status and Retry-After."""
    answers = []
    for _ in range(times):
        response = try_password(client, email, "not-the-password")
        answers.append((response.status_code, response.headers.get("Retry-After")))
    return answers


def time_passes(email: str) -> None:
    """Whatever wait the address was given is over."""
    db.session.execute(
        update(SignInThrottle)
        .where(SignInThrottle.email_hash == email_hash(email))
        .values(retry_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def email_hash(email: str) -> str:
    return hashlib.sha256(email.lower().encode()).hexdigest()


def signed_in(client) -> bool:
    return client.get("/workspace/").status_code == 200


# Per e-mail address ------------------------------------------------------------------------


def test_after_five_wrong_passwords_even_the_right_one_must_wait(browser, make_user):
    user = make_user("contributor")
    client = browser()
    assert fail(client, user.email, 4) == [(401, None)] * 4
    assert fail(client, user.email, 1) == [(429, "2")]  # the fifth: the next one waits 2 s

    response = try_password(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 2
    page = response.get_data(as_text=True)
    assert "登录尝试次数过多" in page  # the reader's language: 简体中文 by default
    assert not signed_in(client)


def test_each_further_wrong_password_waits_twice_as_long(browser, make_user):
    user = make_user("contributor")
    client = browser()
    waits = []
    for _ in range(9):
        waits.append(fail(client, user.email, 1)[0])
        time_passes(user.email)
    assert waits == [(401, None)] * 4 + [(429, str(s)) for s in (2, 4, 8, 16, 32)]


def fail_ten_times(browser, email: str) -> list[tuple[int, str | None]]:
    """Ten wrong passwords, each from a browser of its own and after the wait before it."""
    answers = []
    for _ in range(10):
        time_passes(email)
        answers += fail(browser(), email, 1)
    return answers


def test_ten_wrong_passwords_lock_the_address_for_fifteen_minutes(browser, make_user):
    user = make_user("contributor")
    assert fail_ten_times(browser, user.email)[-1] == (429, "900")

    client = browser()
    response = try_password(client, user.email, PASSWORD)
    assert response.status_code == 429
    assert 890 <= int(response.headers["Retry-After"]) <= 900
    assert "15 分钟" in response.get_data(as_text=True)
    assert client.get("/lang/en").status_code == 302
    response = try_password(client, user.email, PASSWORD)
    assert "Please try again in 15 minutes." in response.get_data(as_text=True)
    assert not signed_in(client)


def test_after_the_lock_one_more_wrong_password_locks_it_again(browser, make_user):
    user = make_user("contributor")
    fail_ten_times(browser, user.email)
    time_passes(user.email)
    assert fail(browser(), user.email, 1) == [(429, "900")]
    time_passes(user.email)
    assert try_password(browser(), user.email, PASSWORD).status_code == 302


def test_a_locked_address_is_refused_from_every_client_address(browser, make_user):
    user = make_user("contributor")
    fail_ten_times(browser, user.email)
    for _ in range(3):
        assert try_password(browser(), user.email, PASSWORD).status_code == 429


def test_a_success_forgets_the_failures(browser, make_user):
    user = make_user("contributor")
    client = browser()
    fail(client, user.email, 4)
    assert try_password(client, user.email, PASSWORD).status_code == 302
    assert db.session.get(SignInThrottle, email_hash(user.email)) is None

    other = browser()
    assert fail(other, user.email, 4) == [(401, None)] * 4  # counted from one again
    assert fail(other, user.email, 1) == [(429, "2")]


def test_after_the_wait_the_right_password_signs_in(browser, make_user):
    user = make_user("contributor")
    client = browser()
    fail(client, user.email, 6)
    time_passes(user.email)
    assert try_password(client, user.email, PASSWORD).status_code == 302
    assert signed_in(client)


def test_an_address_without_an_account_gets_the_same_answers(browser, make_user):
    user = make_user("contributor")
    known = [fail(browser(), user.email, 1)[0] for _ in range(6)]
    unknown = [fail(browser(), "nobody@example.org", 1)[0] for _ in range(6)]
    for answers in (known, unknown):
        assert answers[:5] == [(401, None)] * 4 + [(429, "2")]
        status, wait = answers[5]
        assert status == 429 and wait in {"1", "2"}  # the same wait, counting down meanwhile


def test_an_address_without_an_account_costs_a_password_check_too(monkeypatch, make_user):
    method = make_user("contributor").password_hash.split("$")[0]  # e.g. scrypt:32768:8:1
    assert accounts._STAND_IN_HASH.startswith(f"{method}$")  # as slow as a real one to check
    checked = []
    real_check = accounts.check_password_hash
    monkeypatch.setattr(
        accounts,
        "check_password_hash",
        lambda hashed, password: checked.append(password) or real_check(hashed, password),
    )
    assert accounts.authenticate("nobody@example.org", "a guess") is None
    assert checked == ["a guess"]


def test_the_database_keeps_no_e_mail_addresses_of_attempts(browser):
    fail(browser(), "Someone@Example.org", 1)
    rows = db.session.scalars(select(SignInThrottle)).all()
    assert [row.email_hash for row in rows] == [email_hash("someone@example.org")]
    assert rows[0].attempts == 1


def test_attempts_from_long_ago_are_forgotten(browser, make_user):
    user = make_user("contributor")
    client = browser()
    fail(client, user.email, 6)
    db.session.execute(
        update(SignInThrottle).values(
            last_attempt_at=utcnow() - timedelta(days=2), retry_at=utcnow() - timedelta(days=2)
        )
    )
    db.session.commit()
    assert fail(client, user.email, 1) == [(401, None)]
    assert db.session.get(SignInThrottle, email_hash(user.email)).attempts == 1


# Per client address ------------------------------------------------------------------------


def test_one_client_address_may_fail_ten_times_a_minute(browser, make_user):
    user = make_user("contributor")
    client = browser()
    answers = [fail(client, f"guess{n}@example.org", 1)[0] for n in range(10)]
    assert answers == [(401, None)] * 10  # ten different addresses: none of them throttled

    refused = try_password(client, user.email, PASSWORD)  # even the right password
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "登录尝试次数过多" in refused.get_data(as_text=True)
    assert not signed_in(client)

    assert try_password(browser(), user.email, PASSWORD).status_code == 302  # elsewhere: fine


@pytest.fixture
def three_a_minute(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")


def test_refusals_by_the_address_limit_do_not_extend_it(app, browser, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per 6 seconds")
    client = browser()
    fail(client, "someone@example.org", 3)
    refusals = fail(client, "someone@example.org", 2)
    assert [status for status, _ in refusals] == [429, 429]
    time.sleep(int(refusals[-1][1]))  # as Retry-After says
    assert fail(client, "someone@example.org", 1) == [(401, None)]


def test_sign_ins_that_succeed_do_not_count_against_the_address(browser, make_user, three_a_minute):
    user = make_user("contributor")
    client = browser()
    for _ in range(4):
        assert try_password(client, user.email, PASSWORD).status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token_from(client, "/workspace/")})


def test_without_a_trusted_proxy_x_forwarded_for_is_not_believed(browser, three_a_minute):
    client = browser()
    for n in range(3):
        token = csrf_token_from(client, "/login")
        client.post(
            "/login",
            data={"csrf_token": token, "email": f"guess{n}@example.org", "password": "x"},
            headers={"X-Forwarded-For": f"203.0.113.{n}"},
        )
    token = csrf_token_from(client, "/login")
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": "guess@example.org", "password": "x"},
        headers={"X-Forwarded-For": "203.0.113.99"},
    )
    assert response.status_code == 429


def test_the_login_page_itself_is_never_limited(browser, three_a_minute):
    client = browser()
    fail(client, "someone@example.org", 3)
    assert client.get("/login").status_code == 200
    assert try_password(client, "someone@example.org", "again").status_code == 429  # posting is


# Sessions that end -------------------------------------------------------------------------


def signed_in_with_cookies(browser, user, address: str):
    """Sign in with "keep me signed in"; the browser and its session and remember-me cookies."""
    client = browser(address)
    assert try_password(client, user.email, PASSWORD, remember=True).status_code == 302
    cookies = {name: client.get_cookie(name, domain=HOST) for name in ("session", "remember_token")}
    assert all(cookies.values()), "signing in with remember-me sets both cookies"
    return client, {name: cookie.value for name, cookie in cookies.items()}


def replay(browser, address: str, **cookies: str):
    """A browser that has nothing but these cookies, from the same address as the original."""
    client = browser(address)
    for name, value in cookies.items():
        client.set_cookie(name, value, domain=HOST)
    return client


def test_the_captured_cookies_open_the_workspace_until_sign_out(browser, make_user):
    user = make_user("contributor")
    _, cookies = signed_in_with_cookies(browser, user, "192.0.2.10")
    assert signed_in(replay(browser, "192.0.2.10", session=cookies["session"]))
    assert signed_in(replay(browser, "192.0.2.10", remember_token=cookies["remember_token"]))


def test_signing_out_ends_the_old_session_and_remember_cookies(browser, make_user):
    user = make_user("contributor")
    client, cookies = signed_in_with_cookies(browser, user, "192.0.2.11")
    token = csrf_token_from(client, "/workspace/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302

    assert not signed_in(replay(browser, "192.0.2.11", session=cookies["session"]))
    assert not signed_in(replay(browser, "192.0.2.11", remember_token=cookies["remember_token"]))
    assert not signed_in(replay(browser, "192.0.2.11", **cookies))


def test_signing_out_ends_the_users_sessions_in_every_browser(browser, make_user):
    user = make_user("contributor")
    office, _ = signed_in_with_cookies(browser, user, "192.0.2.12")
    home, home_cookies = signed_in_with_cookies(browser, user, "192.0.2.13")
    office.post("/logout", data={"csrf_token": csrf_token_from(office, "/workspace/")})
    assert not signed_in(home)
    assert not signed_in(
        replay(browser, "192.0.2.13", remember_token=home_cookies["remember_token"])
    )


def test_a_new_password_ends_every_session(browser, make_user):
    user = make_user("contributor")
    client, cookies = signed_in_with_cookies(browser, user, "192.0.2.14")
    accounts.change_password(user, PASSWORD, "a-new-password-42")

    assert not signed_in(client)
    assert not signed_in(replay(browser, "192.0.2.14", session=cookies["session"]))
    assert not signed_in(replay(browser, "192.0.2.14", remember_token=cookies["remember_token"]))
    assert try_password(browser(), user.email, PASSWORD).status_code == 401
    assert try_password(browser(), user.email, "a-new-password-42").status_code == 302


def test_cookies_name_the_user_with_the_current_session_token(make_user):
    user = make_user("contributor")
    assert load_user(user.get_id()) is user
    assert load_user(str(user.id)) is None  # what cookies held before session tokens
    assert load_user(f"{user.id}:{'0' * 32}") is None
    assert load_user("not-a-user") is None
    accounts.end_all_sessions(user)
    assert load_user(user.get_id()) is user


# Changing a password -----------------------------------------------------------------------


def test_changing_a_password_needs_the_current_one(make_user):
    user = make_user("contributor")
    with pytest.raises(PermissionDenied) as refused:
        accounts.change_password(user, "not-the-password", "a-new-password-42")
    assert refused.value.message.zh == "当前密码不正确"
    assert user.check_password(PASSWORD)
    assert db.session.get(SignInThrottle, email_hash(user.email)).attempts == 1  # a guess counted


def test_changing_a_password_is_throttled_like_signing_in(make_user):
    user = make_user("contributor")
    for _ in range(4):
        with pytest.raises(PermissionDenied):
            accounts.change_password(user, "not-the-password", "a-new-password-42")
    with pytest.raises(accounts.TooManySignInAttempts) as throttled:
        accounts.change_password(user, "not-the-password", "a-new-password-42")
    assert throttled.value.retry_after == 2
    assert throttled.value.status == 429
    with pytest.raises(accounts.TooManySignInAttempts):
        accounts.change_password(user, PASSWORD, "a-new-password-42")
    assert user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("new", "why"), [("short", "至少需要 8 个字符"), (PASSWORD, "新密码与原密码相同")]
)
def test_a_new_password_must_be_long_enough_and_new(make_user, new, why):
    user = make_user("contributor")
    with pytest.raises(Conflict) as refused:
        accounts.change_password(user, PASSWORD, new)
    assert why in refused.value.message.zh
    assert user.check_password(PASSWORD)


def test_a_changed_password_signs_in_and_the_old_one_does_not(make_user):
    user = make_user("contributor")
    accounts.change_password(user, PASSWORD, "a-new-password-42")
    assert accounts.sign_in(user.email, "a-new-password-42") == user
    assert accounts.sign_in(user.email, PASSWORD) is None
