"""The couples-cycle case tracker, a Flask extension.

Mount it in a host app with ``Practice().init_app(app, url_prefix="/practice")``, or run the
standalone app from ``practice.standalone.create_app``.
"""

from practice.core.settings import HostSetupError
from practice.extension import Practice

__all__ = ["HostSetupError", "Practice"]
