"""Live-session mode: the screen, the clock, tapping (JSON), undo, the state and access."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from practice.core.signals import moment_tagged
from practice.models import AuditEvent, Moment, MomentType, NoteStatus, Role, TherapySession
from practice.moments import operations
from practice.moments.live_views import grid_blocks
from practice.moments.operations import live_minute
from practice.moments.vocabulary import live_shortcuts

COLUMN_HEADER = re.compile(r'<th scope="col">(?:<svg class="partner-swatch".*?</svg>)?(\w+)</th>')


def column_headers(page: str) -> list[str]:
    """The live grid's column headers (a partner's colour swatch left out)."""
    return COLUMN_HEADER.findall(page)


def type_id(db, key: str) -> int:
    return db.scalar(select(MomentType.id).where(MomentType.key == key))


def standing(db, session) -> list[Moment]:
    return list(
        db.scalars(
            select(Moment)
            .where(Moment.session_id == session.id, Moment.voided_at.is_(None))
            .order_by(Moment.id)
        )
    )


@pytest.fixture
def session(make_session, case):
    """A draft session that started 12 and a half minutes ago."""
    started = datetime.now(UTC) - timedelta(minutes=12, seconds=30)
    return make_session(case, starts_at=started, duration_minutes=50)


class Live:
    """Posts JSON to the live routes with the page's CSRF header, as live.js does."""

    def __init__(self, client, auth, session):
        self.client, self.auth, self.session = client, auth, session
        self._token = None

    def token(self) -> str:
        if self._token is None:
            self._token = self.auth.csrf_token("/")
        return self._token

    def post(self, what: str, payload=None, **kwargs):
        headers = {"X-CSRFToken": self.token(), **kwargs.pop("headers", {})}
        return self.client.post(
            f"/sessions/{self.session.id}/live/{what}", json=payload, headers=headers, **kwargs
        )

    def tag(self, db, key: str, partner=None, **extra):
        payload = {"moment_type_id": type_id(db, key), "partner_id": partner, **extra}
        return self.post("tags", payload)

    def state(self):
        return self.client.get(f"/sessions/{self.session.id}/live/state")


@pytest.fixture
def live(client, auth, session):
    return Live(client, auth, session)


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    if field:
        assert field in body["error"]["fields"]
    return body["error"]


# --- The screen --------------------------------------------------------------------------------


def test_screen_has_a_button_per_active_type_and_target(client, auth, db, counsellor, session):
    retired = db.get(MomentType, type_id(db, "contempt"))
    retired.active = False
    db.commit()
    active = db.scalar(select(func.count(MomentType.id)).where(MomentType.active.is_(True)))
    auth.login(counsellor)

    response = client.get(f"/sessions/{session.id}/live")

    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('class="tag-button"') == active * 3  # Alex, Both, Sam
    assert "Contempt" not in page
    headers = re.findall(
        r'<th scope="col">(?:<svg class="partner-swatch".*?</svg>)?(\w+)</th>', page
    )
    assert headers[:3] == ["Alex", "Both", "Sam"]
    assert "<kbd>s</kbd>" in page and 'data-shortcut="s"' in page
    assert "Escalating" in page and "De-escalating" in page and "Neutral" in page
    assert 'data-key="1"' in page and 'data-key="0"' in page and 'data-key="2"' in page
    assert re.search(r'id="live-clock"[^>]*>12:3\d<', page)
    assert "Tags go to minute <strong>12</strong> of 50" in page
    assert 'src="/static/js/live.js"' in page and "defer" in page
    assert "<script>" not in page and 'style="' not in page and "onclick" not in page
    assert 'role="status"' in page and 'aria-live="polite"' in page
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "live_viewed"))


def test_family_cases_get_a_column_per_member_and_all(
    client, auth, db, counsellor, make_case, make_session
):
    family = make_case(counsellor, partners=("Ana", "Ben", "Cy"), kind="family")
    session = make_session(family)
    auth.login(counsellor)
    page = client.get(f"/sessions/{session.id}/live").get_data(as_text=True)
    assert column_headers(page)[:4] == ["Ana", "Ben", "Cy", "All"]
    assert 'data-key="3"' in page


