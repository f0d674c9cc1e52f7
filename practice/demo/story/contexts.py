"""What a counsellor writes beside a tagged moment or a script observation, in the demo.

Pure text chosen with the demo's ``random.Random``: no database. ``{o}`` is the other partner,
``{thing}`` what the couple's argument is about, ``{name}`` the partner observed.
"""

from __future__ import annotations

import random

from practice.cases.models import CycleRole
from practice.demo.story.cast import Person
from practice.moments.operations import MAX_CONTEXT

# A script that "did not come up" had no opportunity: the builder records it as such.
NO_OPPORTUNITY_NOTES = frozenset({"Did not come up."})
# By adoption level (``practice.scripts.adoption.ADOPTION_LEVELS``).
_OBSERVATION_NOTES = {
    0: ("", "Not used this session.", "Did not come up."),
    1: (
        "Used it after a prompt, a little stiffly.",
        "Tried it when I suggested it; found the words awkward.",
        "With prompting, used it once during the exchange about {thing}.",
    ),
    2: (
        "Used it without prompting when the conversation heated up.",
        "Unprompted, used it at the start of the exchange.",
        "Reached for it spontaneously mid-argument.",
    ),
    3: (
        "{name} reports using it at home this week; the conversation resumed later.",
        "Both report it was used at home twice since last session.",
        "{name} describes using it at home after a tense evening; it helped.",
    ),
}


def observation_note(rng: random.Random, level: int, name: str, thing: str) -> str:
    """The note on a script observed at ``level``."""
    return rng.choice(_OBSERVATION_NOTES[level]).format(name=name, thing=thing)


# By moment type key; "misreading_w" is a misreading by the withdrawing partner.
_CONTEXTS: dict[str, tuple[str, ...]] = {
    "pursue": (
        "Raised {thing} again before {o} had answered",
        "\u201cWhy is it always me who brings this up?\u201d",
        "Pressed for an answer about {thing}",
        "Leaned forward, voice rising",
    ),
    "criticism": (
        "\u201cYou never think about anyone but yourself.\u201d",
        "Complaint about {thing} turned into a comment about character",
        "Listed past disappointments",
    ),
    "contempt": ("Sarcastic remark about {o}'s effort", "Eye-roll as {o} spoke"),
    "escalation": (
        "Both talking over each other about {thing}",
        "Voices raised; the exchange sped up",
        "Old grievances pulled in",
    ),
    "misreading": (
        "Read {o}'s silence as not caring",
        "Took a pause as rejection",
        "Heard a late reply as not mattering",
    ),
    "misreading_w": (
        "Heard the question about {thing} as an accusation",
        "Took {o}'s worry as criticism",
    ),
    "withdraw": (
        "Went quiet and looked at the floor",
        "Turned towards the window, short answers",
        "\u201cI don't know what you want me to say.\u201d",
        "Changed the subject away from {thing}",
    ),
    "defensiveness": (
        "\u201cThat's not fair, I did try.\u201d",
        "Answered the complaint with a counter-complaint",
        "Explained at length why it was not their fault",
    ),
    "stonewalling": ("No response for over a minute", "Arms folded, silent"),
    "flooding": (
        "Said their chest was tight and they could not think",
        "Visibly overwhelmed; breathing fast",
    ),
    "urge_to_leave": ("Picked up their coat", "\u201cI need to get out of here.\u201d"),
    "threat_to_end": (
        "\u201cMaybe we should just stop trying.\u201d",
        "Said they wondered whether they should separate",
    ),
    "softening": (
        "Voice dropped; spoke about feeling alone",
        "Tearful; said they were scared of losing {o}",
        "Let the hurt show instead of the anger",
    ),
    "de_escalation": (
        "Both slowed down after the cycle was named",
        "Breathing together; the tension eased",
    ),
    "repair_attempt": (
        "\u201cLet me try that again.\u201d",
        "Reached for {o}'s hand",
        "Apologised for the tone",
    ),
    "withdrawer_reengagement": (
        "Turned back towards {o} and kept talking",
        "Said they wanted to stay in the conversation",
        "Came back to {thing} of their own accord",
    ),
    "soft_bid": (
        "Asked gently how {o} was feeling about {thing}",
        "\u201cCan we talk about this later tonight?\u201d",
        "Invited {o} in without blame",
    ),
    "naming_cycle": (
        "\u201cThis is our dance again.\u201d",
        "Both recognised the pattern as it started",
        "Named the cycle, not each other, as the problem",
    ),
    "break_returned": (
        "Asked for ten minutes and came back as agreed",
        "Took a pause and returned to {thing}",
    ),
    "empathic_response": (
        "Reflected {o}'s fear back to them",
        "\u201cI can see this matters to you.\u201d",
        "Acknowledged how hard the week had been for {o}",
    ),
    "trigger_identified": (
        "{thing} named as what set things off",
        "Recognised a late reply as the trigger",
    ),
    "underlying_fear": (
        "Fear of failing {o} put into words",
        "Fear of being left put into words",
        "Spoke of being afraid of not mattering",
    ),
    "attachment_need": (
        "Said they need to know {o} will come back",
        "Asked for reassurance directly",
        "Said they need to feel wanted",
    ),
}
# Moments in which a partner may be heard using the script they have adopted.
_SCRIPT_MOMENTS = {"break_returned", "withdrawer_reengagement", "soft_bid", "repair_attempt"}


def moment_context(
    rng: random.Random,
    key: str,
    actor: Person | None,
    attendees: list[Person],
    adopted: dict[int, str],
    things: list[str],
) -> str:
    """The context of a moment of type ``key`` shown by ``actor`` (None: both partners); may
    be empty. ``adopted`` maps a partner's id to the script text they have adopted."""
    if actor is not None and key in _SCRIPT_MOMENTS and actor.id in adopted and rng.random() < 0.5:
        return f"Used the script: \u201c{adopted[actor.id]}\u201d"[:MAX_CONTEXT]
    if rng.random() < 0.25:
        return ""
    other = next((p for p in attendees if p is not actor), None)
    if key == "misreading" and actor is not None and actor.role == CycleRole.WITHDRAWER:
        key = "misreading_w"
    template = rng.choice(_CONTEXTS[key])
    text = template.format(
        o=other.name if other is not None else "their partner", thing=rng.choice(things)
    )
    return text[0].upper() + text[1:]
