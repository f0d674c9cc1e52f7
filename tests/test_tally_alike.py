"""Live mode's tally and the Moments tab show one measure under the same names: moments counted
per valence, their loads (weighted by intensity) and the de-escalation share."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from practice.core.database import utcnow
from practice.models import Moment, MomentType


def _add(db, session, member, key: str, intensity: int, voided: bool = False) -> None:
    type_id = db.scalar(select(MomentType.id).where(MomentType.key == key))
    db.add(
        Moment(
            session_id=session.id,
            moment_type_id=type_id,
            minute=5,
            intensity=intensity,
            created_by_id=member.id,
            voided_at=utcnow() if voided else None,
            void_reason="Tagged in error." if voided else None,
        )
    )
    db.commit()


@pytest.fixture
def tagged(db, make_session, case, counsellor):
    """Two escalating moments (3 and 4), one de-escalating (5), one neutral (2), and a removed
    escalating one (5) that counts nowhere: counts 2 / 1 / 1, loads 7 and 5, share 5/12."""
    session = make_session(case, starts_at=utcnow() - timedelta(minutes=10))
    _add(db, session, counsellor, "pursue", 3)
    _add(db, session, counsellor, "withdraw", 4)
    _add(db, session, counsellor, "softening", 5)
    _add(db, session, counsellor, "attachment_need", 2)
    _add(db, session, counsellor, "criticism", 5, voided=True)
    return session


EXPECTED = {
    "tally-escalating": "2",
    "tally-escalating-load": "7",
    "tally-deescalating": "1",
    "tally-deescalating-load": "5",
    "tally-neutral": "1",
    "tally-share": "42%",
}


def _figures(page: str) -> dict[str, str]:
    found = dict(re.findall(r'id="(tally-[a-z-]+)">([^<]*)<', page))
    return {name: found.get(name) for name in EXPECTED}


def _headings(page: str) -> list[str]:
    table = page.split('class="data session-tally"')[1].split("</table>")[0]
    return re.findall(r'<th scope="(?:col|row)"[^>]*>(?:<span[^>]*>)?([^<]+)<', table)


def test_the_moments_tab_and_live_mode_show_the_same_figures(client, auth, counsellor, tagged):
    auth.login(counsellor)
    tab = client.get(f"/sessions/{tagged.id}/moments").get_data(as_text=True)
    live = client.get(f"/sessions/{tagged.id}/live").get_data(as_text=True)
    assert _figures(tab) == EXPECTED
    assert _figures(live) == EXPECTED
    assert _headings(tab) == _headings(live)
    assert _headings(tab) == [
        "Valence",
        "Moments",
        "Load",
        "Escalating",
        "De-escalating",
        "Neutral",
        "De-escalation share",
    ]
    for page in (tab, live):
        assert "De-escalation share" in page
        assert "Load: moments weighted by intensity" in page


def test_live_modes_updates_carry_the_same_figures(client, auth, counsellor, tagged):
    auth.login(counsellor)
    tally = client.get(f"/sessions/{tagged.id}/live/state").get_json()["tally"]
    assert tally == {
        "escalating": 2,
        "deescalating": 1,
        "neutral": 1,
        "escalating_load": 7,
        "deescalating_load": 5,
        "deescalation_share": pytest.approx(5 / 12),
    }
