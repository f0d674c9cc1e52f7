"""Each partner's consent to share their CSI-4 scores: given, withdrawn and given again, dated,
audited, kept whole; who may change it; and ``shared_with``, the question the reports will ask,
on the days around each date (a withdrawal counts from its own day)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from practice.cases.operations import latest_opening_date
from practice.core.database import utcnow
from practice.measures import operations
from practice.measures.consent import ShareAudience, in_force
from practice.measures.operations import ConsentError
from practice.measures.sharing import partners_sharing, shared_with
from practice.models import AuditEvent, CaseKind, Role, ScoreSharingConsent
from tests.break_glass_support import open_break_glass
from tests.test_api_support import ApiClient, issue_token

PARTNER, REFERRER = ShareAudience.PARTNER.value, ShareAudience.REFERRER.value
OPENED = date(2026, 1, 5)  # the cases of ``make_case`` open on this day
GIVEN, WITHDRAWN, GIVEN_AGAIN = date(2026, 3, 10), date(2026, 4, 1), date(2026, 4, 20)


def events(db, action: str) -> list[AuditEvent]:
    db.expire_all()
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return list(db.scalars(query))


def consents(db) -> list[ScoreSharingConsent]:
    db.expire_all()
    return list(db.scalars(select(ScoreSharingConsent).order_by(ScoreSharingConsent.id)))


# --- The rule, pure -----------------------------------------------------------------------------


def test_a_consent_is_in_force_from_its_day_to_the_day_before_its_withdrawal():
    day = timedelta(days=1)
    assert not in_force(GIVEN, WITHDRAWN, GIVEN - day)  # the day before it was given
    assert in_force(GIVEN, WITHDRAWN, GIVEN)  # the day it was given
    assert in_force(GIVEN, WITHDRAWN, WITHDRAWN - day)  # the last day before the withdrawal
    assert not in_force(GIVEN, WITHDRAWN, WITHDRAWN)  # the withdrawal counts from its own day
    assert in_force(GIVEN, None, date(2099, 1, 1))  # never withdrawn: in force for good
    assert not in_force(GIVEN, GIVEN, GIVEN)  # given and withdrawn the same day: never


# --- The operations and shared_with --------------------------------------------------------------


def test_given_withdrawn_and_given_again_with_its_history_and_audit(app, db, case, counsellor):
    alex, sam = case.partners
    with app.app_context():
        first = operations.give_score_consent(case, alex.id, PARTNER, GIVEN, counsellor)
        db.commit()
        assert shared_with(alex, PARTNER)  # as recorded now
        operations.withdraw_score_consent(case, alex.id, PARTNER, WITHDRAWN, counsellor)
        db.commit()
        assert not shared_with(alex, PARTNER)  # withdrawn: not shared from the moment it is known
        second = operations.give_score_consent(case, alex.id, PARTNER, GIVEN_AGAIN, counsellor)
        db.commit()
        day = timedelta(days=1)
        expected = {
            GIVEN - day: False,
            GIVEN: True,
            WITHDRAWN - day: True,
            WITHDRAWN: False,  # the withdrawal takes effect on its date
            GIVEN_AGAIN - day: False,
            GIVEN_AGAIN: True,
        }
        assert {on: shared_with(alex, PARTNER, on) for on in expected} == expected
        assert shared_with(alex, PARTNER)
        # Alex's consent says nothing of Sam's scores, nor of sharing with a referrer.
        assert not shared_with(sam, PARTNER, GIVEN_AGAIN)
        assert not shared_with(alex, REFERRER, GIVEN_AGAIN)
        assert not shared_with(alex, "clinical")  # no such audience: never shared
        assert partners_sharing(case, PARTNER) == {alex.id}
        assert partners_sharing(case, PARTNER, WITHDRAWN) == set()
    rows = consents(db)
    assert [(r.id, r.given_on, r.withdrawn_on) for r in rows] == [
        (first.id, GIVEN, WITHDRAWN),
        (second.id, GIVEN_AGAIN, None),
    ]
    assert rows[0].recorded_by_id == rows[0].withdrawal_by_id == counsellor.id
    assert rows[0].withdrawal_at >= rows[0].recorded_at
    assert rows[0].recorded_at.utcoffset() == timedelta(0)
    given, withdrawn = events(db, "score_consent_given"), events(db, "score_consent_withdrawn")
    assert [e.object_id for e in given] == [str(first.id), str(second.id)]
    assert [e.object_id for e in withdrawn] == [str(first.id)]
    for event in given + withdrawn:
        assert event.object_type == "ScoreSharingConsent"
        assert event.case_id == case.id and event.actor_id is None  # no request: no actor
        assert event.detail == {"partner_id": alex.id, "audience": PARTNER}


def test_a_back_dated_withdrawal_takes_effect_from_its_date(app, db, case, counsellor):
    """Recorded late, a withdrawal still counts from the day the partner withdrew."""
    sam = case.partners[1]
    with app.app_context():
        operations.give_score_consent(case, sam.id, REFERRER, GIVEN, counsellor)
        db.commit()
        assert shared_with(sam, REFERRER, WITHDRAWN + timedelta(days=5))
        operations.withdraw_score_consent(case, sam.id, REFERRER, WITHDRAWN, counsellor)
        db.commit()
        assert shared_with(sam, REFERRER, WITHDRAWN - timedelta(days=1))
        assert not shared_with(sam, REFERRER, WITHDRAWN)
        assert not shared_with(sam, REFERRER, WITHDRAWN + timedelta(days=5))


def _state(db) -> tuple:
    """The consents as stored and the number of consent events: what a refusal must not touch."""
    rows = [(r.id, r.given_on, r.withdrawn_on) for r in consents(db)]
    return rows, len(events(db, "score_consent_given")), len(events(db, "score_consent_withdrawn"))


def _refusal(db, call) -> str:
    """Run ``call`` (in the test's app context): it must be refused and change nothing."""
    before = _state(db)
    with pytest.raises(ConsentError) as refused:
        call()
    assert _state(db) == before
    return str(refused.value)


def test_what_is_refused(app_context, db, case, counsellor, make_case, make_staff):
    alex = case.partners[0]
    stranger = make_case(make_staff()).partners[0]
    give = operations.give_score_consent
    withdraw = operations.withdraw_score_consent
    future = latest_opening_date() + timedelta(days=1)
    day = timedelta(days=1)

    assert "nothing to withdraw" in _refusal(
        db, lambda: withdraw(case, alex.id, PARTNER, GIVEN, counsellor)
    )
    assert "day still to come" in _refusal(
        db, lambda: give(case, alex.id, PARTNER, future, counsellor)
    )
    # The day the case opened is accepted (below), the day before it is not.
    assert "The case opened on 05 Jan 2026" in _refusal(
        db, lambda: give(case, alex.id, PARTNER, OPENED - day, counsellor)
    )
    assert "not in this case" in _refusal(
        db, lambda: give(case, stranger.id, PARTNER, GIVEN, counsellor)
    )
    assert "with the other partner or with a referrer" in _refusal(
        db, lambda: give(case, alex.id, "clinical", GIVEN, counsellor)
    )
    give(case, alex.id, REFERRER, OPENED, counsellor)
    give(case, alex.id, PARTNER, GIVEN, counsellor)
    db.commit()
    assert "already recorded, from 10 Mar 2026" in _refusal(
        db, lambda: give(case, alex.id, PARTNER, GIVEN, counsellor)
    )
    # A withdrawal on the day it was given is accepted (the referrer's, below); before, not.
    assert "its withdrawal cannot be dated before that" in _refusal(
        db, lambda: withdraw(case, alex.id, PARTNER, GIVEN - day, counsellor)
    )
    assert "day still to come" in _refusal(
        db, lambda: withdraw(case, alex.id, PARTNER, future, counsellor)
    )
    withdraw(case, alex.id, PARTNER, WITHDRAWN, counsellor)
    db.commit()
    # Given again: on the day of the withdrawal is accepted (below), the day before it is not.
    assert "withdrawn on 01 Apr 2026" in _refusal(
        db, lambda: give(case, alex.id, PARTNER, WITHDRAWN - day, counsellor)
    )
    give(case, alex.id, PARTNER, WITHDRAWN, counsellor)
    withdraw(case, alex.id, REFERRER, OPENED, counsellor)
    db.commit()
    assert shared_with(alex, PARTNER, WITHDRAWN)  # withdrawn and given again that day
    assert shared_with(alex, PARTNER, WITHDRAWN - day)  # the first consent's last day
    assert not shared_with(alex, PARTNER, GIVEN - day)
    assert not shared_with(alex, REFERRER, OPENED)  # given and withdrawn the same day
    assert len(consents(db)) == 3


def test_an_individual_client_consents_to_a_referrer_only(
    app, db, make_case, counsellor, client, auth
):
    case = make_case(counsellor, partners=("Robin",), kind=CaseKind.INDIVIDUAL)
    case_id, robin_id = case.id, case.partners[0].id
    auth.login(counsellor)
    with app.app_context():
        with pytest.raises(ConsentError, match="no partner in a joint report"):
            operations.give_score_consent(case, robin_id, PARTNER, GIVEN, counsellor)
        operations.give_score_consent(case, robin_id, REFERRER, GIVEN, counsellor)
        db.commit()
    html = client.get(f"/cases/{case_id}/score-sharing").get_data(as_text=True)
    assert "With a referrer (referrer report)" in html
    assert "Shared</span> since 10 Mar 2026" in html
    assert "the other partner" not in html
    assert "there is no partner in a joint report to share with" in html
    assert [r.audience for r in consents(db)] == [REFERRER]


def test_one_open_consent_per_partner_and_audience_in_the_database(db, case, counsellor):
    """Two windows giving the same consent at once: the database keeps one open row."""
    alex = case.partners[0]

    def row(**kw) -> ScoreSharingConsent:
        values = {
            "case_id": case.id,
            "partner_id": alex.id,
            "audience": PARTNER,
            "given_on": GIVEN,
            "recorded_by_id": counsellor.id,
        }
        return ScoreSharingConsent(**{**values, **kw})

    withdrawn = {"withdrawn_on": WITHDRAWN, "withdrawal_by_id": counsellor.id}
    db.add(row(**withdrawn, withdrawal_at=utcnow()))
    db.add(row())
    db.add(row(audience=REFERRER))
    db.commit()
    nested = db.begin_nested()
    db.add(row(given_on=GIVEN_AGAIN))
    with pytest.raises(IntegrityError):
        db.flush()
    nested.rollback()
    nested = db.begin_nested()
    db.add(row(**withdrawn))  # a withdrawal without its recording time is refused too
    with pytest.raises(IntegrityError):
        db.flush()
    nested.rollback()
    assert db.scalar(select(func.count()).select_from(ScoreSharingConsent)) == 3


# --- The page: record, withdraw, history; who may -------------------------------------------------


def give_on_page(auth, case, partner, audience: str, on: date | str):
    return auth.post(
        f"/cases/{case.id}/score-sharing",
        {"partner_id": partner.id, "audience": audience, "given_on": str(on), "give": "x"},
    )


def withdraw_on_page(auth, case, partner, audience: str, on: date | str):
    return auth.post(
        f"/cases/{case.id}/score-sharing",
        {"partner_id": partner.id, "audience": audience, "withdrawn_on": str(on), "withdraw": "x"},
    )


def test_the_counsellor_records_withdraws_and_records_again_on_the_page(
    client, auth, counsellor, case, db
):
    alex, sam = case.partners
    auth.login(counsellor)
    html = client.get(f"/cases/{case.id}/score-sharing").get_data(as_text=True)
    # Two partners × (the other partner, a referrer).
    assert html.count(">Record consent</button>") == 4
    assert "With the other partner (joint client report)" in html
    response = give_on_page(auth, case, alex, PARTNER, GIVEN)
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The partner&#39;s consent was recorded from 10 Mar 2026." in html
    assert "Shared</span> since 10 Mar 2026" in html
    assert html.count(">Record withdrawal</button>") == 1
    assert html.count(">Record consent</button>") == 3
    assert withdraw_on_page(auth, case, alex, PARTNER, WITHDRAWN).status_code == 302
    assert give_on_page(auth, case, alex, PARTNER, GIVEN_AGAIN).status_code == 302
    html = client.get(f"/cases/{case.id}/score-sharing").get_data(as_text=True)
    assert "History (2 consents, kept in full)" in html
    assert "Given on 10 Mar 2026" in html and "withdrawn on 01 Apr 2026" in html
    assert "Given on 20 Apr 2026" in html and "; in force." in html
    assert f"recorded by {counsellor.display_name}" in html
    assert [(r.given_on, r.withdrawn_on) for r in consents(db)] == [
        (GIVEN, WITHDRAWN),
        (GIVEN_AGAIN, None),
    ]
    with client.application.app_context():
        assert shared_with(alex, PARTNER) and not shared_with(sam, PARTNER)
    assert len(events(db, "score_consent_given")) == 2
    assert len(events(db, "score_consent_withdrawn")) == 1
    viewed = events(db, "score_sharing_viewed")
    assert viewed and all(e.case_id == case.id and e.detail == {} for e in viewed)
    assert all(e.actor_id == counsellor.id for e in viewed)


def test_a_refused_date_is_shown_on_its_row_and_nothing_is_recorded(
    client, auth, counsellor, case, db
):
    sam = case.partners[1]
    auth.login(counsellor)
    future = latest_opening_date() + timedelta(days=1)
    response = give_on_page(auth, case, sam, REFERRER, future)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    row = html[html.index(f'id="consent-{sam.id}-referrer"') :]
    row = row[: row.index("</form>")]
    assert "A consent cannot be given on a day still to come." in row
    assert f'value="{future.isoformat()}"' in row and 'aria-invalid="true"' in row
    response = give_on_page(auth, case, sam, REFERRER, "not a day")
    assert response.status_code == 200
    assert "Not a valid date value." in response.get_data(as_text=True)
    assert consents(db) == [] and events(db, "score_consent_given") == []


def test_a_form_for_a_partner_of_another_case_is_refused_above_the_rows(
    client, auth, counsellor, case, db, make_case, make_staff
):
    stranger = make_case(make_staff()).partners[0]
    auth.login(counsellor)
    response = give_on_page(auth, case, stranger, PARTNER, GIVEN)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "That partner is not in this case." in html and "Nothing was recorded." in html
    assert consents(db) == []


def test_the_case_page_says_whose_scores_are_shared(client, auth, counsellor, case, app, db):
    alex, sam = case.partners
    with app.app_context():
        operations.give_score_consent(case, alex.id, PARTNER, GIVEN, counsellor)
        operations.give_score_consent(case, sam.id, REFERRER, GIVEN, counsellor)
        operations.withdraw_score_consent(case, sam.id, REFERRER, WITHDRAWN, counsellor)
        db.commit()
    auth.login(counsellor)
    html = client.get(f"/cases/{case.id}").get_data(as_text=True)
    block = html[html.index('aria-labelledby="sharing-heading"') :]
    block = block[: block.index("</section>")]
    items = [item.split("</li>")[0] for item in block.split("<li>")[1:]]
    assert (
        "Alex</strong>, with the other partner" in items[0]
        and "shared</span> since 10 Mar" in items[0]
    )
    assert "Alex</strong>, with a referrer" in items[1] and "not shared" in items[1]
    assert "Sam</strong>, with a referrer" in items[3]
    assert "not shared</span> (withdrawn 01 Apr 2026)" in items[3]
    assert "Record or withdraw consent" in block


@pytest.mark.parametrize(
    ("who", "read", "change"),
    [
        ("counsellor", 200, 302),  # the case's own counsellor: reads and records
        ("supervisor", 200, 403),  # their supervisor: reads only
        ("admin", 404, 404),  # an administrator: no clinical record without break-glass
        ("admin under break-glass", 200, 403),  # then reads only
        ("other counsellor", 404, 404),  # out of scope: the case does not exist for them
        ("other supervisor", 404, 404),
    ],
)
def test_who_may_read_and_change_consent_on_the_page(
    client, auth, case, counsellor, supervisor, make_staff, db, who, read, change
):
    members = {
        "counsellor": counsellor,
        "supervisor": supervisor,
        "admin": make_staff(Role.ADMIN),
        "admin under break-glass": make_staff(Role.ADMIN),
        "other counsellor": make_staff(Role.COUNSELLOR),
        "other supervisor": make_staff(Role.SUPERVISOR),
    }
    open_break_glass(db, members["admin under break-glass"], case)
    auth.login(members[who])
    response = client.get(f"/cases/{case.id}/score-sharing")
    assert response.status_code == read
    if read == 200:
        html = response.get_data(as_text=True)
        assert ("Record consent" in html) == (who == "counsellor")
        if who != "counsellor":
            assert "Only the case's counsellor records and withdraws consent" in html
    assert give_on_page(auth, case, case.partners[0], PARTNER, GIVEN).status_code == change
    assert len(consents(db)) == (1 if change == 302 else 0)


def test_without_a_csrf_token_nothing_is_recorded(client, auth, counsellor, case, db):
    auth.login(counsellor)
    response = client.post(
        f"/cases/{case.id}/score-sharing",
        data={"partner_id": case.partners[0].id, "audience": PARTNER, "given_on": str(GIVEN)},
    )
    assert response.status_code == 400
    assert consents(db) == []


def test_anonymous_is_sent_to_login(client, case):
    response = client.get(f"/cases/{case.id}/score-sharing")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- The API -------------------------------------------------------------------------------------


def test_the_api_lists_gives_and_withdraws(app, client, db, case, counsellor):
    alex = case.partners[0]
    api = ApiClient(client, issue_token(app, db, counsellor))
    path = f"/cases/{case.id}/score-consents"
    body = {"partner_id": alex.id, "audience": PARTNER, "given_on": "2026-03-10"}
    created = api.post(path, body)
    assert created.status_code == 201
    record = created.get_json()
    assert record["given_on"] == "2026-03-10" and record["in_force"] is True
    assert record["withdrawn_on"] is None and record["recorded_by_id"] == counsellor.id
    assert api.post(path, body).status_code == 409  # already in force
    withdraw = {"partner_id": alex.id, "audience": PARTNER, "withdrawn_on": "2026-04-01"}
    withdrawn = api.post(f"{path}/withdraw", withdraw)
    assert withdrawn.status_code == 200
    assert withdrawn.get_json()["withdrawn_on"] == "2026-04-01"
    assert withdrawn.get_json()["in_force"] is False
    assert api.post(f"{path}/withdraw", withdraw).status_code == 409  # nothing to withdraw
    again = api.post(path, {**body, "given_on": "2026-03-31"})
    assert again.status_code == 409  # before the last withdrawal
    assert "withdrawn on 01 Apr 2026" in again.get_json()["error"]["message"]
    assert api.post(path, {**body, "given_on": "2026-04-20"}).status_code == 201
    listed = api.get(path).get_json()
    assert listed["total"] == 2
    assert [(i["given_on"], i["withdrawn_on"], i["in_force"]) for i in listed["items"]] == [
        ("2026-03-10", "2026-04-01", False),
        ("2026-04-20", None, True),
    ]
    read = events(db, "api_score_consents_read")[-1]
    assert (read.object_type, read.case_id, read.detail) == ("Case", case.id, {"count": 2})
    assert len(events(db, "score_consent_given")) == 2
    assert api.post(path, {**body, "audience": "clinical"}).status_code == 422


@pytest.mark.parametrize(
    ("who", "read", "change"),
    [
        ("counsellor", 200, 201),
        ("supervisor", 200, 403),
        ("admin", 404, 404),
        ("admin under break-glass", 200, 403),
        ("other counsellor", 404, 404),
        ("other supervisor", 404, 404),
    ],
)
def test_who_may_read_and_change_consent_in_the_api(
    app, client, db, case, counsellor, supervisor, make_staff, who, read, change
):
    members = {
        "counsellor": counsellor,
        "supervisor": supervisor,
        "admin": make_staff(Role.ADMIN),
        "admin under break-glass": make_staff(Role.ADMIN),
        "other counsellor": make_staff(Role.COUNSELLOR),
        "other supervisor": make_staff(Role.SUPERVISOR),
    }
    open_break_glass(db, members["admin under break-glass"], case)
    api = ApiClient(client, issue_token(app, db, members[who]))
    path = f"/cases/{case.id}/score-consents"
    assert api.get(path).status_code == read
    body = {"partner_id": case.partners[0].id, "audience": REFERRER, "given_on": "2026-03-10"}
    assert api.post(path, body).status_code == change
    withdraw = {
        "partner_id": case.partners[0].id,
        "audience": REFERRER,
        "withdrawn_on": "2026-04-01",
    }
    assert api.post(f"{path}/withdraw", withdraw).status_code == (200 if change == 201 else change)
    assert len(consents(db)) == (1 if change == 201 else 0)
