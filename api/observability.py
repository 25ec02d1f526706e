"""Structured JSON logs and the request id (``X-Request-ID``) that ties them together."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from typing import Any

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from api.security import redact_path

__all__ = [
    "JsonFormatter",
    "RequestIdMiddleware",
    "configure_logging",
    "ensure_request_id_header",
    "request_id_var",
]

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
access_log = logging.getLogger("academy.access")
# A credential offer's URL is a bearer secret (it hands out the pre-authorised code).


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if rid := request_id_var.get():
            entry["request_id"] = rid
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        root.setLevel(level)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).disabled = True


def _request_id(scope: Scope) -> str:
    state = scope.setdefault("state", {})
    if rid := state.get("request_id"):
        return rid
    incoming = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), "")
    rid = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
    state["request_id"] = rid
    return rid


async def ensure_request_id_header(message: Message, scope: Scope) -> None:
    """App-level ``before_send`` hook, so even unrouted 404s carry ``X-Request-ID``."""
    if message["type"] == "http.response.start":
        rid = _request_id(scope).encode()
        message["headers"] = [*message.get("headers", []), (b"x-request-id", rid)]


class RequestIdMiddleware:
    """Accepts a sane incoming ``X-Request-ID`` or makes one; echoes it; logs one access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        token = request_id_var.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    "request",
                    extra={"fields": {
                        "method": scope["method"],
                        "path": redact_path(scope["path"]),  # no share or learner tokens
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    }},
                )
            request_id_var.reset(token)