def test_individual_cases_have_one_column_and_no_both(
    client, auth, db, counsellor, make_case, make_session
):
    solo = make_case(counsellor, partners=("Robin",), kind="individual")
    session = make_session(solo)
    auth.login(counsellor)
    page = client.get(f"/sessions/{session.id}/live").get_data(as_text=True)
    assert column_headers(page)[:2] == ["Robin", "Robin"]
    assert "Both" not in page
    assert 'data-key="1"' in page and 'aria-pressed="true"' in page


def test_screen_shows_where_you_were_after_a_reload(client, auth, db, counsellor, session, live):
    auth.login(counsellor)
    live.tag(db, "softening", session.case.partners[0].id)
    page = client.get(f"/sessions/{session.id}/live").get_data(as_text=True)
    assert "min 12 · Softening · Alex" in page
    assert 'id="tally-deescalating">1</td>' in page


def test_signed_note_shows_a_message_and_a_link_back(
    client, auth, db, counsellor, case, make_session
):
    signed = make_session(case, status=NoteStatus.SIGNED, signed_by_id=counsellor.id)
    auth.login(counsellor)
    page = client.get(f"/sessions/{signed.id}/live").get_data(as_text=True)
    assert "This note is signed" in page
    assert f'href="/sessions/{signed.id}/moments"' in page
    assert "tag-button" not in page and "live.js" not in page


def test_screen_access(client, auth, db, counsellor, supervisor, session, make_staff):
    path = f"/sessions/{session.id}/live"
    anonymous = client.get(path)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    auth.login(supervisor)
    assert client.get(path).status_code == 403
    auth.logout()
    auth.login(make_staff(Role.ADMIN))
    assert client.get(path).status_code == 404
    auth.logout()
    auth.login(make_staff(Role.COUNSELLOR))
    assert client.get(path).status_code == 404


# --- The clock ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset", "minute"),
    [
        (timedelta(minutes=-5), 0),  # before the start
        (timedelta(0), 0),
        (timedelta(seconds=59), 0),
        (timedelta(minutes=1), 1),
        (timedelta(minutes=12, seconds=30), 12),
        (timedelta(minutes=50), 50),
        (timedelta(minutes=50, seconds=59), 50),
        (timedelta(hours=3), 50),  # past the end: the last minute
        (timedelta(days=7), 50),
    ],
)
def test_live_minute_is_clamped_to_the_session(offset, minute):
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    assert live_minute(start, 50, start + offset) == minute


def test_tag_live_uses_the_given_now(app_context, db, counsellor, session):
    now = session.starts_at + timedelta(minutes=33, seconds=10)
    moment = operations.tag_live(session, counsellor, type_id(db, "pursue"), None, None, now)
    assert (moment.minute, moment.intensity) == (33, 3)
    late = operations.tag_live(
        session, counsellor, type_id(db, "pursue"), None, 5, now + timedelta(hours=2)
    )
    assert (late.minute, late.intensity) == (50, 5)


