"""Logging: one JSON object per line, each carrying the id of the request it belongs to.

Every request writes a line, so the line must cost little: the JSON is made here, from the
record's few fields and its extras, rather than by a general-purpose formatter (python-json-logger
took more than half of each request's logging time, renaming and filtering every attribute of
the record).
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
# A request id from the router is reused only when it looks like one, so nobody can inject log lines.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")


# Attributes every LogRecord has; whatever else a record carries came as ``extra=`` and is logged.
_RECORD_ATTRIBUTES = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "request_id"}


class JsonLineFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "request_id", ...extras, "exc_info"?}`` on one line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        for name, value in record.__dict__.items():
            if name not in _RECORD_ATTRIBUTES:
                line[name] = value
        if record.exc_info:
            line["exc_info"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


class TextLineFormatter(logging.Formatter):
    """For a person at a terminal (make run, LOG_JSON=0): a request's line says which it was,
    "GET /groups/1/piglists 200 12.3 ms", where the JSON line has the same as fields."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:
        if hasattr(record, "duration_ms"):
            fields = record.__dict__  # the request's line carries these as extra fields
            record.message = (
                f"{fields['method']} {fields['path']} {fields['status']} {fields['duration_ms']} ms"
            )
        return super().formatMessage(record)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def current_request_id() -> str:
    return g.get("request_id", "-") if has_request_context() else "-"


def init_app(app: Flask) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.set_name("piglist")
    handler.addFilter(RequestIdFilter())
    if app.config["LOG_JSON"]:
        handler.setFormatter(JsonLineFormatter())
    else:
        handler.setFormatter(TextLineFormatter())
    root = logging.getLogger()
    # Replace only our own handler: a second app (tests, the CLI) must not stack duplicates, and
    # handlers others installed (pytest's capture) stay.
    root.handlers = [h for h in root.handlers if h.get_name() != "piglist"] + [handler]
    root.setLevel(logging.INFO)
    # Werkzeug's own access log would print every request a second time, without the request id.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)

    @app.before_request
    def assign_request_id() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response):
        response.headers[REQUEST_ID_HEADER] = current_request_id()
        if "request_started" in g and request.endpoint != "static":
            app.logger.info(
                "request",
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - g.request_started) * 1000, 1),
                },
            )
        return response
