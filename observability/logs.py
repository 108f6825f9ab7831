"""Log lines: plain text (the default of ``make run``) or JSON (``MALLBOTS_LOG_FORMAT=json``).

Every record gets ``trace_id`` and ``span_id`` (of the current span, when tracing is on),
``correlation_id`` and ``module`` (of the message or request being handled, see
:func:`handling`). Nothing else is added: no request bodies, headers or payloads, so no token
or personal data reaches the log through this formatter.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

from observability import tracing

PLAIN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(message)s"

_correlation: ContextVar[tuple[str, str] | None] = ContextVar("mallbots_log_handling", default=None)


@contextlib.contextmanager
def handling(module: str, correlation_id: str) -> Iterator[None]:
    """Log records inside the block carry this module and correlation id."""
    token = _correlation.set((module, correlation_id))
    try:
        yield
    finally:
        try:
            _correlation.reset(token)
        except ValueError:  # a generator closed from another context (a cancelled subscription)
            _correlation.set(None)


class ContextFilter(logging.Filter):
    """Adds ``trace_id`` and ``span_id``, ``correlation_id`` and ``module_name`` to each record
    that has them."""

    def filter(self, record: logging.LogRecord) -> bool:
        ids = tracing.trace_ids() if tracing.enabled() else None
        if ids is not None:
            record.trace_id, record.span_id = ids
        handling_now = _correlation.get()
        if handling_now is not None:
            record.module_name, record.correlation_id = handling_now
        return True


class Formatter(JsonFormatter):
    """One JSON object per line, with the context fields the record has."""

    def add_fields(
        self,
        log_data: dict[str, object],
        record: logging.LogRecord,
        message_dict: dict[str, object],
    ) -> None:
        super().add_fields(log_data, record, message_dict)
        module = log_data.pop("module_name", None)
        if module:
            log_data["module"] = module


def configure(level: str, fmt: str = "text") -> None:
    """Configure the root logger: ``text`` (default) or ``json`` lines on stderr."""
    if fmt not in ("text", "json"):
        raise ValueError(f"MALLBOTS_LOG_FORMAT must be text or json, got {fmt!r}")
    handler = logging.StreamHandler()
    handler.addFilter(ContextFilter())
    if fmt == "json":
        handler.setFormatter(
            Formatter(JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger"})
        )
    else:
        handler.setFormatter(logging.Formatter(PLAIN_FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
