"""Signing in and out, lock-out, and the password policy."""

from sqlalchemy import select

from practice.accounts.passwords import hash_password, password_problem, verify_password
from practice.models import Account, AuditEvent, Role


def test_login_page_renders_with_csrf_field(client):
    response = client.get("/login")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'name="csrf_token"' in page
    assert '<label for="email">Email</label>' in page


def test_login_then_home_lists_own_cases_only(client, auth, make_staff, make_case):
    me = make_staff(Role.COUNSELLOR)
    other = make_staff(Role.COUNSELLOR)
    make_case(me, reference="C-0101")
    make_case(other, reference="C-0202")
    response = auth.login(me)
    assert response.status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "C-0101" in page
    assert "C-0202" not in page


def test_wrong_password_and_unknown_user_get_the_same_answer(client, auth, make_staff, db):
    me = make_staff()
    wrong = auth.login(me, password="not-the-password-at-all")
    unknown = auth.login("nobody@test.example", password="not-the-password-at-all")
    assert wrong.status_code == unknown.status_code == 200
    message = "Email or password not recognised"
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    failures = db.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert len(failures) == 2


def test_account_locks_after_repeated_failures_then_refuses_the_right_password(
    app, client, auth, make_staff, db
):
    me = make_staff()
    for _ in range(app.config["PRACTICE_LOGIN_MAX_FAILURES"]):
        auth.login(me, password="wrong-password-wrong")
    account = db.scalar(select(Account).where(Account.email == me.email))
    assert account.locked_until is not None
    response = auth.login(me)
    assert response.status_code == 200  # the right password is refused while locked
    assert client.get("/").status_code == 302


def test_login_without_csrf_token_is_refused(client, make_staff):
    me = make_staff()
    response = client.post("/login", data={"email": me.email, "password": "x"})
    assert response.status_code == 400


def test_logout_ends_the_session_and_old_cookie_is_refused(client, auth, make_staff):
    me = make_staff()
    auth.login(me)
    assert client.get("/").status_code == 200
    stolen = client.get_cookie("session").value
    auth.logout()
    assert client.get("/").status_code == 302
    client.set_cookie("session", stolen)
    assert client.get("/").status_code == 302


def test_anonymous_is_sent_to_login_with_next(client):
    response = client.get("/admin/staff")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_redirects_only_to_local_next(client, auth, make_staff):
    me = make_staff()
    token = auth.csrf_token()
    for target in ("//evil.example", "/\\evil.example", "https://evil.example"):
        response = client.post(
            f"/login?next={target}",
            data={"email": me.email, "password": "test-password-2026", "csrf_token": token},
        )
        assert response.headers["Location"] == "/", target
        auth.logout()
        token = auth.csrf_token()


def test_password_hashing_uses_argon2id():
    hashed = hash_password("a long enough passphrase")
    assert hashed.startswith("$argon2id$")
    assert "m=19456,t=2,p=1" in hashed
    assert verify_password(hashed, "a long enough passphrase")
    assert not verify_password(hashed, "another passphrase")


def test_password_policy():
    assert password_problem("short") == "Use at least 12 characters."
    assert password_problem("x" * 257) == "Use at most 256 characters."
    # Leaked-password lists, keyboard walks, sequences, repeats, words with digits.
    for weak in (
        "password1234",
        "qwertyuiopas",
        "1qaz2wsx3edc",
        "123456789012",
        "aaaaaaaaaaaa",
        "Password2024!",
        "iloveyou2024",
        "sunshine1234",
    ):
        assert "common" in password_problem(weak), weak
    assert password_problem("a sound passphrase") is None
    assert password_problem("harbour-lantern-91") is None
    # Leaning on the person's own name or email is refused too.
    assert password_problem("HarbourLantern2026") is None
    assert password_problem("HarbourLantern2026", ["h.lantern@test.example", "Harbour Lantern"])
