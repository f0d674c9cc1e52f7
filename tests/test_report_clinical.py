"""The clinical record prints every addendum in full, in order, with its author and local time,
and leaves out a narrative section with nothing in it (no empty headings)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from practice.models import Addendum, Role
from practice.reports.progress_report import build_report_html, report_context
from tests.report_text import build_case, report_words

START, END = date(2026, 1, 5), date(2026, 3, 31)


@pytest.fixture
def case_with_addenda(db, counsellor, make_staff):
    case = build_case(db, counsellor, reference="A-0001", sessions=3)
    colleague = make_staff(Role.COUNSELLOR, display_name="Dana Reyes")
    first, second, _third = case.sessions
    # Added out of order: the report lists them by time. 20 Jan 17:00 UTC is 18:00 in Berlin
    # (CET, UTC+1); 1 Jul 12:30 UTC is 14:30 there (CEST, UTC+2).
    db.add_all(
        [
            Addendum(
                therapy_session=first,
                author_id=colleague.id,
                created_at=datetime(2026, 7, 1, 12, 30, tzinfo=UTC),
                text="Second addendum.\n\nIt has two paragraphs.",
            ),
            Addendum(
                therapy_session=first,
                author_id=counsellor.id,
                created_at=datetime(2026, 1, 20, 17, 0, tzinfo=UTC),
                text="First addendum: the date of the move was 3 March.",
            ),
            Addendum(
                therapy_session=second,
                author_id=counsellor.id,
                created_at=datetime(2026, 1, 21, 9, 0, tzinfo=UTC),
                text="Another session's addendum.",
            ),
        ]
    )
    db.commit()
    return case


def clinical(app, case, narrative: str = "") -> tuple[dict, str]:
    with app.app_context():
        context = report_context(case, START, END, "clinical", narrative, case.counsellor)
        return context, build_report_html(context)


def test_addenda_print_in_full_in_order_with_author_and_local_time(
    app, case_with_addenda, counsellor, monkeypatch
):
    monkeypatch.setitem(app.config, "PRACTICE_TIMEZONE", "Europe/Berlin")
    context, page = clinical(app, case_with_addenda)
    text = report_words(page)
    first = f"Addendum by {counsellor.display_name}, 20 Jan 2026 at 18:00 CET"
    second = "Addendum by Dana Reyes, 01 Jul 2026 at 14:30 CEST"
    assert first in text and second in text
    assert text.index(first) < text.index("First addendum: the date of the move was 3 March.")
    assert text.index("First addendum") < text.index(second) < text.index("It has two paragraphs.")
    assert "Another session's addendum." in text
    assert "not shown" not in text
    assert "(signed; 2 addenda)" in text or "(draft; 2 addenda)" in text
    assert [len(row["addenda"]) for row in context["sessions"]] == [2, 1, 0]


def test_times_are_utc_without_a_practice_time_zone(app, case_with_addenda, counsellor):
    _context, page = clinical(app, case_with_addenda)
    assert f"Addendum by {counsellor.display_name}, 20 Jan 2026 at 17:00 UTC" in report_words(page)


def test_an_unknown_time_zone_is_refused(app, case_with_addenda, monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_TIMEZONE", "Mars/Olympus")
    with pytest.raises(ValueError, match="IANA time zone"):
        clinical(app, case_with_addenda)


@pytest.mark.parametrize("audience", ["clinical", "client", "referrer"])
def test_an_empty_narrative_leaves_no_heading(app, case_with_addenda, audience):
    for narrative in ("", "  \n\n  "):
        with app.app_context():
            page = build_report_html(
                report_context(
                    case_with_addenda, START, END, audience, narrative, case_with_addenda.counsellor
                )
            )
        assert 'class="narrative"' not in page
        assert "No narrative was written" not in page
    with app.app_context():
        page = build_report_html(
            report_context(
                case_with_addenda,
                START,
                END,
                audience,
                "Seen weekly.",
                case_with_addenda.counsellor,
            )
        )
    assert "Seen weekly." in page
