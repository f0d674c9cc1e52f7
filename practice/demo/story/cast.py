"""The story's cast: the invented staff and clients, what brings each case, and how it ends.

Pure text and choices made with the demo's ``random.Random``: no database. The people are
invented; ``{a}`` and ``{b}`` in a text are a case's first and last partner.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from practice.cases.models import CaseKind, CaseStatus, CycleRole

# How a case goes over its sessions: the cycle softens, stays as it is, or gets worse.
IMPROVING, STUCK, WORSENING = "improving", "stuck", "worsening"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


@dataclass
class Person:
    """A partner of a case (or the client, or a family member), with the id of their row."""

    id: int
    name: str
    pronouns: str
    role: str
    position: int


# --- Staff -----------------------------------------------------------------------------------

ADMIN_NAME = "Jordan Hale"
SUPERVISOR_NAMES = ("Dr Ruth Adeyemi", "Dr Martin Kessler")
COUNSELLOR_NAMES = (
    "Hannah Price",
    "Owen Gallagher",
    "Leila Haddad",
    "Tomasz Nowak",
    "Grace Mensah",
    "Isabel Fernández",
)
_STAFF_FIRST = _words(
    "Aisha Ben Carmen Daniel Elif Femi Gabriel Helen Ivan Joanna Kwame Lucia Marcus Nadia "
    "Oliver Priya Rafael Sofia Theo Una Victor Wen Yusuf Zara"
)
_STAFF_LAST = _words(
    "Ahmed Brennan Costa Doyle Eriksen Fischer Greene Hughes Ibrahim Jensen Kaur "
    "Lindqvist Moreau Novak Okoro Patel Quinn Rossi Sato Thompson Varga Walsh Young "
    "Zielinski"
)


def invent_staff_name(rng: random.Random, used: set[str]) -> str:
    """A staff member's full name not in ``used`` (added to it)."""
    name = ""
    for attempt in range(40):
        # Middle initials once the plain names run out (large scales).
        middle = f" {rng.choice('ABCDEFGHJKLMNPRSTW')}." if attempt >= 20 else ""
        name = f"{rng.choice(_STAFF_FIRST)}{middle} {rng.choice(_STAFF_LAST)}"
        if name not in used:
            break
    used.add(name)
    return name


# --- Clients ---------------------------------------------------------------------------------

_NAMES = {
    "she/her": _words(
        "Maya Amira Beth Chloe Dana Eva Fatima Grace Hana Ines Jess Kate Lena Mia Nadia "
        "Olivia Priya Rosa Sara Tara Uma Vera Yasmin Zoe Anna Carla Elena Lucy Nora Ruth"
    ),
    "he/him": _words(
        "Tom Adam Ben Chris David Emre Felix George Hassan Ian Jamal Karl Liam Marco Nick "
        "Omar Paul Raj Sam Tariq Victor Will Yusuf Dan Leo Joe Mark Ravi Simon Theo"
    ),
    "they/them": _words("Alex Robin Jules Kit Rowan Sky Charlie Frankie Jo Remy"),
}
_INITIALS = _words("A. B. C. D. E. F. G. H. J. K. L. M. N. P. R. S. T. V. W.")


def invent_people(rng: random.Random, kind: str) -> list[tuple[str, str, str]]:
    """The people of a new case of ``kind``: (first name or initials, pronouns, cycle role)."""
    if kind == CaseKind.INDIVIDUAL:
        pronouns = rng.choice(("she/her", "he/him", "she/her", "he/him", "they/them"))
        role = rng.choice((CycleRole.PURSUER, CycleRole.WITHDRAWER, CycleRole.UNCLEAR))
        return [(_first_name(rng, pronouns, set()), pronouns, role)]
    if kind == CaseKind.FAMILY:
        used: set[str] = set()
        pronouns = [("she/her", "he/him"), ("she/her", "she/her"), ("he/him", "he/him")][
            rng.randrange(3)
        ] + (rng.choice(("she/her", "he/him", "they/them")),)
        roles = (CycleRole.PURSUER, CycleRole.WITHDRAWER, CycleRole.UNCLEAR)
        return [
            (_first_name(rng, p, used), p, role) for p, role in zip(pronouns, roles, strict=True)
        ]
    roll = rng.random()
    if roll < 0.65:
        pair = ["she/her", "he/him"]
        rng.shuffle(pair)
    elif roll < 0.77:
        pair = ["she/her", "she/her"]
    elif roll < 0.94:
        pair = ["he/him", "he/him"]
    else:
        pair = ["they/them", rng.choice(("she/her", "he/him", "they/them"))]
    roll = rng.random()
    if roll < 0.8:
        roles = [CycleRole.PURSUER, CycleRole.WITHDRAWER]
    elif roll < 0.9:
        roles = [CycleRole.MIXED, rng.choice((CycleRole.MIXED, CycleRole.WITHDRAWER))]
    else:
        roles = [CycleRole.UNCLEAR, CycleRole.UNCLEAR]
    used = set()
    return [(_first_name(rng, p, used), p, role) for p, role in zip(pair, roles, strict=True)]