def test_start_clock_now(client, auth, db, counsellor, make_session, case):
    planned = make_session(case, starts_at=datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    auth.login(counsellor)
    before = datetime.now(UTC).replace(microsecond=0)

    response = auth.post(f"/sessions/{planned.id}/live/start")

    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/sessions/{planned.id}/live")
    starts_at = db.get(TherapySession, planned.id).starts_at
    assert before <= starts_at <= datetime.now(UTC)
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "session_clock_started"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Clock started at" in page
    assert re.search(r'id="live-clock"[^>]*>00:0\d<', page)


def test_start_clock_is_refused_on_a_signed_note_and_for_readers(
    client, auth, db, counsellor, supervisor, case, make_session, session
):
    start = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
    signed = make_session(case, starts_at=start, status=NoteStatus.SIGNED)
    auth.login(counsellor)
    page = auth.post(f"/sessions/{signed.id}/live/start", follow_redirects=True)
    assert "its moments can no longer change" in page.get_data(as_text=True)
    assert db.get(TherapySession, signed.id).starts_at == start
    auth.logout()
    auth.login(supervisor)
    assert auth.post(f"/sessions/{session.id}/live/start").status_code == 403


# --- Tapping -----------------------------------------------------------------------------------


def test_tag_answers_the_moment_and_the_tally(client, auth, db, counsellor, session, live):
    auth.login(counsellor)
    alex = session.case.partners[0]

    response = live.tag(db, "softening", alex.id)

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"moment", "tally"}
    moment = body["moment"]
    assert {"id", "minute", "label", "partner"} <= set(moment)
    assert (moment["minute"], moment["label"], moment["partner"]) == (12, "Softening", "Alex")
    assert body["tally"] == {
        "escalating": 0,
        "deescalating": 1,
        "neutral": 0,
        "escalating_load": 0,
        "deescalating_load": 3,
        # One moment of load 3 is below the minimum load of 4: no share to show yet.
        "deescalation_share": None,
    }
    [stored] = standing(db, session)
    assert (stored.id, stored.intensity, stored.partner_id) == (moment["id"], 3, alex.id)
    event_ = db.scalar(select(AuditEvent).where(AuditEvent.action == "moment_added"))
    assert event_.detail["source"] == "live"


def test_tag_for_both_and_with_an_intensity(client, auth, db, counsellor, session, live):
    auth.login(counsellor)
    live.tag(db, "pursue", None, intensity=5)
    body = live.tag(db, "softening", None, intensity=1).get_json()
    assert body["moment"]["partner"] == "Both"
    assert body["tally"]["escalating"] == 1
    assert body["tally"]["deescalation_share"] == pytest.approx(1 / 6)
    assert [m.partner_id for m in standing(db, session)] == [None, None]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"moment_type_id": 999_999, "partner_id": None}, "moment_type_id"),
        ({"moment_type_id": "softening", "partner_id": None}, "moment_type_id"),
        ({"partner_id": None}, "moment_type_id"),
        ({"moment_type_id": "TYPE", "partner_id": 999_999}, "partner_id"),
        ({"moment_type_id": "TYPE", "partner_id": "1"}, "partner_id"),
        ({"moment_type_id": "TYPE", "partner_id": None, "intensity": 9}, "intensity"),
        ({"moment_type_id": "TYPE", "partner_id": None, "intensity": 0}, "intensity"),
        ({"moment_type_id": "TYPE", "partner_id": None, "intensity": "abc"}, "intensity"),
    ],
)
def test_bad_taps_are_refused_with_400(client, auth, db, counsellor, session, live, payload, field):
    payload = {k: type_id(db, "softening") if v == "TYPE" else v for k, v in payload.items()}
    auth.login(counsellor)
    assert_error(live.post("tags", payload), 400, "invalid", field)
    assert standing(db, session) == []


def test_a_refused_tap_names_every_field_at_fault(client, auth, db, counsellor, session, live):
    auth.login(counsellor)
    response = live.post("tags", {"moment_type_id": 0, "partner_id": -4, "intensity": 6})
    error = assert_error(response, 400, "invalid")
    assert set(error["fields"]) == {"moment_type_id", "partner_id", "intensity"}


def test_a_partner_of_another_case_is_refused(
    client, auth, db, counsellor, session, live, make_case
):
    other = make_case(counsellor, partners=("Jo", "Kim"))
    auth.login(counsellor)
    error = assert_error(live.tag(db, "pursue", other.partners[0].id), 400, "invalid", "partner_id")
    assert error["message"] == "That partner is not part of this case."
    assert standing(db, session) == []


