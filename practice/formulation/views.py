"""The cycle map pages: the map with its revisions, a diff and the milestones; and the form
that writes one session's revision.

Thin: ``queries`` reads, ``operations`` writes and refuses (a signed session's revision is
read-only there, not only here), the request commits. Every read and change is audited.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from practice import audit
from practice.cases.models import Case
from practice.cases.scoping import can_edit, case_for_editor, case_for_viewer
from practice.core.database import db
from practice.core.errors import NotFound
from practice.core.i18n import _
from practice.formulation import operations, queries, rules
from practice.formulation.forms import CycleMapForm
from practice.formulation.models import CycleMapRevision
from practice.moments.models import Moment
from practice.sessions.models import NoteStatus, TherapySession
from practice.web import access
from practice.web.localisation import local_date
from practice.web.refusals import refusal_shown_on

bp = Blueprint("cycle_map", __name__)


def _chosen(case_map: queries.CaseMap, name: str) -> queries.RevisionView | None:
    raw = request.args.get(name, "")
    return case_map.by_id(int(raw)) if raw.isdigit() else None


def _draft_sessions(case: Case) -> list[TherapySession]:
    return list(
        db.scalars(
            select(TherapySession)
            .where(
                TherapySession.case_id == case.id,
                TherapySession.voided_at.is_(None),
                TherapySession.status != NoteStatus.SIGNED,
            )
            .order_by(TherapySession.starts_at)
        )
    )


@bp.route("/cases/<int:case_id>/cycle-map")
@access.staff
def show(case_id: int):
    """The map (the current revision, or ``?revision=``), the revisions, a diff between two
    chosen revisions (``?old=&new=``, by default the last two) and the milestones."""
    member = access.current_staff()
    case = case_for_viewer(member, case_id)
    case_map = queries.case_map(case)
    shown = _chosen(case_map, "revision") or case_map.current
    new = _chosen(case_map, "new") or case_map.current
    old = _chosen(case_map, "old")
    if old is None and new is not None and new.number > 1:
        old = case_map.revisions[new.number - 2]
    diff = queries.diff_rows(case_map, old, new) if new is not None else []
    audit.record(
        "cycle_map_viewed",
        obj=case,
        detail={"revision_id": shown.id if shown else None},
    )
    return render_template(
        "practice/formulation/cycle_map.html",
        case=case,
        case_map=case_map,
        shown=shown,
        svgs=queries.map_svgs(case_map, shown, "cycle-map"),
        old=old,
        new=new,
        diff=diff,
        can_edit=can_edit(member, case),
        draft_sessions=_draft_sessions(case) if can_edit(member, case) else [],
        rules=rules,
        mappable=queries.is_mappable(case),
    )


def _session_of(case: Case, session_id: int) -> TherapySession:
    therapy_session = db.get(TherapySession, session_id)
    if (
        therapy_session is None
        or therapy_session.case_id != case.id
        or therapy_session.voided_at is not None
    ):
        raise NotFound()
    return therapy_session


def _moment_label(moment: Moment) -> str:
    day = local_date(moment.therapy_session.starts_at)
    return f"{day}, minute {moment.minute}: {moment.moment_type.label}"


@bp.route("/cases/<int:case_id>/cycle-map/sessions/<int:session_id>", methods=["GET", "POST"])
@access.staff
def edit(case_id: int, session_id: int):
    """Write the session's revision: its own content if it has one, else the previous
    revision's to start from. Saving a signed session's revision is refused."""
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    therapy_session = _session_of(case, session_id)
    revision = operations.revision_of_session(therapy_session)
    source = revision or operations.previous_revision(case, therapy_session)
    partners = list(case.partners)
    locked = therapy_session.is_signed
    if request.method == "GET" or not queries.is_mappable(case):
        by_partner = {s.partner_id: s for s in source.sides} if source else {}
        form = CycleMapForm(
            formdata=None, data=CycleMapForm.prefill([by_partner.get(p.id) for p in partners])
        )
    else:
        form = CycleMapForm()
    form.set_evidence_choices(
        [
            operations.evidence_choices(case, p.id, therapy_session) if len(partners) == 2 else []
            for p in partners[:2]
        ]
        + [[]] * max(0, 2 - len(partners)),
        _moment_label,
    )
    if request.method == "POST" and form.validate():
        with refusal_shown_on(form):
            target = revision or operations.start_revision(case, therapy_session, actor=member)
            version = request.form.get("version", "")
            operations.save_revision(
                target,
                {
                    partners[0].id: form.first.form.side_data(),
                    partners[1].id: form.second.form.side_data(),
                },
                actor=member,
                version=int(version) if version.isdigit() and revision is not None else None,
            )
            flash(_("The cycle map revision was saved."), "success")
            return redirect(url_for(".show", case_id=case.id))
    audit.record(
        "cycle_map_form_viewed",
        obj=case,
        detail={"session_id": therapy_session.id, "revision_id": revision.id if revision else None},
    )
    return render_template(
        "practice/formulation/form.html",
        case=case,
        form=form,
        partners=partners,
        therapy_session=therapy_session,
        revision=revision,
        starts_from=None if revision else source,
        locked=locked,
        mappable=queries.is_mappable(case),
    )


def revision_for_viewer(revision_id: int) -> tuple[CycleMapRevision, Case]:
    """A revision and its case, if the current member may see the case (else NotFound)."""
    revision = db.get(CycleMapRevision, revision_id)
    if revision is None:
        raise NotFound()
    case = case_for_viewer(access.current_staff(), revision.case_id)
    return revision, case
