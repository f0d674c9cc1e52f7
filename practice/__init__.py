"""The couples-cycle case tracker, a Flask extension.

Mount it in a host app with ``Practice().init_app(app, url_prefix="/practice")``, or run the
standalone app from ``practice.standalone.create_app``.
"""

from practice.extension import HostSetupError, Practice

__all__ = ["HostSetupError", "Practice"]
