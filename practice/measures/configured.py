"""The practice's registry of measures: the shipped ones, and those it adds by configuration.

A practice licensed to use other measures (the ORS and SRS, say) lists their definitions in a
JSON file named by ``PRACTICE_MEASURES_FILE``: ``{"measures": [{...}, ...]}``, each as
``practice.measures.registry.definition_from_dict`` reads it (an example, not enabled by default:
``practice/measures/examples/ors_srs.json``). The file is read and checked when the app starts
(``practice.extension``), so a mistake stops the start with a message naming the measure and the
field, rather than the first page that needs it. ``PRACTICE_CSI4_RELIABLE_CHANGE`` still sets the
CSI-4's index; ``PRACTICE_SPLIT_ALLIANCE_GAP`` the gap between partners' alliance scores that
raises the split-alliance alert.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from practice.measures.registry import DefinitionError, MeasureDefinition, Use, definition_from_dict
from practice.measures.settings import reliable_change_index
from practice.measures.shipped import CSI4, SHIPPED

MEASURES_FILE_KEY = "PRACTICE_MEASURES_FILE"
SPLIT_ALLIANCE_GAP_KEY = "PRACTICE_SPLIT_ALLIANCE_GAP"
DEFAULT_SPLIT_ALLIANCE_GAP = 4.0


@dataclass(frozen=True)
class Registry:
    """The measures this practice uses, shipped first, in a fixed order."""

    definitions: tuple[MeasureDefinition, ...]

    def get(self, key: str) -> MeasureDefinition | None:
        return next((d for d in self.definitions if d.key == key), None)

    def __getitem__(self, key: str) -> MeasureDefinition:
        definition = self.get(key)
        if definition is None:
            raise KeyError(key)
        return definition

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(d.key for d in self.definitions)

    @property
    def session_measures(self) -> tuple[MeasureDefinition, ...]:
        """Those recorded on a session's measures tab (not HITS: the safety screen's)."""
        return tuple(d for d in self.definitions if d.use == Use.SESSION)

    @property
    def alliance_measures(self) -> tuple[MeasureDefinition, ...]:
        return tuple(d for d in self.definitions if d.is_alliance)


def parse_measures(text: str, source: str = "the measures file") -> tuple[MeasureDefinition, ...]:
    """The definitions in a JSON text; raises DefinitionError naming ``source``."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise DefinitionError(f"{source} is not valid JSON: {error}") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("measures"), list):
        raise DefinitionError(f'{source} must hold {{"measures": [...]}}')
    shipped = {d.key for d in SHIPPED}
    definitions: list[MeasureDefinition] = []
    for raw in data["measures"]:
        try:
            definition = definition_from_dict(raw)
        except DefinitionError as error:
            raise DefinitionError(f"{source}: {error}") from None
        if definition.key in shipped or definition.key in {d.key for d in definitions}:
            raise DefinitionError(f"{source}: measure {definition.key} is defined twice")
        definitions.append(definition)
    return tuple(definitions)


@lru_cache(maxsize=8)
def _file_measures(path: str, modified: float) -> tuple[MeasureDefinition, ...]:
    return parse_measures(Path(path).read_text(encoding="utf-8"), source=path)


def configured_measures(config: Mapping[str, Any]) -> tuple[MeasureDefinition, ...]:
    """The definitions of ``PRACTICE_MEASURES_FILE`` (none when unset); read again when the
    file changes. Raises DefinitionError for a missing or bad file."""
    path = config.get(MEASURES_FILE_KEY)
    if not path:
        return ()
    file = Path(path)
    if not file.is_file():
        raise DefinitionError(f"{MEASURES_FILE_KEY} names no file: {path}")
    return _file_measures(str(file), file.stat().st_mtime)


def measure_registry(config: Mapping[str, Any]) -> Registry:
    """The practice's registry: the shipped measures (the CSI-4 with the practice's
    reliable-change index) and the configured ones. Raises ValueError on a bad setting."""
    csi4 = dataclasses.replace(CSI4, reliable_change=reliable_change_index(config))
    shipped = tuple(csi4 if d.key == CSI4.key else d for d in SHIPPED)
    return Registry(shipped + configured_measures(config))


def other_session_measures(config: Mapping[str, Any]) -> tuple[MeasureDefinition, ...]:
    """The session measures other than the CSI-4 (each with its own page on a session)."""
    return tuple(d for d in measure_registry(config).session_measures if d.key != CSI4.key)


def split_alliance_gap(config: Mapping[str, Any]) -> float:
    """The gap between partners' alliance scores at one session that raises the split-alliance
    alert (``PRACTICE_SPLIT_ALLIANCE_GAP``, default 4). Raises ValueError unless above 0."""
    raw = config.get(SPLIT_ALLIANCE_GAP_KEY)
    if raw is None:
        return DEFAULT_SPLIT_ALLIANCE_GAP
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ValueError(f"{SPLIT_ALLIANCE_GAP_KEY} must be a number, got {raw!r}") from None
    if isinstance(raw, bool) or not value > 0:
        raise ValueError(f"{SPLIT_ALLIANCE_GAP_KEY} must be above 0, got {raw!r}")
    return value


def check_settings(config: Mapping[str, Any]) -> None:
    """Raise ValueError (DefinitionError) for a bad measures file or alliance gap."""
    measure_registry(config)
    split_alliance_gap(config)
