"""API: a case's breaks listed, recorded and corrected, with the pages' rules and scope."""

from __future__ import annotations

from tests.test_api_support import audit_actions

pytest_plugins = ["tests.test_api_support"]


def _break(partner_id: int, **overrides) -> dict:
    body = {
        "told_by_id": partner_id,
        "called_by_id": partner_id,
        "called_at": "2026-03-10T20:00:00Z",
        "with_script": True,
        "flooding": True,
        "resumed_at": "2026-03-10T20:30:00Z",
        "resumed_by_id": partner_id,
        "with_invitation": True,
        "outcome": "calmer",
    }
    return {**body, **overrides}


def test_record_list_and_correct(db, practice, api_as):
    api = api_as(practice.counsellor)
    alex, sam = practice.case.partners
    created = api.post(f"/cases/{practice.case.id}/breaks", _break(sam.id))
    assert created.status_code == 201
    episode = created.get_json()
    assert episode["classification"] == "protective"
    # Alex's account of the same break, an hour later and without a return: one episode.
    second = api.post(
        f"/cases/{practice.case.id}/breaks",
        _break(
            sam.id,
            told_by_id=alex.id,
            called_at="2026-03-10T21:00:00Z",
            resumed_at=None,
            resumed_by_id=None,
            with_invitation=False,
            outcome=None,
        ),
    ).get_json()
    assert second["id"] == episode["id"] and len(second["accounts"]) == 2
    assert "resumed_at" in second["differing"] and "called_at" in second["differing"]
    account = second["accounts"][0]
    fix = _break(sam.id, resumed_at="2026-03-10T20:05:00Z", version=account["version"])
    del fix["told_by_id"]
    corrected = api.put(f"/breaks/accounts/{account['id']}", fix)
    assert corrected.status_code == 200
    # Sam's account (the first reporting a return) is now an early return.
    assert corrected.get_json()["classification"] == "early"
    stale = api.put(f"/breaks/accounts/{account['id']}", fix)
    assert stale.status_code == 409
    listed = api.get(f"/cases/{practice.case.id}/breaks").get_json()
    assert listed["total"] == 1
    assert "api_breaks_read" in audit_actions(db)


def test_refusals_and_scope(db, practice, api_as):
    api = api_as(practice.counsellor)
    sam = practice.case.partners[1]
    early = api.post(
        f"/cases/{practice.case.id}/breaks", _break(sam.id, resumed_at="2026-03-10T19:00:00Z")
    )
    assert early.status_code == 409 and "resumed_at" in early.get_json()["error"]["fields"]
    stranger = practice.other_case.partners[0]
    other = api.post(f"/cases/{practice.case.id}/breaks", _break(stranger.id))
    assert other.status_code == 409
    outsider = api_as(practice.other)
    assert outsider.get(f"/cases/{practice.case.id}/breaks").status_code == 404
    supervisor = api_as(practice.supervisor)
    assert supervisor.get(f"/cases/{practice.case.id}/breaks").status_code == 200
    assert supervisor.post(f"/cases/{practice.case.id}/breaks", _break(sam.id)).status_code == 403
