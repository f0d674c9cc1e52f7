"""Who referred some of the demo's cases, and what they asked.

Chosen from the case's id, not drawn from the demo's ``random.Random``: adding referrals left
every other row of the practice as it was. Two cases in three came through a referrer; the
rest came on their own and have none.
"""

from __future__ import annotations

from practice.cases.models import CaseKind

REFERRERS: tuple[tuple[str, str], ...] = (
    ("Dr Jane Okafor", "Riverside Medical Practice"),
    ("Dr Tomás Reyes", "Northgate Family Health Centre"),
    ("Priya Shah, community mental health nurse", "Eastfield Community Mental Health Team"),
    ("Mark Delaney, employee assistance adviser", "Harbour & Co. Employee Assistance"),
)
QUESTIONS: dict[str, tuple[str, ...]] = {
    CaseKind.COUPLE: (
        "The couple describe arguments that escalate quickly and leave them both exhausted. "
        "Is couples therapy suitable for them, and is there anything I should follow up here?",
        "One partner's low mood seems tied to the strain in the relationship. Could couples "
        "work help, and how are they getting on?",
    ),
    CaseKind.INDIVIDUAL: (
        "My patient reports anxiety that peaks around conflict with their partner. Would you "
        "assess and offer sessions, and let me know whether anything else is needed?",
    ),
    CaseKind.FAMILY: (
        "The family report constant conflict at home since the move. Could you see them "
        "together, and advise whether any one of them needs further support?",
    ),
}


def referral(case_id: int, kind: str) -> dict[str, str]:
    """The referral fields of the demo case ``case_id`` of ``kind`` (empty for a self-referral)."""
    if case_id % 3 == 0:
        return {"referrer_name": "", "referrer_organisation": "", "referral_question": ""}
    name, organisation = REFERRERS[case_id % len(REFERRERS)]
    questions = QUESTIONS.get(kind, QUESTIONS[CaseKind.COUPLE])
    return {
        "referrer_name": name,
        "referrer_organisation": organisation,
        "referral_question": questions[case_id % len(questions)],
    }
