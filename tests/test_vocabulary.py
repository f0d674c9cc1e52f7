"""Administrators keep the vocabulary of cycle moments: add, edit, retire; nobody else can."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select, update

from practice.models import AuditEvent, Moment, MomentType, Role
from practice.moments import vocabulary
from practice.moments.vocabulary import MomentTypeData, VocabularyError, slugify


def by_key(db, key: str) -> MomentType | None:
    return db.scalar(select(MomentType).where(MomentType.key == key))


def type_count(db) -> int:
    return db.scalar(select(func.count(MomentType.id)))


def new_type(**overrides) -> dict:
    data = {
        "label": "Reassurance sought",
        "description": "One partner asks whether they still matter.",
        "valence": "neutral",
        "colour": "#336699",
        "shortcut": "q",
    }
    data.update(overrides)
    return data


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN)


# --- Access ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.SUPERVISOR])
def test_only_admins_reach_the_vocabulary(client, auth, db, make_staff, role):
    softening = by_key(db, "softening")
    auth.login(make_staff(role))
    assert client.get("/admin/moment-types").status_code == 403
    assert client.get("/admin/moment-types/new").status_code == 403
    assert auth.post("/admin/moment-types/new", new_type()).status_code == 403
    assert client.get(f"/admin/moment-types/{softening.id}/edit").status_code == 403
    assert auth.post(f"/admin/moment-types/{softening.id}/retire").status_code == 403
    assert by_key(db, "softening").active is True
    assert type_count(db) == 26  # 22 seeded, and the four antidotes (migration 0021)


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/moment-types")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unknown_type_is_404(client, auth, admin):
    auth.login(admin)
    assert client.get("/admin/moment-types/999999/edit").status_code == 404
    assert auth.post("/admin/moment-types/999999/retire").status_code == 404


# --- The list ----------------------------------------------------------------------------------


def test_index_lists_every_type_grouped_by_valence(client, auth, db, admin):
    by_key(db, "contempt").active = False
    db.commit()
    auth.login(admin)
    page = client.get("/admin/moment-types").get_data(as_text=True)
    assert page.count("<tbody>") == 3
    assert page.index("Escalating</span>") < page.index("De-escalating</span>")
    assert page.index("De-escalating</span>") < page.index("Neutral</span>")
    assert page.count('<tr class="inactive">') == 1 and "Bring back" in page
    assert page.count("<kbd>") == 24  # every letter but z (undo) and j (break)
    assert 'fill="#1f6f5c"' in page and "<code>#1f6f5c</code>" in page
    assert 'aria-current="page"' in page and "Moment types" in page


# --- Add ---------------------------------------------------------------------------------------


def test_admin_adds_a_type_with_a_key_from_its_label(client, auth, db, admin):
    # The default vocabulary uses every free letter (the antidotes took q and v): free q.
    db.execute(update(MomentType).where(MomentType.shortcut == "q").values(shortcut=None))
    db.commit()
    auth.login(admin)
    page = client.get("/admin/moment-types/new").get_data(as_text=True)
    assert 'type="color"' in page

    response = auth.post("/admin/moment-types/new", new_type())

    assert response.status_code == 302
    created = by_key(db, "reassurance_sought")
    assert (created.label, created.valence, created.colour, created.shortcut) == (
        "Reassurance sought",
        "neutral",
        "#336699",
        "q",
    )
    assert created.active and created.position > by_key(db, "attachment_need").position
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "moment_type_created"))
    assert "Reassurance sought" in client.get("/admin/moment-types").get_data(as_text=True)


def test_keys_stay_unique(client, auth, db, admin):
    auth.login(admin)
    auth.post("/admin/moment-types/new", new_type(label="Softening!", shortcut=""))
    created = db.scalar(select(MomentType).where(MomentType.label == "Softening!"))
    assert created.key == "softening_2"
    assert created.shortcut is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"label": ""}, "Give the moment type a label."),
        ({"label": "x" * 61}, "Keep the label to 60 characters or fewer."),
        ({"label": "softening"}, "A moment type called “softening” already exists."),
        ({"description": "d" * 301}, "Keep the description to 300 characters or fewer."),
        ({"valence": "sideways"}, "Choose escalating, de-escalating or neutral."),
        ({"colour": "red"}, "Give the colour as #rrggbb"),
        ({"colour": "#12345"}, "Give the colour as #rrggbb"),
        ({"shortcut": "s"}, "The shortcut “s” is already used by “Softening”."),
        ({"shortcut": "z"}, "“z” is kept for undo in live mode"),
        ({"shortcut": "Q"}, "The shortcut must be one lowercase letter"),
        ({"shortcut": "1"}, "The shortcut must be one lowercase letter"),
        ({"shortcut": "qq"}, "The shortcut must be one lowercase letter"),
    ],
)
def test_bad_types_are_refused_with_the_form_kept(client, auth, db, admin, overrides, message):
    auth.login(admin)
    response = auth.post("/admin/moment-types/new", new_type(**overrides))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert type_count(db) == 26  # 22 seeded, and the four antidotes (migration 0021)
    assert "One partner asks whether they still matter." in page or "description" in overrides


def test_every_problem_with_a_type_is_shown_at_once(client, auth, db, admin):
    auth.login(admin)
    page = auth.post("/admin/moment-types/new", new_type(label="Softening", shortcut="p")).get_data(
        as_text=True
    )
    assert "already exists" in page and "already used by “Pursue / protest”" in page


# --- Edit --------------------------------------------------------------------------------------


def test_admin_edits_a_type_and_the_key_stays(client, auth, db, admin):
    softening = by_key(db, "softening")
    auth.login(admin)
    response = auth.post(
        f"/admin/moment-types/{softening.id}/edit",
        new_type(
            label="Softening (vulnerable)", valence="de-escalating", colour="#0B5345", shortcut="s"
        ),
    )
    assert response.status_code == 302
    edited = by_key(db, "softening")
    assert (edited.label, edited.colour, edited.shortcut) == (
        "Softening (vulnerable)",
        "#0b5345",
        "s",
    )
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "moment_type_updated"))
    assert set(event.detail["fields"]) == {"label", "description", "colour"}


def test_an_edit_cannot_take_another_active_types_shortcut(client, auth, db, admin):
    softening = by_key(db, "softening")
    auth.login(admin)
    response = auth.post(
        f"/admin/moment-types/{softening.id}/edit",
        new_type(label="Softening", valence="de-escalating", shortcut="p"),
    )
    assert "already used by “Pursue / protest”" in response.get_data(as_text=True)
    assert by_key(db, "softening").shortcut == "s"


# --- Retire ------------------------------------------------------------------------------------


def test_retiring_keeps_old_moments_visible(
    client, auth, db, admin, make_staff, make_case, make_session
):
    counsellor = make_staff(Role.COUNSELLOR)
    session = make_session(make_case(counsellor))
    contempt = by_key(db, "contempt")
    db.add(
        Moment(
            session_id=session.id, moment_type_id=contempt.id, minute=7, created_by_id=counsellor.id
        )
    )
    db.commit()
    auth.login(admin)

    response = auth.post(f"/admin/moment-types/{contempt.id}/retire")

    assert response.status_code == 302
    assert by_key(db, "contempt").active is False
    assert db.scalar(select(func.count(Moment.id)).where(Moment.moment_type_id == contempt.id))
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "moment_type_retired"))
    auth.logout()
    auth.login(counsellor)
    page = client.get(f"/sessions/{session.id}/moments").get_data(as_text=True)
    table = page.split('<table class="data moments"')[1].split("</table>")[0]
    assert "Contempt" in table and "(retired type)" in table
    form = page.split("Add a moment")[1]
    # No longer offered as a type (the moment itself may still be answered).
    assert not re.search(r">\s*Contempt\s*<", form) and "min 7 · Contempt · Both" in form
    live = client.get(f"/sessions/{session.id}/live").get_data(as_text=True)
    assert 'data-label="Contempt"' not in live and "min 7 · Contempt · Both" in live


def test_a_retired_types_shortcut_is_free_and_blocks_its_return(client, auth, db, admin):
    softening = by_key(db, "softening")
    auth.login(admin)
    auth.post(f"/admin/moment-types/{softening.id}/retire")
    response = auth.post("/admin/moment-types/new", new_type(shortcut="s"))
    assert response.status_code == 302
    assert by_key(db, "reassurance_sought").shortcut == "s"

    back = auth.post(f"/admin/moment-types/{softening.id}/retire", follow_redirects=True)

    assert "was not brought back" in back.get_data(as_text=True)
    assert by_key(db, "softening").active is False


def test_a_retired_type_comes_back(client, auth, db, admin):
    contempt = by_key(db, "contempt")
    auth.login(admin)
    auth.post(f"/admin/moment-types/{contempt.id}/retire")
    auth.post(f"/admin/moment-types/{contempt.id}/retire")
    assert by_key(db, "contempt").active is True
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "moment_type_reactivated"))


# --- Service rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Soft bid for connection", "soft_bid_for_connection"),
        ("  Naming   the cycle! ", "naming_the_cycle"),
        ("Épuisement / flooding", "epuisement_flooding"),
        ("???", ""),
    ],
)
def test_slugify(label, key):
    assert slugify(label) == key


def test_shortcuts_are_unique_among_active_types_only(app_context, db):
    data = MomentTypeData("New one", "", "neutral", "#123456", "w")
    with pytest.raises(VocabularyError) as refused:
        vocabulary.create_type(data)
    assert set(refused.value.fields) == {"shortcut"}
    vocabulary.set_active(by_key(db, "withdraw"), False)
    assert vocabulary.create_type(data).shortcut == "w"


def test_a_label_without_letters_gets_a_generic_key(app_context, db):
    assert vocabulary.create_type(MomentTypeData("???", "", "neutral", "#123456", None)).key == (
        "moment"
    )
