"""The practice's vocabulary of cycle moments: listing, adding, editing and retiring types.

The only place moment types are written: each change runs in a savepoint (``@atomic``), is
audited and raises ``VocabularyError`` (a ``Refused``) naming the inputs at fault. Types are
never deleted: a type in use is retired (``active = False``) and its moments stay. The valences
and their labels are ``practice.moments.balance``'s.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from practice import audit
from practice.core.database import db
from practice.core.errors import Refused
from practice.core.unit_of_work import atomic
from practice.moments.balance import VALENCE_LABELS
from practice.moments.models import MomentType

# Keys the live-session screen keeps for itself; no moment type may use them as a shortcut.
UNDO_KEY = "z"
# Records that a partner called a break (practice.breaks: the live screen's "Break called").
BREAK_KEY = "j"
# The next tap answers the last moment (practice.moments.answers). Not a letter, so it can never
# take a type's shortcut (shortcuts are letters), nor a digit (digits choose the partner).
ANSWER_KEY = "."
LIVE_CONTROL_KEYS = frozenset({UNDO_KEY, BREAK_KEY, ANSWER_KEY})
# Live mode's keys for types without a letter of their own: the letters left over, then a
# second row, Shift with a letter, so a vocabulary longer than the alphabet still gets a key each.
_FIRST_ROW = tuple(chr(c) for c in range(ord("a"), ord("z") + 1))
_SECOND_ROW = tuple(letter.upper() for letter in _FIRST_ROW)

MAX_LABEL = 60
MAX_DESCRIPTION = 300
MAX_KEY = 40
_COLOUR = re.compile(r"^#[0-9a-f]{6}$")


class VocabularyError(Refused):
    """A change to the moment vocabulary that cannot be made; ``fields`` names each input at
    fault."""


def _shortcut_refused(message: str) -> VocabularyError:
    return VocabularyError(message, fields={"shortcut": message})


@dataclass(frozen=True)
class MomentTypeData:
    """What an administrator sets on a moment type (the key is derived, never typed)."""

    label: str
    description: str
    valence: str
    colour: str
    shortcut: str | None


def ordered_types(*, active_only: bool = False) -> Select:
    """The query of the moment types in display order; only those counsellors can tag with
    when ``active_only``."""
    query = select(MomentType).order_by(MomentType.position, MomentType.id)
    if active_only:
        query = query.where(MomentType.active.is_(True))
    return query


def all_types() -> list[MomentType]:
    """Every moment type, active and retired, in display order."""
    return list(db.scalars(ordered_types()))


def active_types() -> list[MomentType]:
    """The types counsellors can tag with, in display order."""
    return list(db.scalars(ordered_types(active_only=True)))


def group_by_valence(types: list[MomentType]) -> list[tuple[str, str, list[MomentType]]]:
    """(valence, its label in words, its types) for each valence that has a type, in a fixed
    order: escalating, de-escalating, neutral."""
    groups = []
    for valence, words in VALENCE_LABELS.items():
        members = [t for t in types if t.valence == valence]
        if members:
            groups.append((str(valence), words, members))
    return groups


def live_shortcuts(
    types: list[tuple[int, str | None]], reserved: frozenset[str] = LIVE_CONTROL_KEYS
) -> dict[int, str]:
    """The live-mode key of each type, by id, for ``(id, shortcut)`` pairs in display order.

    A type keeps its own letter (the first one, should two types claim it); the others get, in
    order, the letters no type and no control key uses, then Shift with a letter (an uppercase
    key, shown as such). Only a vocabulary of more than 50 active types leaves some without one.
    Why here and not stored: the key of a type without a letter follows from the vocabulary, so a
    type added, retired or given a letter moves the others' keys without a migration.
    """
    taken = {key.lower() for key in reserved} | {key.upper() for key in reserved}
    keys: dict[int, str] = {}
    for type_id, own in types:
        if own and own not in taken:
            keys[type_id] = own
            taken.add(own)
    free = (key for key in (*_FIRST_ROW, *_SECOND_ROW) if key not in taken)
    for type_id, _own in types:
        if type_id not in keys:
            key = next(free, None)
            if key is None:
                break
            keys[type_id] = key
    return keys


def slugify(label: str) -> str:
    """A key such as ``soft_bid`` from a label such as "Soft bid!"; empty for no letters."""
    ascii_label = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_label.lower()).strip("_")[: MAX_KEY - 4]


def _unique_key(label: str) -> str:
    base = slugify(label) or "moment"
    taken = set(db.scalars(select(MomentType.key).where(MomentType.key.like(f"{base}%"))))
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def _clean(data: MomentTypeData, moment_type: MomentType | None) -> MomentTypeData:
    """Validated, normalised data; raises VocabularyError naming every field at fault."""
    problems: dict[str, str] = {}
    label = (data.label or "").strip()
    if not label:
        problems["label"] = "Give the moment type a label."
    elif len(label) > MAX_LABEL:
        problems["label"] = f"Keep the label to {MAX_LABEL} characters or fewer."
    else:
        same_label = select(MomentType.id).where(func.lower(MomentType.label) == label.lower())
        if moment_type is not None:
            same_label = same_label.where(MomentType.id != moment_type.id)
        if db.scalar(same_label) is not None:
            problems["label"] = f"A moment type called “{label}” already exists."
    description = (data.description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        problems["description"] = f"Keep the description to {MAX_DESCRIPTION} characters or fewer."
    if data.valence not in VALENCE_LABELS:
        *others, last = (words.lower() for words in VALENCE_LABELS.values())
        problems["valence"] = f"Choose {', '.join(others)} or {last}."
    colour = (data.colour or "").strip().lower()
    if not _COLOUR.match(colour):
        problems["colour"] = "Give the colour as #rrggbb, for example #1f6f5c."
    shortcut = (data.shortcut or "").strip() or None
    active = moment_type.active if moment_type is not None else True
    if shortcut is not None:
        try:
            _check_shortcut(shortcut, moment_type, check_taken=active)
        except VocabularyError as error:
            problems.update(error.fields)
    if problems:
        raise VocabularyError(" ".join(problems.values()), fields=problems)
    return MomentTypeData(label, description, str(data.valence), colour, shortcut)


def _check_shortcut(
    shortcut: str, moment_type: MomentType | None, *, check_taken: bool = True
) -> None:
    if len(shortcut) != 1 or not ("a" <= shortcut <= "z"):
        raise _shortcut_refused("The shortcut must be one lowercase letter, a to z.")
    if shortcut in LIVE_CONTROL_KEYS:
        raise _shortcut_refused(
            f"“{shortcut}” is kept for {'undo' if shortcut == UNDO_KEY else 'a break called'} "
            "in live mode; choose another letter."
        )
    if not check_taken:
        return
    query = select(MomentType.label).where(
        MomentType.active.is_(True), MomentType.shortcut == shortcut
    )
    if moment_type is not None:
        query = query.where(MomentType.id != moment_type.id)
    holder = db.scalar(query)
    if holder is not None:
        raise _shortcut_refused(f"The shortcut “{shortcut}” is already used by “{holder}”.")


@atomic
def create_type(data: MomentTypeData) -> MomentType:
    """Add an active moment type at the end of the list, with a unique key from its label.

    Raises VocabularyError for a missing, over-long or duplicate label, an unknown valence, a
    colour not in #rrggbb form, or a shortcut that is not a free lowercase letter.
    """
    clean = _clean(data, None)
    last = db.scalar(select(func.max(MomentType.position)))
    moment_type = MomentType(
        key=_unique_key(clean.label),
        label=clean.label,
        description=clean.description,
        valence=clean.valence,
        colour=clean.colour,
        shortcut=clean.shortcut,
        active=True,
        position=(last or 0) + 1,
    )
    db.add(moment_type)
    db.flush()
    audit.record("moment_type_created", obj=moment_type, detail={"valence": clean.valence})
    return moment_type


@atomic
def update_type(moment_type: MomentType, data: MomentTypeData) -> None:
    """Change a type's label, description, valence, colour and shortcut; the key stays.

    Raises VocabularyError as ``create_type`` does.
    """
    clean = _clean(data, moment_type)
    changed = [
        name
        for name in ("label", "description", "valence", "colour", "shortcut")
        if getattr(moment_type, name) != getattr(clean, name)
    ]
    for name in changed:
        setattr(moment_type, name, getattr(clean, name))
    db.flush()
    audit.record("moment_type_updated", obj=moment_type, detail={"fields": changed})


@atomic
def set_active(moment_type: MomentType, active: bool) -> None:
    """Retire (``active=False``) or bring back a type. Its moments are kept either way.

    Raises VocabularyError when bringing back a type whose shortcut another active type now uses.
    """
    if active and moment_type.shortcut:
        try:
            _check_shortcut(moment_type.shortcut, moment_type)
        except VocabularyError as error:
            message = f"“{moment_type.label}” was not brought back: {error}"
            raise VocabularyError(message, fields={"shortcut": message}) from error
    moment_type.active = active
    db.flush()
    audit.record(
        "moment_type_reactivated" if active else "moment_type_retired",
        obj=moment_type,
        detail={"active": active},
    )
