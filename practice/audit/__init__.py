"""The audit trail: an append-only, hash-chained log of every read and change of clinical data.

Areas record events with ``audit.record(...)`` (``from practice import audit``); the trail itself
lives in ``practice.audit.trail``.
"""

from practice.audit.trail import broken_links, record, record_denied

__all__ = ["broken_links", "record", "record_denied"]