def _first_name(rng: random.Random, pronouns: str, used: set[str]) -> str:
    """A first name, or now and then initials only, not yet used in the case."""
    for _ in range(10):
        name = rng.choice(_INITIALS) if rng.random() < 0.08 else rng.choice(_NAMES[pronouns])
        if name not in used:
            used.add(name)
            return name
    return f"Partner {len(used) + 1}"


# --- What brings them, and how it ends ------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """A couple's reason for coming: the concern, their goals, what their arguments are about."""

    concern: str
    goals: tuple[str, ...]
    things: tuple[str, ...]


# ``{a}`` and ``{b}`` are the first and second partner.
TOPICS = (
    Topic(
        "Deciding whether to move abroad for {a}'s job offer. {a} wants to talk it through "
        "again and again; {b} avoids the subject, and conversations end in an argument or silence.",
        (
            "Reach a decision about the move that both can live with",
            "Talk about the move once a week without it ending in a shutdown",
        ),
        ("the job offer", "the move", "the visa paperwork", "telling the family about the move"),
    ),
    Topic(
        "Distance and frequent arguments since their first child was born eight months ago. Both "
        "exhausted; {a} feels alone with the night feeds, {b} feels nothing they do is right.",
        (
            "Feel like a team again with the baby",
            "Ask for help directly instead of through criticism",
        ),
        (
            "the night feeds",
            "who gets to sleep in",
            "the baby's routine",
            "a visit from {b}'s mother",
        ),
    ),
    Topic(
        "{b}'s long working hours. {a} raises it and feels dismissed; {b} feels criticised and "
        "retreats further into work.",
        (
            "Protect two evenings a week for the relationship",
            "{a} to raise concerns without blame; {b} to stay in the conversation",
        ),
        (
            "working late again",
            "the cancelled dinner",
            "checking emails at the table",
            "the weekend",
        ),
    ),
    Topic(
        "Recurring fights about housework and the mental load of running the household.",
        (
            "Agree a fair division of household tasks",
            "Notice the cycle as it starts and name it together",
        ),
        ("the washing-up", "the shopping list", "the school forms", "the state of the kitchen"),
    ),
    Topic(
        "Rebuilding trust after {b} disclosed debts they had kept hidden for two years.",
        (
            "Rebuild trust through openness about money",
            "Talk about finances monthly without an escalation",
        ),
        ("the credit card statement", "the budget", "a large purchase", "the savings account"),
    ),
    Topic(
        "Tension about time with {b}'s family; {a} feels second in line, {b} feels caught between "
        "them.",
        (
            "Agree together how holidays and visits are planned",
            "{a} to feel that the relationship comes first",
        ),
        ("Sunday lunch at {b}'s parents'", "the holiday plans", "a comment from {b}'s sister"),
    ),
    Topic(
        "Loss of emotional and physical closeness; both describe living like flatmates.",
        (
            "Rebuild everyday moments of closeness",
            "Both able to say what they need without fear of rejection",
        ),
        ("going to bed at different times", "the anniversary", "a missed hug at the door"),
    ),
    Topic(
        "Blended family: disagreements about parenting {a}'s teenage son and feeling on opposite "
        "sides.",
        (
            "Present a united front on house rules",
            "Keep the couple relationship separate from the parenting disagreements",
        ),
        ("the curfew", "the son's school report", "screen time", "the weekend with his father"),
    ),
    Topic(
        "Adjusting after {a}'s diagnosis of a long-term illness; {b} copes by staying busy, {a} "
        "feels left alone with the fear.",
        (
            "Share worries about the illness without the other shutting down",
            "Find a way to talk about the future together",
        ),
        ("the hospital appointment", "the test results", "cancelling the trip", "the medication"),
    ),
    Topic(
        "{b} retired this year; more time together has brought old arguments back to the surface.",
        (
            "Build a new routine that suits both",
            "Repair after arguments within a day",
        ),
        ("plans for the week", "the garden", "spending on the caravan", "time with friends"),
    ),
    Topic(
        "Repairing after an emotional affair that {b} disclosed in the spring.",
        (
            "Rebuild trust at a pace both can manage",
            "{a} able to ask questions without it ending in a fight",
        ),
        ("a late message on the phone", "the anniversary of the disclosure", "a work trip"),
    ),
    Topic(
        "Grief after a miscarriage last year; each grieves differently and feels the other does "
        "not understand.",
        (
            "Make room for both ways of grieving",
            "Talk about trying again without either shutting down",
        ),
        ("the due date", "a friend's pregnancy announcement", "the memory box", "trying again"),
    ),
)
_COMMON_GOALS = (
    "Recognise the pursue-withdraw cycle as it starts and name it together",
    "Each able to ask for reassurance directly",
    "Take breaks during conflict and come back to the conversation",
    "Feel safe enough to show hurt instead of anger",
)
# By the client's cycle role.
_INDIVIDUAL_TOPICS = {
    CycleRole.WITHDRAWER: (
        "Individual work: a pattern of shutting down when a partner is upset, then feeling "
        "ashamed; the partner is not in therapy.",
        ("Stay present in difficult conversations", "Name overwhelm before it becomes shutdown"),
    ),
    CycleRole.PURSUER: (
        "Individual work: panic when a partner goes quiet, pressing for reassurance and then "
        "feeling ashamed of the intensity; the partner is not in therapy.",
        ("Soothe the panic before reaching out", "Ask for closeness without protest"),
    ),
    CycleRole.UNCLEAR: (
        "Individual work after a separation; wants to understand the part they played in a "
        "pursue-withdraw cycle that repeated across relationships.",
        ("Understand own attachment pattern", "Notice the cycle early in a new relationship"),
    ),
}
_FAMILY_TOPICS = (
    (
        "Family work: escalating conflict between the parents and their 15-year-old; the parents "
        "pull in opposite directions.",
        ("Fewer shouting matches at home", "Parents agree a shared response before acting"),
    ),
    (
        "Family work after the parents' reconciliation; the eldest feels caught in the middle.",
        ("Everyone able to say what they need at home", "Repair after arguments as a family"),
    ),
)
_PAUSE_REASONS = (
    "Paused at the couple's request while {a} works abroad until January; review then.",
    "Paused for financial reasons; the couple will be in touch when they can resume.",
    "Paused after {b}'s surgery; to resume when recovered.",
)
_PAUSE_REASONS_OTHER = (
    "Paused at the client's request over the holidays; review in January.",
    "Paused while {a} is in hospital; to resume when well.",
)
# Indexed by whether the work went well.
_CLOSE_REASONS_OTHER = (
    (
        "Closed at the client's request; the door is left open.",
        "Referred on to a longer-term service.",
    ),
    ("Ending agreed; goals largely met.",),
)
_CLOSE_REASONS = {
    IMPROVING: (
        "Goals met; ending agreed together, with a follow-up offered in three months.",
        "Ended by agreement: both now catch and name the cycle at home.",
    ),
    STUCK: (
        "Closed: the couple decided to stop for now; referral to a group programme offered.",
        "Closed after two cancelled sessions and no reply to follow-up contact.",
    ),
    WORSENING: (
        "Closed: the couple decided to separate; referred for support with co-parenting.",
        "Closed: {b} did not wish to continue couple work; individual referral offered to both.",
    ),
}


