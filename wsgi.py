"""WSGI entry point of the standalone tracker: ``gunicorn wsgi:app`` or ``flask --app wsgi``.

Behind ``PROXY_COUNT`` trusted reverse proxies, the client's address, scheme and host are taken
from their ``X-Forwarded-*`` headers (secure cookies, HSTS and the audit log's address rely on
them); without it such headers are ignored, as anyone could send them.
"""

import os

from werkzeug.middleware.proxy_fix import ProxyFix

from config import config_from_env
from practice.standalone import create_app

app = create_app(config_from_env())

_proxies = int(os.environ.get("PROXY_COUNT", "0") or 0)
if _proxies > 0:
    app.wsgi_app = ProxyFix(
        app.wsgi_app, x_for=_proxies, x_proto=_proxies, x_host=_proxies, x_prefix=_proxies
    )
