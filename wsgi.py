"""WSGI entry point of the standalone tracker: ``gunicorn wsgi:app`` or ``flask --app wsgi``."""

from config import config_from_env
from practice.standalone import create_app

app = create_app(config_from_env())