def test_a_retired_type_is_refused(client, auth, db, counsellor, session, live):
    softening = db.get(MomentType, type_id(db, "softening"))
    softening.active = False
    db.commit()
    auth.login(counsellor)
    assert_error(live.tag(db, "softening"), 400, "invalid", "moment_type_id")


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b""])
def test_malformed_json_is_refused(client, auth, db, counsellor, session, live, body):
    auth.login(counsellor)
    response = live.post("tags", data=body, headers={"Content-Type": "application/json"})
    assert_error(response, 400, "bad_request")


def test_a_tap_on_a_signed_note_is_409(client, auth, db, counsellor, session, live):
    session.status = NoteStatus.SIGNED
    db.commit()
    auth.login(counsellor)
    assert_error(live.tag(db, "pursue"), 409, "note_signed")
    assert_error(live.post("undo"), 409, "note_signed")
    assert standing(db, session) == []


def test_a_tap_without_the_csrf_header_is_refused_as_json(client, auth, db, counsellor, session):
    auth.login(counsellor)
    response = client.post(
        f"/sessions/{session.id}/live/tags",
        json={"moment_type_id": type_id(db, "pursue"), "partner_id": None},
    )
    assert_error(response, 400, "bad_request")
    assert standing(db, session) == []


def test_json_access(client, auth, db, counsellor, supervisor, session, live, make_staff):
    anonymous = live.state()
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    auth.login(supervisor)
    assert_error(live.tag(db, "pursue"), 403, "forbidden")
    assert_error(live.post("undo"), 403, "forbidden")
    assert_error(live.state(), 403, "forbidden")
    auth.logout()
    auth.login(make_staff(Role.COUNSELLOR))
    live._token = None
    assert_error(live.tag(db, "pursue"), 404, "not_found")
    assert_error(live.post("undo"), 404, "not_found")
    assert_error(live.state(), 404, "not_found")
    assert standing(db, session) == []


def test_a_tag_takes_a_fixed_handful_of_queries(app, client, auth, db, counsellor, session, live):
    # As in production, where every commit expires what the session loaded: a view that reads
    # objects after its commit pays a query per object, and this test counts them.
    db.session_factory.configure(expire_on_commit=True)
    auth.login(counsellor)
    live.token()
    live.tag(db, "pursue")  # warm up
    payload = {"moment_type_id": type_id(db, "softening"), "partner_id": None}
    statements = []

    def count(conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        for _ in range(3):
            live.post("tags", payload)
            # Account, staff, session, case, type, insert, audit (4 at most), tally: no
            # query grows with the number of moments or types.
            assert len(statements) <= 11, "\n".join(statements)
            statements.clear()
    finally:
        event.remove(engine, "before_cursor_execute", count)


# --- Undo and state ----------------------------------------------------------------------------


def test_undo_voids_only_your_own_last_tap(client, auth, db, counsellor, supervisor, session, live):
    auth.login(counsellor)
    first = live.tag(db, "pursue").get_json()["moment"]
    mine = live.tag(db, "softening").get_json()["moment"]
    # A later moment by someone else in the same session (e.g. a co-therapist's import).
    theirs = Moment(
        session_id=session.id,
        moment_type_id=type_id(db, "withdraw"),
        minute=13,
        created_by_id=supervisor.id,
    )
    db.add(theirs)
    db.commit()

    response = live.post("undo")

    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"undone", "tally"}
    assert body["undone"]["id"] == mine["id"]
    assert body["tally"]["escalating"] == 2 and body["tally"]["deescalating"] == 0
    undone = db.get(Moment, mine["id"])
    assert undone.voided_at is not None and undone.void_reason == "undone in live mode"
    assert [m.id for m in standing(db, session)] == [first["id"], theirs.id]
    assert live.post("undo").get_json()["undone"]["id"] == first["id"]
    nothing = live.post("undo").get_json()
    assert nothing["undone"] is None
    assert [m.id for m in standing(db, session)] == [theirs.id]


