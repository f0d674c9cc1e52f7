"""The measures the tracker ships with: CSI-4, CSI-16 (Funk & Rogge 2007) and HITS (Sherin et
al. 1998).

Item wording is paraphrased in our own words: the published forms give the exact wording, and
a practice should give clients the published form where it can. Pure data, no Flask.
"""

from __future__ import annotations

from practice.measures.registry import (
    Anchor,
    Direction,
    MeasureDefinition,
    MeasureItem,
    Respondent,
    Use,
)

_CSI_LICENCE = (
    "Free for clinical and research use (Funk & Rogge 2007); wording paraphrased here, give "
    "clients the published form for the exact wording."
)
_CSI_CITATION = (
    "Funk, J. L., & Rogge, R. D. (2007). Testing the ruler with item response theory. "
    "Journal of Family Psychology, 21(4), 572–583."
)
_HAPPINESS = "Happiness with the relationship, all things considered"
_HAPPY_ENDS = (Anchor(0, "Extremely unhappy"), Anchor(6, "Perfect"))


def _item(number: int, wording: str, top: int, low: str, high: str, **kw) -> MeasureItem:
    return MeasureItem(number, wording, 0, top, (Anchor(0, low), Anchor(top, high)), **kw)


CSI4 = MeasureDefinition(
    key="CSI-4",
    name="Couples Satisfaction Index (4 items)",
    items=(
        MeasureItem(1, _HAPPINESS, 0, 6, _HAPPY_ENDS),
        _item(
            2,
            "A warm and comfortable relationship with my partner",
            5,
            "Not at all true",
            "Completely true",
        ),
        _item(
            3, "How rewarding the relationship with my partner is", 5, "Not at all", "Completely"
        ),
        _item(4, "Overall satisfaction with the relationship", 5, "Not at all", "Completely"),
    ),
    direction=Direction.HIGHER_BETTER,
    cutoff=13.5,
    cutoff_meaning="notable relationship dissatisfaction",
    # Conservative practice default, not a published cut-off: a Jacobson-Truax index computed
    # from the CSI-4's high reported reliability (alpha about .94) and typical score spread is
    # smaller, so a 5-point change errs against false alarms (PRACTICE_CSI4_RELIABLE_CHANGE).
    reliable_change=5,
    licence=_CSI_LICENCE,
    citation=_CSI_CITATION,
    at_checkins=True,
)

# The semantic-differential pairs of the CSI-16 (items 11-16): the answer runs from the left
# word (0) to the right word (5); where the good word is on the left the item is reversed.
_PAIRS = (
    ("Interesting", "Boring", True),
    ("Bad", "Good", False),
    ("Full", "Empty", True),
    ("Sturdy", "Fragile", True),
    ("Discouraging", "Hopeful", False),
    ("Enjoyable", "Miserable", True),
)
_TRUE = ("Not at all true", "Completely true")

CSI16 = MeasureDefinition(
    key="CSI-16",
    name="Couples Satisfaction Index (16 items)",
    items=(
        MeasureItem(1, _HAPPINESS, 0, 6, _HAPPY_ENDS),
        _item(2, "How often things between us are going well", 5, "Never", "All the time"),
        _item(3, "Our relationship is strong", 5, *_TRUE),
        _item(4, "My relationship with my partner makes me happy", 5, *_TRUE),
        _item(5, "A warm and comfortable relationship with my partner", 5, *_TRUE),
        _item(6, "I feel we are a team, my partner and I", 5, *_TRUE),
        _item(
            7, "How rewarding the relationship with my partner is", 5, "Not at all", "Completely"
        ),
        _item(8, "How well my partner meets my needs", 5, "Not at all", "Completely"),
        _item(
            9,
            "How far the relationship has met what I first hoped for",
            5,
            "Not at all",
            "Completely",
        ),
        _item(10, "Overall satisfaction with the relationship", 5, "Not at all", "Completely"),
        *(
            _item(
                11 + n,
                f"Our relationship feels: {left.lower()} … {right.lower()}",
                5,
                left,
                right,
                reverse=rev,
            )
            for n, (left, right, rev) in enumerate(_PAIRS)
        ),
    ),
    direction=Direction.HIGHER_BETTER,
    cutoff=51.5,
    cutoff_meaning="notable relationship dissatisfaction",
    # A practice default near the published estimates for the CSI-16 (high reliability, alpha
    # about .98); change it in a configured definition if the practice uses another.
    reliable_change=9.5,
    licence=_CSI_LICENCE,
    citation=_CSI_CITATION,
)

_OFTEN = (
    Anchor(1, "Never"),
    Anchor(2, "Rarely"),
    Anchor(3, "Sometimes"),
    Anchor(4, "Fairly often"),
    Anchor(5, "Frequently"),
)

HITS = MeasureDefinition(
    key="HITS",
    name="HITS (Hurt, Insult, Threaten, Scream)",
    items=(
        MeasureItem(1, "Physically hurt you?", 1, 5, _OFTEN, key="hurt"),
        MeasureItem(2, "Insulted or talked down to you?", 1, 5, _OFTEN, key="insult"),
        MeasureItem(3, "Threatened you with harm?", 1, 5, _OFTEN, key="threaten"),
        MeasureItem(4, "Screamed or cursed at you?", 1, 5, _OFTEN, key="scream"),
    ),
    stem="Over the last 12 months, how often did your partner:",
    direction=Direction.HIGHER_WORSE,
    # A total above 10 is a positive screen (Sherin et al. 1998).
    cutoff=10,
    cutoff_meaning="a positive screen",
    respondent=Respondent.PARTNER,
    licence="Free to use for screening (Sherin et al. 1998).",
    citation=(
        "Sherin, K. M., Sinacore, J. M., Li, X.-Q., Zitter, R. E., & Shakil, A. (1998). HITS: a "
        "short domestic violence screening tool for use in a family practice setting. Family "
        "Medicine, 30(7), 508–512."
    ),
    use=Use.SAFETY,
)

SHIPPED: tuple[MeasureDefinition, ...] = (CSI4, CSI16, HITS)
