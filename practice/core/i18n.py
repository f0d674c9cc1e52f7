"""Translation of the tracker's words: ``_`` for a message in a request, ``_l`` for one defined
at import time (form labels, module-level messages), read when it is shown.

The tracker's messages are their own gettext domain, ``practice``, with catalogues in
``practice/translations/<locale>/LC_MESSAGES/practice.mo`` (``make messages`` extracts them into
``practice/translations/practice.pot``), so a host app's own catalogues never clash with them.
Outside a request (the command line, a report job) a message is its English text.
"""

from __future__ import annotations

from pathlib import Path

from flask_babel import Domain

DOMAIN_NAME = "practice"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"

domain = Domain(translation_directories=[str(TRANSLATIONS)], domain=DOMAIN_NAME)

gettext = domain.gettext
ngettext = domain.ngettext
lazy_gettext = domain.lazy_gettext
_ = gettext
_l = lazy_gettext