# Individual and family cases argue about these.
_OTHER_THINGS = ("a row at home", "a difficult phone call", "the weekend", "a family visit")


def _names(people: list[Person]) -> dict[str, str]:
    return {"a": people[0].name, "b": people[-1].name}


def presenting(
    rng: random.Random, kind: str, topic: int, people: list[Person]
) -> tuple[str, list[str], list[str]]:
    """A case's presenting concern, its goals and the things its arguments are about."""
    names = _names(people)
    if kind == CaseKind.COUPLE:
        chosen = TOPICS[topic]
        goals = [goal.format(**names) for goal in chosen.goals]
        goals.append(rng.choice(_COMMON_GOALS))
        things = [thing.format(**names) for thing in chosen.things]
        return chosen.concern.format(**names), goals, things
    if kind == CaseKind.INDIVIDUAL:
        concern, goals = _INDIVIDUAL_TOPICS[people[0].role]
    else:
        concern, goals = _FAMILY_TOPICS[topic % len(_FAMILY_TOPICS)]
    return concern, list(goals), list(_OTHER_THINGS)


def status_reason(
    rng: random.Random, kind: str, trajectory: str, status: str, people: list[Person]
) -> str | None:
    """Why a paused or closed case is so, in the counsellor's words; None for an active one."""
    if status == CaseStatus.CLOSED:
        reasons = (
            _CLOSE_REASONS[trajectory]
            if kind == CaseKind.COUPLE
            else _CLOSE_REASONS_OTHER[trajectory == IMPROVING]
        )
    elif status == CaseStatus.PAUSED:
        reasons = _PAUSE_REASONS if kind == CaseKind.COUPLE else _PAUSE_REASONS_OTHER
    else:
        return None
    return rng.choice(reasons).format(**_names(people))