def test_state_has_the_tally_and_the_last_ten(client, auth, db, counsellor, session, live):
    auth.login(counsellor)
    ids = [live.tag(db, "pursue").get_json()["moment"]["id"] for _ in range(12)]

    response = live.state()

    assert response.status_code == 200
    body = response.get_json()
    assert {"tally", "moments", "signed", "minute", "elapsed"} <= set(body)
    assert [m["id"] for m in body["moments"]] == ids[::-1][:10]
    assert body["moments"][0] == {
        "id": ids[-1],
        "minute": 12,
        "label": "Pursue / protest",
        "valence": "escalating",
        "moment_type_id": type_id(db, "pursue"),
        "partner": "Both",
        "partner_id": None,
        "intensity": 3,
        "target_partner_id": None,
        "target": None,
        "answers_moment_id": None,
        "outcome": None,
    }
    assert body["tally"]["escalating"] == 12 and body["tally"]["deescalation_share"] == 0.0
    assert body["signed"] is False and body["minute"] == 12
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "live_state_viewed"))


def test_each_tag_sends_moment_tagged(app_context, db, counsellor, session):
    received = []

    def listener(sender, **kw):
        received.append((sender, kw))

    moment_tagged.connect(listener)
    try:
        moment = operations.tag_live(
            session, counsellor, type_id(db, "pursue"), None, None, datetime.now(UTC)
        )
    finally:
        moment_tagged.disconnect(listener)
    assert received == [
        (moment, {"therapy_session": session, "member": counsellor, "source": "live"})
    ]


# --- Keys and the grid's tables (pure) ----------------------------------------------------------


def test_types_without_a_letter_get_the_letters_left_then_shift_letters():
    # 22 types own every letter but "q", "v", the undo key "z" and the break key "j": the first
    # type without a letter gets "q", the next "v", then the second row starts at "A" (Shift+a).
    owned = [c for c in "abcdefghiklmnoprstuwxy"]
    types = [(n, letter) for n, letter in enumerate(owned, start=1)]
    types += [(101, None), (102, None), (103, None), (104, None)]
    keys = live_shortcuts(types)
    assert [keys[n] for n in (101, 102, 103, 104)] == ["q", "v", "A", "B"]
    assert all(keys[n] == letter for n, letter in types[: len(owned)])
    assert len(set(keys.values())) == len(keys) == len(types)
    assert not {"z", "Z", "j", "J"} & set(keys.values())


def test_a_letter_claimed_twice_goes_to_the_first_type_and_the_alphabet_can_run_out():
    keys = live_shortcuts([(1, "s"), (2, "s"), (3, None)])
    assert keys == {1: "s", 2: "a", 3: "b"}
    # 24 first-row and 24 second-row keys (z and Z kept for undo, j and J for a break): a 49th
    # type has none.
    many = live_shortcuts([(n, None) for n in range(49)])
    assert len(many) == 48 and 48 not in many
    assert many[23] == "y" and many[24] == "A" and many[47] == "Y"


def test_a_long_valence_group_is_split_into_near_equal_tables():
    groups = [("escalating", "Escalating", list(range(11))), ("neutral", "Neutral", [1, 2, 3])]
    blocks = grid_blocks(groups, max_rows=6)
    assert [(b["valence"], len(b["types"]), b["continued"]) for b in blocks] == [
        ("escalating", 6, False),
        ("escalating", 5, True),
        ("neutral", 3, False),
    ]
    assert blocks[0]["types"] + blocks[1]["types"] == list(range(11))
    # Exactly six rows stay one table; seven become four and three.
    assert len(grid_blocks([("neutral", "Neutral", list(range(6)))], max_rows=6)) == 1
    seven = grid_blocks([("neutral", "Neutral", list(range(7)))], max_rows=6)
    assert [len(b["types"]) for b in seven] == [4, 3]


def test_the_keyboard_starts_on_the_first_partner(client, auth, db, counsellor, session):
    auth.login(counsellor)
    page = client.get(f"/sessions/{session.id}/live").get_data(as_text=True)
    pressed = re.findall(r'data-key="(\d)" data-name="(\w+)" aria-pressed="true"', page)
    assert pressed == [("1", "Alex")]
    assert 'id="live-start-dialog"' in page and 'aria-labelledby="live-start-title"' in page
