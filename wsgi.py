"""The WSGI entry point: ``gunicorn wsgi:app`` (see Procfile) and ``flask --app wsgi``."""

from piglist import create_app

app = create_app()
