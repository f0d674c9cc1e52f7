"""Signals the tracker sends when something clinically significant happens.

Listeners (the audit log, a host application) connect with ``signal.connect(receiver)``;
receivers run inside the request, before its commit, so they must not commit either.

- ``note_signed``: a session note was signed. Sender: the ``TherapySession`` (flushed, with
  ``signed_at``, ``signed_by_id`` and ``note_sha256`` set). Keyword ``member``: the signing
  ``StaffMember``.

- ``attendance_changed``: who attended a draft session was changed. Sender: the flushed
  ``TherapySession`` with its new ``attendees``. (The scripts area marks the adoption of a
  partner who is no longer among them as "partner absent".)
- ``moment_tagged``: a cycle moment was recorded (Moments tab, live mode or API). Sender: the
  flushed ``Moment``. Keywords ``therapy_session``, ``member`` and ``source`` ("form", "live"
  or "api"). (The safety area makes a rescreen due for a threat or contempt moment at the top
  intensity: ``practice.safety.operations``.)
- ``case_record_changed``: something a case's reports show changed other than by the signals
  above (an addendum to a signed note; CSI-4 answers or adoption levels recorded at a draft).
  Sender: the ``Case``. Keywords ``what`` (``"addendum"``, ``"measure"``, ``"adoption"``,
  ``"break"``: an account of a break recorded or changed, ``"checkin"``: a partner's check-in;
  ``"case"``, ``"partner"`` or ``"status"`` for the case's own record: an edit of its fields or
  partners, a person added, a pause, closing or reopening), ``member`` (who changed it, when
  known) and ``draft`` (True for a draft's change, which comes in bursts). The reporting area
  prepares the default report again.
- ``report_generated``: a progress report PDF was generated and recorded. Sender: the
  flushed ``Report``. Keyword ``member``: the ``StaffMember`` it was generated as.
"""

from __future__ import annotations

from blinker import Namespace

signals = Namespace()

note_signed = signals.signal("note-signed", doc="A session note was signed.")
attendance_changed = signals.signal(
    "attendance-changed", doc="Who attended a draft session was changed."
)
moment_tagged = signals.signal("moment-tagged", doc="A cycle moment was tagged in a session.")
case_record_changed = signals.signal(
    "case-record-changed", doc="Something a case's reports show changed."
)
report_generated = signals.signal("report-generated", doc="A progress report PDF was generated.")
