"""Cases and partners: the list, opening, editing under a version, partners, status changes."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select, update

from practice.cases import eft, operations
from practice.cases.forms import STAGE_CHOICES
from practice.cases.operations import CaseEdit, CaseError, NewCase, PartnerDetails, VersionConflict
from practice.cases.queries import CaseListQuery, case_list, own_caseload
from practice.models import AuditEvent, Case, CaseStatus, Partner, Role
from practice.sessions.forms import EFT_STAGE_CHOICES

PAST = date.today() - timedelta(days=30)


# --- helpers --------------------------------------------------------------------------------


@pytest.fixture
def counsellor(make_staff):
    return make_staff(Role.COUNSELLOR)


def new_case_form(**overrides) -> dict:
    data = {
        "kind": "couple",
        "opened_on": PAST.isoformat(),
        "presenting_concerns": "Arguments about chores escalate quickly.",
        "goals": "Name the cycle together.",
        "eft_stage": "1",
        "partners-0-display_name": "Alex",
        "partners-0-pronouns": "she/her",
        "partners-0-cycle_role": "pursuer",
        "partners-1-display_name": "Sam",
        "partners-1-pronouns": "",
        "partners-1-cycle_role": "withdrawer",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def edit_form(case: Case, version: int | None = None, **overrides) -> dict:
    data = {
        "presenting_concerns": case.presenting_concerns,
        "goals": case.goals,
        "eft_stage": "" if case.eft_stage is None else str(case.eft_stage),
        "version": str(case.version if version is None else version),
    }
    for i, partner in enumerate(case.partners):
        data[f"partners-{i}-partner_id"] = str(partner.id)
        data[f"partners-{i}-display_name"] = partner.display_name
        data[f"partners-{i}-pronouns"] = partner.pronouns or ""
        data[f"partners-{i}-cycle_role"] = partner.cycle_role
    data.update(overrides)
    return data


def couple(**overrides) -> NewCase:
    values = {
        "kind": "couple",
        "opened_on": PAST,
        "presenting_concerns": "Concerns",
        "goals": "Goals",
        "eft_stage": None,
        "partners": [PartnerDetails("Alex", "she/her", "pursuer"), PartnerDetails("Sam")],
    }
    values.update(overrides)
    return NewCase(**values)


def case_count(db) -> int:
    return db.scalar(select(func.count(Case.id)))


def audit_events(db, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


@contextmanager
def counting_queries(db):
    statements: list[str] = []
    engine = db.get_bind().engine

    def count(_conn, _cursor, statement, *_args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


# --- EFT stages -----------------------------------------------------------------------------


def test_the_eft_stages_are_numbered_one_after_another():
    # The database's check constraint and the API's range both rely on it.
    assert [stage.number for stage in eft.STAGES] == list(range(eft.FIRST, eft.LAST + 1))
    assert f"eft_stage IS NULL OR eft_stage BETWEEN {eft.FIRST} AND {eft.LAST}" == eft.SQL_CHECK
    assert all(stage.name and stage.description for stage in eft.STAGES)


@pytest.mark.parametrize(
    ("value", "valid"), [(None, True), (1, True), (3, True), (0, False), (4, False), ("2", False)]
)
def test_an_eft_stage_is_one_of_the_stages_or_blank(value, valid):
    assert eft.is_stage(value) is (valid and value is not None)
    assert (eft.stage_problem(value) is None) is valid
    assert not eft.is_stage(True)  # a bool is no stage number, though Python counts it as 1


def test_eft_stages_are_named_once_for_every_place():
    assert eft.label(2) == "2: Restructuring the bond"
    assert eft.label(None) == eft.name(None) == "Not yet assessed"
    case_choices = {choice.value: choice.label for choice in STAGE_CHOICES if choice.value != ""}
    session_choices = {
        int(choice.value): choice.label for choice in EFT_STAGE_CHOICES if choice.value != ""
    }
    assert case_choices == session_choices == dict(eft.choices())


# --- references -----------------------------------------------------------------------------


def test_first_reference_is_c_0001(app_context, db, make_case, counsellor):
    make_case(counsellor, reference="T-0042")  # not a C- reference: ignored
    assert operations.next_reference() == "C-0001"


def test_next_reference_follows_the_highest_number(app_context, db, make_case, counsellor):
    for reference in ("C-0009", "C-0010", "C-0002", "C-extra"):
        make_case(counsellor, reference=reference)
    assert operations.next_reference() == "C-0011"
    assert operations.next_reference(after="C-0020") == "C-0021"


def test_reference_past_9999_is_ranked_by_number(app_context, db, make_case, counsellor):
    make_case(counsellor, reference="C-9999")
    make_case(counsellor, reference="C-10000")
    assert operations.next_reference() == "C-10001"


def test_a_taken_reference_is_retried_with_the_next(
    app_context, db, make_case, counsellor, monkeypatch
):
    make_case(counsellor, reference="C-0001")
    # As when another creator's row is not yet visible: the highest seen is still 0.
    monkeypatch.setattr(operations, "_highest_reference_number", lambda: 0)
    case = operations.open_case(counsellor, couple())
    assert case.reference == "C-0002"
    assert db.scalar(select(func.count(Case.id)).where(Case.reference == "C-0002")) == 1


def test_open_case_gives_up_after_a_few_taken_references(
    app_context, db, make_case, counsellor, monkeypatch
):
    make_case(counsellor, reference="C-0001")
    before = case_count(db)
    monkeypatch.setattr(operations, "next_reference", lambda after=None: "C-0001")
    with pytest.raises(CaseError, match="No free case reference"):
        operations.open_case(counsellor, couple())
    assert case_count(db) == before


# --- opening a case (operations) -------------------------------------------------------------


def test_open_case_stores_the_case_and_its_partners(app_context, db, counsellor):
    # Stage 2 from the start: a case taken over mid-therapy, so its reason is given (eft gates).
    case = operations.open_case(counsellor, couple(eft_stage=2, stage_reason="Transferred in."))
    db.expire_all()
    stored = db.get(Case, case.id)
    assert stored.counsellor_id == counsellor.id
    assert stored.status == CaseStatus.ACTIVE
    assert stored.eft_stage == 2
    assert [(p.display_name, p.pronouns, p.cycle_role, p.position) for p in stored.partners] == [
        ("Alex", "she/her", "pursuer", 0),
        ("Sam", None, "unclear", 1),
    ]
    (created,) = audit_events(db, "case_created")
    assert created.object_id == str(case.id)
    assert created.detail == {"reference": case.reference, "kind": "couple", "partners": 2}


@pytest.mark.parametrize(
    ("kind", "count", "allowed"),
    [
        ("couple", 1, False),
        ("couple", 2, True),
        ("couple", 3, False),
        ("individual", 1, True),
        ("individual", 2, False),
        ("family", 1, False),
        ("family", 2, True),
        ("family", 6, True),
        ("family", 7, False),
    ],
)
def test_partner_count_must_fit_the_kind(app_context, db, counsellor, kind, count, allowed):
    data = couple(kind=kind, partners=[PartnerDetails(f"P{i}") for i in range(count)])
    if allowed:
        assert len(operations.open_case(counsellor, data).partners) == count
    else:
        with pytest.raises(CaseError):
            operations.open_case(counsellor, data)
        assert case_count(db) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"opened_on": operations.latest_opening_date() + timedelta(days=1)}, "future"),
        ({"presenting_concerns": "x" * 5001}, "5,000"),
        ({"goals": "x" * 5001}, "5,000"),
        ({"eft_stage": 4}, "EFT stage"),
        ({"kind": "group"}, "kind"),
        ({"partners": [PartnerDetails("  "), PartnerDetails("Sam")]}, "first name"),
        ({"partners": [PartnerDetails("A" * 61), PartnerDetails("Sam")]}, "60"),
        ({"partners": [PartnerDetails("Al", "p" * 31), PartnerDetails("Sam")]}, "Pronouns"),
        ({"partners": [PartnerDetails("Al", None, "avoider"), PartnerDetails("Sam")]}, "role"),
    ],
)
def test_open_case_refuses_invalid_data(app_context, db, counsellor, change, message):
    with pytest.raises(CaseError, match=message):
        operations.open_case(counsellor, couple(**change))
    assert case_count(db) == 0


def test_a_case_may_open_on_the_latest_date_anywhere(app_context, db, counsellor):
    latest = operations.latest_opening_date()
    assert latest >= operations.today()
    assert operations.open_case(counsellor, couple(opened_on=latest)).opened_on == latest


def test_admin_cannot_open_a_case(app_context, db, make_staff):
    with pytest.raises(CaseError, match="Only counsellors and supervisors"):
        operations.open_case(make_staff(Role.ADMIN), couple())


# --- editing (operations) --------------------------------------------------------------------


def test_update_case_saves_and_audits_field_names_only(app_context, db, make_case, counsellor):
    case = make_case(counsellor, goals="Old goals")
    alex = case.partners[0]
    version = case.version
    edit = CaseEdit(
        presenting_concerns="",
        goals="Secret new goals",
        eft_stage=2,
        partners={alex.id: PartnerDetails("Alexa", "she/her", "pursuer")},
        stage_reason="De-escalated before the events were recorded.",
    )
    changed = operations.update_case(case, edit, version)
    assert set(changed) == {
        "goals",
        "eft_stage",
        f"partner:{alex.id}:display_name",
        f"partner:{alex.id}:pronouns",
    }
    db.expire_all()
    stored = db.get(Case, case.id)
    assert (stored.goals, stored.eft_stage, stored.partners[0].display_name) == (
        "Secret new goals",
        2,
        "Alexa",
    )
    assert stored.partners[1].display_name == "Sam"
    assert stored.version == version + 1
    (updated,) = audit_events(db, "case_updated")
    assert "Secret" not in str(updated.detail) and "Alexa" not in str(updated.detail)


def test_changing_only_a_partner_moves_the_version_on(app_context, db, make_case, counsellor):
    case = make_case(counsellor)
    alex = case.partners[0]
    version = case.version
    edit = operations.editable_values(case)
    edit.partners[alex.id] = PartnerDetails("Al", None, "mixed")
    operations.update_case(case, edit, version)
    assert case.version == version + 1


def test_an_unchanged_edit_changes_nothing(app_context, db, make_case, counsellor):
    case = make_case(counsellor)
    version = case.version
    assert operations.update_case(case, operations.editable_values(case), version) == []
    assert case.version == version
    assert audit_events(db, "case_updated") == []


def test_stale_version_is_refused_with_the_saved_values(app_context, db, make_case, counsellor):
    case = make_case(counsellor, goals="Saved goals")
    stale = case.version - 1 if case.version > 1 else case.version + 5
    edit = CaseEdit("", "My goals", None)
    with pytest.raises(VersionConflict) as caught:
        operations.update_case(case, edit, stale)
    assert caught.value.saved.goals == "Saved goals"
    assert caught.value.current_version == case.version
    assert case.goals == "Saved goals"


def test_a_save_landing_in_between_is_a_conflict(app_context, db, make_case, counsellor):
    case = make_case(counsellor, goals="Before")
    loaded_version = case.version
    # Someone else's save after this case was loaded: the row moved on, our copy did not.
    db.execute(
        update(Case.__table__)
        .where(Case.__table__.c.id == case.id)
        .values(goals="Theirs", version=loaded_version + 1)
    )
    with pytest.raises(VersionConflict) as caught:
        operations.update_case(case, CaseEdit("", "Mine", None), loaded_version)
    assert caught.value.saved.goals == "Theirs"
    assert caught.value.current_version == loaded_version + 1
    db.expire_all()
    assert db.get(Case, case.id).goals == "Theirs"
    assert audit_events(db, "case_updated") == []


def test_a_partner_of_another_case_cannot_be_edited(app_context, db, make_case, counsellor):
    case = make_case(counsellor)
    other = make_case(counsellor, partners=("Kim", "Lee"))
    edit = operations.editable_values(case)
    edit.partners[other.partners[0].id] = PartnerDetails("Hijack")
    with pytest.raises(CaseError, match="does not belong"):
        operations.update_case(case, edit, case.version)
    db.expire_all()
    assert db.get(Partner, other.partners[0].id).display_name == "Kim"


def test_differences_list_only_changed_fields():
    saved = CaseEdit("C", "G", 1, {5: PartnerDetails("Alex", None, "pursuer")})
    mine = CaseEdit("C", "G2", 2, {5: PartnerDetails("Alex", "she/her", "pursuer")})
    assert operations.differences(saved, mine) == [
        ("Goals", "G", "G2"),
        ("EFT stage", "1: De-escalation", "2: Restructuring the bond"),
        ("Person 1: pronouns", "", "she/her"),
    ]
    mine.partners[5] = PartnerDetails("Alex", None, "withdrawer")
    assert operations.differences(saved, mine)[-1] == (
        "Person 1: cycle role",
        "Pursuer",
        "Withdrawer",
    )


# --- partners and status (operations) --------------------------------------------------------


def test_family_takes_up_to_six_people(app_context, db, make_case, counsellor):
    case = make_case(counsellor, kind="family", partners=("A", "B", "C", "D", "E"))
    partner = operations.add_partner(case, PartnerDetails("F", "they/them", "mixed"))
    assert partner.position == 5
    assert audit_events(db, "partner_added")[0].detail == {"partner_id": partner.id}
    with pytest.raises(CaseError, match="at most 6"):
        operations.add_partner(case, PartnerDetails("G"))


@pytest.mark.parametrize(("kind", "names"), [("couple", ("A", "B")), ("individual", ("A",))])
def test_couples_and_individuals_take_nobody_more(
    app_context, db, make_case, counsellor, kind, names
):
    case = make_case(counsellor, kind=kind, partners=names)
    with pytest.raises(CaseError):
        operations.add_partner(case, PartnerDetails("Extra"))
    assert len(case.partners) == len(names)


@pytest.mark.parametrize(
    ("start", "action", "end"),
    [
        ("active", "pause", "paused"),
        ("active", "close", "closed"),
        ("paused", "close", "closed"),
        ("paused", "reopen", "active"),
        ("closed", "reopen", "active"),
    ],
)
def test_legal_status_changes(app_context, db, make_case, counsellor, start, action, end):
    closed_on = date(2026, 2, 1) if start == "closed" else None
    case = make_case(counsellor, status=start, closed_on=closed_on)
    operations.change_status(case, action, "  Moving abroad for work  ")
    assert case.status == end
    assert case.status_reason == "Moving abroad for work"
    if end == "closed":
        assert case.closed_on == operations.utcnow().date()
    if end == "active":
        assert case.closed_on is None
    (changed,) = audit_events(db, "case_status_changed")
    assert changed.detail == {"from": start, "to": end}


@pytest.mark.parametrize(
    ("start", "action"),
    [
        ("active", "reopen"),
        ("paused", "pause"),
        ("closed", "pause"),
        ("closed", "close"),
        ("active", "delete"),
    ],
)
def test_illegal_status_changes_are_refused(app_context, db, make_case, counsellor, start, action):
    case = make_case(counsellor, status=start)
    with pytest.raises(CaseError):
        operations.change_status(case, action, "A reason")
    assert case.status == start
    assert audit_events(db, "case_status_changed") == []


@pytest.mark.parametrize("reason", ["", "   ", "x" * 501])
def test_a_status_change_needs_a_short_reason(app_context, db, make_case, counsellor, reason):
    case = make_case(counsellor)
    with pytest.raises(CaseError, match="reason"):
        operations.change_status(case, "pause", reason)
    assert case.status == "active"


# --- the lists ------------------------------------------------------------------------------


def test_own_caseload_lists_active_cases_first(app_context, db, make_case, counsellor):
    make_case(counsellor, reference="C-0001", status="closed")
    make_case(counsellor, reference="C-0002", status="paused")
    make_case(counsellor, reference="C-0003", status="active")
    assert [r.reference for r in own_caseload(counsellor)] == ["C-0003", "C-0002", "C-0001"]


def test_case_list_searches_filters_and_sorts(app_context, db, make_case, make_session, counsellor):
    make_case(counsellor, reference="C-0101")
    busy = make_case(counsellor, reference="C-0102")
    make_case(counsellor, reference="C-0201", status="closed")
    make_session(busy)
    make_session(busy)

    def refs(**kw):
        return [r.reference for r in case_list(counsellor, CaseListQuery(**kw)).items]

    assert refs() == ["C-0101", "C-0102"]
    assert refs(status="all") == ["C-0101", "C-0102", "C-0201"]
    assert refs(status="closed") == ["C-0201"]
    assert refs(status="all", q="c-02") == ["C-0201"]
    assert refs(status="all", q="%") == []  # a literal percent sign, not a wildcard
    assert refs(sort="sessions", descending=True) == ["C-0102", "C-0101"]
    row = case_list(counsellor, CaseListQuery(q="0102")).items[0]
    assert (row.session_count, row.counsellor) == (2, counsellor.display_name)


def test_case_list_pages_by_fifty(app_context, db, counsellor):
    db.add_all(
        Case(reference=f"C-{n:04d}", counsellor=counsellor, opened_on=PAST) for n in range(1, 53)
    )
    db.commit()
    first = case_list(counsellor, CaseListQuery())
    last = case_list(counsellor, CaseListQuery(page=99))
    assert (first.total, first.pages, len(first.items)) == (52, 2, 50)
    assert (last.page, [r.reference for r in last.items]) == (2, ["C-0051", "C-0052"])


# --- routes: access -------------------------------------------------------------------------

CASE_ROUTES = [
    "/cases/{id}/edit",
    "/cases/{id}/partners/new",
    "/cases/{id}/status",
]


@pytest.mark.parametrize("path", ["/cases", "/cases/new", *CASE_ROUTES])
def test_anonymous_is_sent_to_login(client, make_case, counsellor, path):
    case = make_case(counsellor)
    response = client.get(path.format(id=case.id))
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", CASE_ROUTES)
def test_another_counsellor_gets_404(client, auth, make_staff, make_case, counsellor, path):
    case = make_case(counsellor)
    auth.login(make_staff(Role.COUNSELLOR))
    assert client.get(path.format(id=case.id)).status_code == 404
    assert auth.post(path.format(id=case.id), {"reason": "x"}).status_code == 404


@pytest.mark.parametrize("path", CASE_ROUTES)
def test_supervisor_of_the_owner_may_not_change_the_case(
    client, auth, make_staff, make_case, db, path
):
    supervisor = make_staff(Role.SUPERVISOR)
    owner = make_staff(Role.COUNSELLOR, supervisor=supervisor)
    case = make_case(owner, goals="Kept")
    auth.login(supervisor)
    assert client.get(path.format(id=case.id)).status_code == 403
    response = auth.post(path.format(id=case.id), edit_form(case, goals="Changed"))
    assert response.status_code == 403
    db.expire_all()
    assert db.get(Case, case.id).goals == "Kept"


def test_supervisor_reads_the_list_with_their_supervisees_cases(
    client, auth, make_staff, make_case
):
    supervisor = make_staff(Role.SUPERVISOR)
    owner = make_staff(Role.COUNSELLOR, supervisor=supervisor, display_name="Robin Owner")
    make_case(owner, reference="C-0300")
    make_case(make_staff(Role.COUNSELLOR), reference="C-0400")
    auth.login(supervisor)
    response = client.get("/cases")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "C-0300" in page and "Robin Owner" in page
    assert "C-0400" not in page
    assert "Counsellor" in page


# --- routes: the list -----------------------------------------------------------------------


def test_case_list_shows_references_never_names(client, auth, make_case, counsellor):
    make_case(counsellor, reference="C-0500", partners=("Zebedee", "Quillon"))
    make_case(counsellor, reference="C-0501", status="closed")
    auth.login(counsellor)
    page = client.get("/cases").get_data(as_text=True)
    assert "C-0500" in page
    assert "C-0501" not in page  # closed cases are not in the default (active) view
    assert "Zebedee" not in page and "Quillon" not in page
    assert ">Counsellor<" not in page  # a counsellor's list is their own


def test_case_list_search_and_status_filter(client, auth, make_case, counsellor):
    make_case(counsellor, reference="C-0601")
    make_case(counsellor, reference="C-0702", status="paused")
    auth.login(counsellor)
    page = client.get("/cases?q=c-07&status=all").get_data(as_text=True)
    assert "C-0702" in page and "C-0601" not in page
    page = client.get("/cases?status=paused").get_data(as_text=True)
    assert "C-0702" in page and "C-0601" not in page


@pytest.mark.parametrize(
    "query", ["?status=bogus", "?page=abc", "?page=-1", "?page=99999999999999", "?sort=;drop"]
)
def test_bad_list_parameters_fall_back_to_defaults(client, auth, make_case, counsellor, query):
    make_case(counsellor, reference="C-0801")
    auth.login(counsellor)
    response = client.get("/cases" + query)
    assert response.status_code == 200
    assert "C-0801" in response.get_data(as_text=True)


def test_empty_list_says_so(client, auth, counsellor):
    auth.login(counsellor)
    assert "No active cases" in client.get("/cases").get_data(as_text=True)
    assert "no cases you can see" in client.get("/cases?status=all").get_data(as_text=True)


def test_case_list_takes_the_same_queries_for_many_cases(
    client, auth, db, make_case, make_session, counsellor
):
    auth.login(counsellor)
    make_session(make_case(counsellor))
    with counting_queries(db) as few:
        assert client.get("/cases").status_code == 200
    for _ in range(6):
        make_session(make_case(counsellor))
    with counting_queries(db) as many:
        assert client.get("/cases").status_code == 200
    assert len(many) == len(few)


def test_home_offers_new_case_to_counsellors_only(client, auth, make_staff, make_case, counsellor):
    make_case(counsellor, reference="C-0901", status="closed")
    make_case(counsellor, reference="C-0902")
    auth.login(counsellor)
    page = client.get("/").get_data(as_text=True)
    assert 'href="/cases/new"' in page
    assert page.index("C-0902") < page.index("C-0901")  # active first
    auth.logout()
    auth.login(make_staff(Role.ADMIN))
    assert 'href="/cases/new"' not in client.get("/").get_data(as_text=True)


# --- routes: opening a case -----------------------------------------------------------------


def test_new_case_form_has_rows_for_the_kind(client, auth, counsellor):
    auth.login(counsellor)
    page = client.get("/cases/new").get_data(as_text=True)
    assert 'name="partners-1-display_name"' in page
    assert 'name="partners-2-display_name"' not in page
    page = client.get("/cases/new?kind=individual").get_data(as_text=True)
    assert 'name="partners-1-display_name"' not in page
    assert "De-escalation" in page and "Restructuring the bond" in page
    assert f'value="{operations.today().isoformat()}"' in page
    # The row JavaScript copies for a new person is named like the rows the form reads.
    assert 'name="partners-__index__-display_name"' in page


def test_counsellor_opens_a_case(client, auth, db, counsellor):
    auth.login(counsellor)
    response = auth.post("/cases/new", new_case_form())
    assert response.status_code == 302
    case = db.scalar(select(Case).where(Case.counsellor_id == counsellor.id))
    assert response.headers["Location"].endswith(f"/cases/{case.id}")
    assert case.reference == "C-0001"
    assert case.eft_stage == 1
    assert [p.display_name for p in case.partners] == ["Alex", "Sam"]
    (created,) = audit_events(db, "case_created")
    assert created.actor_id == counsellor.id


def test_supervisor_opens_a_case_for_their_own_caseload(client, auth, db, make_staff):
    supervisor = make_staff(Role.SUPERVISOR)
    auth.login(supervisor)
    assert auth.post("/cases/new", new_case_form()).status_code == 302
    assert db.scalar(select(Case.counsellor_id)) == supervisor.id


def test_admin_may_not_open_a_case(client, auth, db, make_staff):
    auth.login(make_staff(Role.ADMIN))
    assert client.get("/cases/new").status_code == 403
    assert auth.post("/cases/new", new_case_form()).status_code == 403
    assert case_count(db) == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"partners-1-display_name": "  "}, "Enter a first name or initials."),
        (
            {
                "partners-1-display_name": None,
                "partners-1-pronouns": None,
                "partners-1-cycle_role": None,
            },
            "A couple case has exactly two partners.",
        ),
        (
            {"opened_on": (operations.latest_opening_date() + timedelta(days=2)).isoformat()},
            "The opening date cannot be in the future.",
        ),
        ({"opened_on": "not a date"}, "Not a valid date value."),
        ({"presenting_concerns": "y" * 5001}, "Keep this to 5,000 characters."),
        ({"eft_stage": "7"}, "Not a valid choice."),
        ({"kind": "individual"}, "An individual case has exactly one person."),
    ],
)
def test_invalid_new_case_is_refused_with_the_form_refilled(
    client, auth, db, counsellor, change, message
):
    auth.login(counsellor)
    response = auth.post("/cases/new", new_case_form(goals="Typed goals stay", **change))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert "Typed goals stay" in page
    assert case_count(db) == 0


def test_family_rows_are_added_without_javascript(client, auth, db, counsellor):
    auth.login(counsellor)
    response = auth.post("/cases/new", new_case_form(kind="family", rows="add"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="partners-2-display_name"' in page
    assert 'value="Alex"' in page
    assert case_count(db) == 0
    data = new_case_form(kind="family")
    data.update({"partners-2-display_name": "Jo", "partners-2-cycle_role": "unclear"})
    assert auth.post("/cases/new", data).status_code == 302
    assert db.scalar(select(func.count(Partner.id))) == 3


# --- routes: editing ------------------------------------------------------------------------


def test_edit_page_shows_the_case_and_audits_the_read(client, auth, db, make_case, counsellor):
    case = make_case(counsellor, presenting_concerns="Silent weekends")
    auth.login(counsellor)
    page = client.get(f"/cases/{case.id}/edit").get_data(as_text=True)
    assert "Silent weekends" in page and 'value="Alex"' in page
    assert f'name="version" type="hidden" value="{case.version}"' in page
    (viewed,) = audit_events(db, "case_viewed")
    assert viewed.detail == {"view": "edit"}


def test_counsellor_edits_a_case(client, auth, db, make_case, counsellor):
    case = make_case(counsellor)
    auth.login(counsellor)
    form = edit_form(
        case, goals="Soften the start-up", eft_stage="2", stage_reason="Seen at intake."
    )
    form["partners-1-cycle_role"] = "mixed"
    response = auth.post(f"/cases/{case.id}/edit", form)
    assert response.status_code == 302
    db.expire_all()
    stored = db.get(Case, case.id)
    assert (stored.goals, stored.eft_stage, stored.partners[1].cycle_role) == (
        "Soften the start-up",
        2,
        "mixed",
    )
    (updated,) = audit_events(db, "case_updated")
    assert set(updated.detail["fields"]) == {
        "goals",
        "eft_stage",
        f"partner:{case.partners[1].id}:cycle_role",
    }


def test_stale_edit_shows_both_versions_and_changes_nothing(
    client, auth, db, make_case, counsellor
):
    case = make_case(counsellor, goals="Goals saved by the other tab")
    auth.login(counsellor)
    stale = edit_form(case)
    # The other tab saves first.
    assert (
        auth.post(f"/cases/{case.id}/edit", edit_form(case, goals="Newer goals")).status_code == 302
    )
    db.expire_all()
    current_version = db.get(Case, case.id).version
    stale["goals"] = "My own goals typed here"
    response = auth.post(f"/cases/{case.id}/edit", stale)
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Someone saved this case after you opened it" in page
    assert "Newer goals" in page  # saved value shown
    assert "My own goals typed here" in page  # the user's input kept
    assert f'name="version" type="hidden" value="{current_version}"' in page
    db.expire_all()
    assert db.get(Case, case.id).goals == "Newer goals"
    # Saving again after seeing the conflict replaces the saved values on purpose.
    stale["version"] = str(current_version)
    assert auth.post(f"/cases/{case.id}/edit", stale).status_code == 302
    db.expire_all()
    assert db.get(Case, case.id).goals == "My own goals typed here"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("partners-0-display_name", "", "Enter a first name or initials."),
        ("goals", "z" * 5001, "Keep this to 5,000 characters."),
        ("partners-0-partner_id", "999999", "does not belong to this case"),
    ],
)
def test_invalid_edit_is_refused(client, auth, db, make_case, counsellor, field, value, message):
    case = make_case(counsellor, goals="Unchanged")
    auth.login(counsellor)
    response = auth.post(f"/cases/{case.id}/edit", edit_form(case, **{field: value}))
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db.expire_all()
    stored = db.get(Case, case.id)
    assert stored.goals == "Unchanged" and stored.partners[0].display_name == "Alex"


def test_an_edit_without_its_version_is_refused(client, auth, db, make_case, counsellor):
    case = make_case(counsellor, goals="Unchanged")
    auth.login(counsellor)
    form = edit_form(case, goals="Sneaked in")
    del form["version"]
    response = auth.post(f"/cases/{case.id}/edit", form)
    assert response.status_code == 200
    assert "does not say which version" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Case, case.id).goals == "Unchanged"


# --- routes: partners -----------------------------------------------------------------------


def test_counsellor_adds_a_person_to_a_family(client, auth, db, make_case, counsellor):
    case = make_case(counsellor, kind="family", partners=("Ana", "Ben"))
    auth.login(counsellor)
    assert client.get(f"/cases/{case.id}/partners/new").status_code == 200
    response = auth.post(
        f"/cases/{case.id}/partners/new",
        {"display_name": "Cy", "pronouns": "he/him", "cycle_role": "withdrawer"},
    )
    assert response.status_code == 302
    db.expire_all()
    assert [p.display_name for p in db.get(Case, case.id).partners] == ["Ana", "Ben", "Cy"]


def test_a_third_partner_on_a_couple_is_refused(client, auth, db, make_case, counsellor):
    case = make_case(counsellor)
    auth.login(counsellor)
    assert "has its two partners already" in client.get(f"/cases/{case.id}/partners/new").get_data(
        as_text=True
    )
    response = auth.post(
        f"/cases/{case.id}/partners/new", {"display_name": "Third", "cycle_role": "unclear"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A couple case already has its two partners." in page
    assert 'value="Third"' in page
    assert db.scalar(select(func.count(Partner.id)).where(Partner.case_id == case.id)) == 2


# --- routes: status -------------------------------------------------------------------------


def test_counsellor_closes_then_reopens_a_case(client, auth, db, make_case, counsellor):
    case = make_case(counsellor)
    auth.login(counsellor)
    page = client.get(f"/cases/{case.id}/status").get_data(as_text=True)
    assert "Pause the case" in page and "Reopen the case" not in page
    response = auth.post(f"/cases/{case.id}/status", {"action": "close", "reason": "Goals met"})
    assert response.status_code == 302
    db.expire_all()
    stored = db.get(Case, case.id)
    assert (stored.status, stored.status_reason) == ("closed", "Goals met")
    assert stored.closed_on is not None
    event_ = audit_events(db, "case_status_changed")[0]
    assert "Goals met" not in str(event_.detail)
    auth.post(f"/cases/{case.id}/status", {"action": "reopen", "reason": "Came back"})
    db.expire_all()
    assert (db.get(Case, case.id).status, db.get(Case, case.id).closed_on) == ("active", None)


def test_illegal_status_change_is_refused_with_a_message(client, auth, db, make_case, counsellor):
    case = make_case(counsellor, status="closed", closed_on=PAST)
    auth.login(counsellor)
    response = auth.post(f"/cases/{case.id}/status", {"action": "pause", "reason": "Holiday"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This case is closed; it cannot be paused." in page
    assert "Holiday" in page
    db.expire_all()
    assert db.get(Case, case.id).status == "closed"


def test_status_change_needs_a_reason(client, auth, db, make_case, counsellor):
    case = make_case(counsellor)
    auth.login(counsellor)
    response = auth.post(f"/cases/{case.id}/status", {"action": "pause", "reason": "  "})
    assert response.status_code == 200
    assert "Give a reason for the change." in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Case, case.id).status == "active"
    assert audit_events(db, "case_status_changed") == []


def test_reading_a_case_list_is_audited_with_its_size_only(client, auth, db, case, counsellor):
    auth.login(counsellor)
    assert client.get("/").status_code == 200
    assert client.get("/cases?status=all").status_code == 200
    events = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(("caseload_listed", "cases_listed")))
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.actor_id) for e in events] == [
        ("caseload_listed", counsellor.id),
        ("cases_listed", counsellor.id),
    ]
    assert events[0].detail == {"cases": 1, "shown": 1, "searched": False}
    assert events[1].detail == {"cases": 1, "page": 1, "status": "all"}
