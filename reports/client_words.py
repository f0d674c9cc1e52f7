"""The client report's words, for each kind of case: a couple, one person, a family.

Every word the clients read is plain, warm and even-handed: the pattern is the problem, never a
person; nobody is named first or apart; no clinical measure, role or threshold is named. The
numbers are the clinical report's; only the words differ. A couple reads about the reach-and-
step-back pattern, one person about their own part in a pattern, a family about patterns
between them.

The CSI-4 change is put in words from ``practice.measures.csi4``'s verdicts (``csi4_change``,
``couple_change``); nothing here judges.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from practice.cases.models import CaseKind
from practice.measures import csi4
from practice.reports import charts


@dataclass(frozen=True)
class ClientWords:
    """What changes with the kind of case in the client report."""

    audience_label: str
    everyone: str  # who came, when everyone did
    you_each: str  # "each of you" / "you"
    pattern: tuple[str, ...]  # the paragraphs of "The pattern we are working on"
    reaching: str  # what the calmer moments are
    satisfaction_heading: str
    satisfaction_explain: str
    chart_words: charts.ChartWords


_CALM = "moments of calming down or reaching for each other"

COUPLE = ClientWords(
    audience_label="For the couple",
    everyone="Both of you",
    you_each="each of you",
    pattern=(
        "Like many couples, you can get caught in a pattern where one of you reaches out, "
        "sometimes urgently, and the other steps back to keep things calm, and each move makes "
        "the other's more likely. When it takes over, reaching out can sound like blame, and "
        "stepping back can look like not caring, though neither is meant that way.",
        "Neither of you is the problem: the pattern is. Our work together is about noticing it "
        "when it starts, slowing it down, and finding your way back to each other. The figures "
        "and charts below follow how often that is happening.",
    ),
    reaching=_CALM,
    satisfaction_heading="How satisfied you each feel",
    satisfaction_explain=(
        "Now and then each of you answers four short questions about how satisfied you feel with "
        "your relationship. Answers add up to a score from 0 to 21; a score in the lower part "
        "(below the dashed line on the chart) usually means the relationship feels quite "
        "unsatisfying at the moment. It is a starting point for conversation, not a verdict."
    ),
    chart_words=charts.PLAIN,
)

INDIVIDUAL = ClientWords(
    audience_label="For you",
    everyone="You",
    you_each="you",
    pattern=(
        "When things get hard with someone close, it is easy to get caught in a pattern: a "
        "worry or a hurt sets off a familiar reaction, the reaction brings the other person's, "
        "and round it goes. Each move makes sense from the inside, even when it does not help.",
        "You are not the problem: the pattern is. Our work together is about noticing it when "
        "it starts, understanding what you need in that moment, and finding new ways to ask "
        "for it. The figures and charts below follow how often that is happening.",
    ),
    reaching="moments of calming down or reaching out",
    satisfaction_heading="How satisfied you feel",
    satisfaction_explain=(
        "Now and then you answer four short questions about how satisfied you feel with your "
        "relationship. Answers add up to a score from 0 to 21; a score in the lower part "
        "(below the dashed line on the chart) usually means the relationship feels quite "
        "unsatisfying at the moment. It is a starting point for conversation, not a verdict."
    ),
    chart_words=dataclasses.replace(
        charts.PLAIN, csi4_title="How satisfied you feel (four questions)"
    ),
)

FAMILY = ClientWords(
    audience_label="For the family",
    everyone="All of you",
    you_each="each of you",
    pattern=(
        "Like many families, you can get caught in patterns where one person's reaction sets "
        "off another's: someone presses, someone pulls back, someone steps in to smooth things "
        "over, and round it goes. Each move makes sense to the one making it, even when it "
        "does not help.",
        "None of you is the problem: the pattern is. Our work together is about noticing it "
        "when it starts, slowing it down, and finding your way back to each other. The figures "
        "and charts below follow how often that is happening.",
    ),
    reaching=_CALM,
    satisfaction_heading="How satisfied you each feel",
    satisfaction_explain=COUPLE.satisfaction_explain,
    chart_words=charts.PLAIN,
)

BY_KIND: dict[str, ClientWords] = {
    CaseKind.COUPLE: COUPLE,
    CaseKind.INDIVIDUAL: INDIVIDUAL,
    CaseKind.FAMILY: FAMILY,
}


def client_words(kind: str) -> ClientWords:
    """The client report's words for a case of ``kind`` (a couple's for an unknown kind)."""
    return BY_KIND.get(kind, COUPLE)


# Where a new way of talking stands at its latest session (an adoption level), for a sentence.
LEVEL_WORDS: dict[int, str] = {
    0: "not used",
    1: "used with a reminder",
    2: "used on your own",
    3: "used at home",
}


# --- CSI-4 change in plain words -------------------------------------------------------------

# Each person's change from their first answers (``csi4.csi4_change``'s category).
CHANGE_WORDS: dict[str, str] = {
    csi4.RECOVERED: "A real rise since the first answers, into the content range",
    csi4.IMPROVED: "A real rise since the first answers",
    csi4.UNCHANGED: "About the same as at the first answers",
    csi4.DETERIORATED: "Lower than at the first answers: worth talking about together",
    csi4.BASELINE_ONLY: "One set of answers so far: the starting point",
}
SLIDE_WORDS = "Lately lower than at its best: worth talking about together"

# The couple as a pair (``csi4.couple_change``'s key).
COUPLE_WORDS: dict[str, str] = {
    csi4.BOTH_IMPROVED: "Both of you feel more satisfied than when you started.",
    csi4.ONE_IMPROVED: (
        "One of you feels more satisfied than when you started; for the other it is about the same."
    ),
    csi4.BOTH_UNCHANGED: "For both of you, it is about the same as when you started.",
    csi4.ONE_DETERIORATED: (
        "One of you feels less satisfied than when you started; for the other it is about the same."
    ),
    csi4.BOTH_DETERIORATED: "Both of you feel less satisfied than when you started.",
    csi4.DIVERGENT: (
        "You have moved in different directions: one of you feels more satisfied than when you "
        "started, the other less. That is worth understanding together."
    ),
    csi4.NOT_ENOUGH_READINGS: "There are not yet enough answers from both of you to compare.",
}


def change_words(category: str) -> str:
    """A person's CSI-4 change (a ``csi4.CHANGE_LABELS`` key) in the clients' words."""
    return CHANGE_WORDS[category]


def standing_words(below_cutoff: bool) -> str:
    """Where a score stands against the cut-off, without naming it."""
    return "Below the content range" if below_cutoff else "In the content range"


def real_change_explained(rci: float) -> str:
    """What a "real" change is, in the clients' words (``rci``: the practice's index)."""
    return (
        f"A real rise or fall is a change of {rci:g} points or more from the first answers: "
        "more than answers usually vary from one time to the next."
    )
