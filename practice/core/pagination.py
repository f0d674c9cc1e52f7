"""Pages of a longer list, counted in the database: one way for every list of pages and API.

A list counts what its query selects (``window``), then fetches one page of the rows it shows,
which may be a wider query over the same records, and wraps them in a ``Page``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlalchemy import Select, func, select

from practice.core.database import db

T = TypeVar("T")


@dataclass(frozen=True)
class Window:
    """Which page of ``total`` records to show, ``per_page`` at a time."""

    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one, even for an empty list)."""
        return max(1, math.ceil(self.total / self.per_page))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and what its navigation needs."""

    items: Sequence[T]
    window: Window

    @property
    def page(self) -> int:
        return self.window.page

    @property
    def per_page(self) -> int:
        return self.window.per_page

    @property
    def total(self) -> int:
        return self.window.total

    @property
    def pages(self) -> int:
        return self.window.pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def count(query: Select) -> int:
    """How many rows ``query`` selects (its ordering ignored)."""
    return db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def window(query: Select, page: int, per_page: int, *, clamp: bool = True) -> Window:
    """The window of page ``page`` over what ``query`` selects.

    With ``clamp`` (pages), a page before the first shows the first and one past the end the
    last; without it (the API), a page past the end is simply empty.
    """
    total = count(query)
    if clamp:
        page = min(max(page, 1), max(1, math.ceil(total / per_page)))
    return Window(page=page, per_page=per_page, total=total)


def paginate(query: Select, page: int, per_page: int, *, clamp: bool = True) -> Page:
    """One page of the records ``query`` selects (ordered by the caller), as scalars."""
    shown = window(query, page, per_page, clamp=clamp)
    items = list(db.scalars(query.limit(shown.per_page).offset(shown.offset)))
    return Page(items, shown)
