"""The cycle map's pure rules: milestones dated by revision, both sides of every threshold, and
the diff field by field. Hand-built revisions; the expected values are worked out in comments."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from practice.formulation import rules
from practice.formulation.rules import MomentFacts, RevisionFacts, SideFacts
from practice.reports.charts.cycle_map import MapColumn, cycle_map_svg, wrap

MAYA, TOM = 1, 2
PARTNERS = [MAYA, TOM]
DAY1 = datetime(2026, 3, 2, 15, tzinfo=UTC)


def day(n: int) -> datetime:
    """The start of the n-th weekly session (1 = DAY1)."""
    return DAY1 + timedelta(weeks=n - 1)


SURFACE = {"trigger": "t", "action": "a", "reactive_emotion": "r"}
UNDER = {"primary_emotion": "p", "need": "n"}


def side(partner: int, evidence=(), triggers=True, **values) -> SideFacts:
    return SideFacts(partner, values, triggers, tuple(evidence))


def rev(rid: int, session: int, *sides: SideFacts) -> RevisionFacts:
    return RevisionFacts(rid, 100 + session, day(session), {s.partner_id: s for s in sides})


def naming(partner: int | None, session: int) -> MomentFacts:
    return MomentFacts(partner, rules.NAMING_CYCLE, 100 + session, day(session))


def by_key(found, key, partner=None):
    return next(m for m in found if m.key == key and m.partner_id == partner)


# --- cycle mapped ----------------------------------------------------------------------------


def test_cycle_mapped_needs_trigger_action_and_reactive_emotion_of_both():
    both = rev(1, 1, side(MAYA, **SURFACE), side(TOM, **SURFACE))
    assert rules.cycle_mapped(both, PARTNERS)
    # Tom lacks his reactive emotion (blank after stripping): not yet.
    short = rev(2, 1, side(MAYA, **SURFACE), side(TOM, **{**SURFACE, "reactive_emotion": "  "}))
    assert not rules.cycle_mapped(short, PARTNERS)
    # Only Maya has a side at all: not yet.
    assert not rules.cycle_mapped(rev(3, 1, side(MAYA, **SURFACE)), PARTNERS)


def test_cycle_mapped_is_dated_by_the_first_revision_it_holds_at():
    # Revision 10 (session 1) misses Tom's action; revision 11 (session 3) completes it;
    # revision 12 (session 5) still holds. Reached at revision 11, session 3.
    found = rules.milestones(
        [
            rev(12, 5, side(MAYA, **SURFACE), side(TOM, **SURFACE)),
            rev(10, 1, side(MAYA, **SURFACE), side(TOM, trigger="t", reactive_emotion="r")),
            rev(11, 3, side(MAYA, **SURFACE), side(TOM, **SURFACE)),
        ],
        PARTNERS,
        [],
    )
    mapped = by_key(found, rules.CYCLE_MAPPED)
    assert (mapped.revision_id, mapped.session_id, mapped.starts_at) == (11, 103, day(3))


# --- primary emotions accessed -----------------------------------------------------------------


def test_primary_accessed_needs_emotion_need_and_an_evidence_moment_each():
    backed = ("underlying_fear",)
    ok = rev(1, 1, side(MAYA, backed, **UNDER), side(TOM, ("softening",), **UNDER))
    assert rules.primary_accessed(ok, PARTNERS)
    # Tom's only evidence is a pursue moment, not an evidence type: not backed.
    unbacked = rev(2, 1, side(MAYA, backed, **UNDER), side(TOM, ("pursue",), **UNDER))
    assert not rules.primary_accessed(unbacked, PARTNERS)
    # Maya has evidence but no need written: not yet.
    no_need = rev(3, 1, side(MAYA, backed, primary_emotion="p"), side(TOM, backed, **UNDER))
    assert not rules.primary_accessed(no_need, PARTNERS)


# --- misreading revised ------------------------------------------------------------------------


def _reading(partner: int, text: str) -> SideFacts:
    return side(partner, other_view=text, **SURFACE)


def test_misreading_revised_with_a_naming_moment_since_the_previous_revision():
    # Revision 1 at session 2, revision 2 at session 5. Maya's reading changes; her naming of the
    # cycle at session 4 lies in (session 2, session 5]: revised, dated session 5.
    first = rev(1, 2, _reading(MAYA, "His silence means he doesn't care"), _reading(TOM, "x"))
    later = rev(2, 5, _reading(MAYA, "His going quiet is him flooding"), _reading(TOM, "x"))
    found = rules.milestones([first, later], PARTNERS, [naming(MAYA, 4)])
    maya = by_key(found, rules.MISREADING_REVISED, MAYA)
    assert (maya.revision_id, maya.starts_at) == (2, day(5))
    # Tom's reading did not change: not revised, whatever moments there are.
    assert not by_key(found, rules.MISREADING_REVISED, TOM).reached


def test_the_naming_moment_must_fall_after_the_previous_revision_and_by_this_one():
    first = rev(1, 2, _reading(MAYA, "old"), _reading(TOM, "old"))
    later = rev(2, 5, _reading(MAYA, "new"), _reading(TOM, "new"))
    # At the previous revision's own session (2): not since it. Refused.
    assert not rules.misreading_revised(first, later, MAYA, [naming(MAYA, 2)])
    # After this revision's session (6): not yet. Refused.
    assert not rules.misreading_revised(first, later, MAYA, [naming(MAYA, 6)])
    # In this revision's session (5), and just after the previous one (3): both count.
    assert rules.misreading_revised(first, later, MAYA, [naming(MAYA, 5)])
    assert rules.misreading_revised(first, later, MAYA, [naming(MAYA, 3)])
    # The other partner's naming does not support Maya's revision; one tagged for both does.
    assert not rules.misreading_revised(first, later, MAYA, [naming(TOM, 4)])
    assert rules.misreading_revised(first, later, MAYA, [naming(None, 4)])
    # Another type of moment by Maya does not count.
    softening = MomentFacts(MAYA, "softening", 104, day(4))
    assert not rules.misreading_revised(first, later, MAYA, [softening])


def test_a_first_writing_of_the_reading_is_not_a_revision():
    # Revision 1 had no reading of the other (empty); revision 2 writes one: not a revision.
    first = rev(1, 1, _reading(MAYA, ""), _reading(TOM, ""))
    later = rev(2, 2, _reading(MAYA, "He is flooding"), _reading(TOM, ""))
    assert not rules.misreading_revised(first, later, MAYA, [naming(MAYA, 2)])
    # Only whitespace changed: the same reading, not a revision.
    same = rev(3, 3, _reading(MAYA, "  He is flooding "), _reading(TOM, ""))
    assert not rules.misreading_revised(later, same, MAYA, [naming(MAYA, 3)])


def test_seed_000_each_partner_misreads_the_other_and_both_readings_are_revised():
    """The seed's insight: withdrawal is overflow, reaching is desperation. Three revisions:
    session 1 maps the cycle, session 3 reaches underneath (each backed), session 6 revises both
    readings after the couple named the cycle together at session 5."""
    surface_m = {**SURFACE, "other_view": "His silence means he doesn't care"}
    surface_t = {**SURFACE, "other_view": "Her reaching is an accusation"}
    r1 = rev(1, 1, side(MAYA, **surface_m), side(TOM, **surface_t))
    r2 = rev(
        2,
        3,
        side(MAYA, ("attachment_need",), **surface_m, **UNDER),
        side(TOM, ("underlying_fear",), **surface_t, **UNDER),
    )
    r3 = rev(
        3,
        6,
        side(MAYA, ("attachment_need",), **{**surface_m, "other_view": "Overflow"}, **UNDER),
        side(TOM, ("underlying_fear",), **{**surface_t, "other_view": "Desperation"}, **UNDER),
    )
    found = rules.milestones([r1, r2, r3], PARTNERS, [naming(None, 5)])
    assert [(m.key, m.partner_id, m.revision_id) for m in found] == [
        (rules.CYCLE_MAPPED, None, 1),
        (rules.PRIMARY_ACCESSED, None, 2),
        (rules.MISREADING_REVISED, MAYA, 3),
        (rules.MISREADING_REVISED, TOM, 3),
    ]


# --- diff ----------------------------------------------------------------------------------------


def test_diff_lists_each_changed_field_per_partner_old_to_new():
    old = rev(1, 1, side(MAYA, other_view="doesn't care", **SURFACE), side(TOM, **SURFACE))
    new = rev(
        2,
        2,
        side(MAYA, other_view="flooding", **SURFACE),
        side(TOM, triggers=False, **{**SURFACE, "action": "asks for time"}),
    )
    changes = [(c.partner_id, c.name, c.old, c.new) for c in rules.diff(old, new, PARTNERS)]
    assert changes == [
        (MAYA, "other_view", "doesn't care", "flooding"),
        (TOM, "action", "a", "asks for time"),
        (TOM, rules.LINK, "yes", "no"),
    ]
    # Against nothing: every written field of the first revision, the default link left out.
    first = [(c.partner_id, c.name) for c in rules.diff(None, old, PARTNERS)]
    assert first == [
        (MAYA, "trigger"),
        (MAYA, "action"),
        (MAYA, "other_view"),
        (MAYA, "reactive_emotion"),
        (TOM, "trigger"),
        (TOM, "action"),
        (TOM, "reactive_emotion"),
    ]
    assert rules.diff(old, old, PARTNERS) == []


# --- the drawing ---------------------------------------------------------------------------------


def test_long_texts_wrap_and_end_in_an_ellipsis():
    # 13-unit text, 0.58 of it a character: 100 units hold int(100 / 7.54) = 13 characters.
    assert wrap("one two three four", 100) == ["one two three", "four"]
    long = wrap("word " * 40, 100)
    assert len(long) == 3 and long[-1].endswith("…")
    # A word longer than a line is cut with a hyphen rather than running over the edge.
    assert wrap("x" * 20, 100)[0] == "x" * 12 + "-"


def test_the_svg_names_itself_and_says_the_loop_in_words():
    svg = cycle_map_svg(
        [
            MapColumn("Maya", 0, {"trigger": "He goes quiet", "action": "Reaches"}),
            MapColumn("Tom", 1, {"trigger": "Raised voice"}, triggers_other=False),
        ],
        rules.LABELS,
        title="Cycle map of T-1",
        chart_id="t",
    )
    assert '<title id="t-title">Cycle map of T-1</title>' in svg
    assert 'aria-labelledby="t-title t-desc"' in svg and 'role="img"' in svg
    assert "Maya's action sets off Tom's trigger." in svg
    assert "Tom's action sets off" not in svg  # Tom's arrow is not drawn
    assert " style=" not in svg  # presentation attributes only: the page's CSP allows no style
    # One crossing arrow (line and head) plus two short arrows down each column.
    assert svg.count('class="cycle-map-arrow"') == 1 + 4
