"""gunicorn settings for the standalone tracker (``make serve``).

Read from the environment: ``HOST`` and ``PORT`` (bind), ``WEB_CONCURRENCY`` (workers; default
two per CPU plus one), ``GUNICORN_THREADS`` (threads per worker; default 1, the sync worker),
``GUNICORN_TIMEOUT`` and ``PROXY_COUNT`` (how many reverse proxies in front set the
``X-Forwarded-*`` headers; 0, the default, trusts none of them).
"""

from __future__ import annotations

import multiprocessing
import os

wsgi_app = "wsgi:app"
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
workers = int(os.environ.get("WEB_CONCURRENCY") or multiprocessing.cpu_count() * 2 + 1)
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# A progress report renders in a second or two; a stuck worker is replaced after this.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
# Workers are recycled now and then: long-lived PDF rendering grows memory.
max_requests = 2000
max_requests_jitter = 200
# The app is built once, before the workers fork: it opens no database connection on import,
# and the instance folder's secret key is created by one process, not raced for by all.
preload_app = True

# gunicorn's own X-Forwarded-Proto handling is off: ProxyFix in wsgi.py (PROXY_COUNT) is the
# one place that decides which forwarded headers to trust.
secure_scheme_headers: dict[str, str] = {}

# Workers touch a heartbeat file between requests; on a disk shared with the database's
# fsyncs that touch can stall for hundreds of milliseconds, so it lives in memory when it can.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

accesslog = "-"
errorlog = "-"
# Never the request line (%(r)s) or the referrer (%(f)s): both carry query strings, which may
# hold a search for a client's name. The path alone, and the app's request id to match its log.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
# Successful /healthz and /readyz probes are not logged; PRACTICE_LOG_JSON=1 makes the access
# lines JSON like the app's.
logger_class = "practice.web.gunicorn_logging.PracticeLogger"
# gunicorn 23+ opens a control socket in ~/.gunicorn by default, shared by every instance on
# the host (each new one unlinks the last one's). The tracker does not use it.
control_socket_disable = True


def when_ready(server) -> None:
    """Before the workers fork: compile the tracker's templates and load the PDF engine once,
    so that no worker (nor one recycled by ``max_requests``) pays for it on a user's request."""
    app = server.app.wsgi()
    for name in app.jinja_env.list_templates(extensions=["html"]):
        if name.startswith("practice/"):
            app.jinja_env.get_template(name)
    import practice.reports.pdf  # noqa: F401  (WeasyPrint takes a second to import)
