"""A logging filter that masks personal data in every record it passes: SMS numbers and the
texts of notifications, wherever they appear (a validation error that echoes a variable, a
request URL with variables in its query string, a backend message).

Installed on the handlers of every ``mallbots`` process (``backend/cli.py``), so it also covers
the records of libraries (uvicorn's access log, Strawberry). The numbers are found by their
shape (7 to 15 digits with the separators an SMS number may have, and not part of a longer
token such as a UUID); the texts by the names of the fields that carry them.
"""

from __future__ import annotations

import logging
import re

from backend.platform.masking import mask_phone, mask_text

_PHONE = re.compile(r"(?<![\w.:/-])(?!\d{13}-\d)\+?\d(?:[ ().-]{0,2}\d){6,14}(?![\w-])")
"""7 to 15 digits with separators; not a Redis stream entry id (milliseconds-sequence)."""
_FIELDS = re.compile(
    r"""(?P<key>["']?(?:smsNumber|sms_number|text|notificationText)["']?\s*[:=]\s*)"""
    r"""(?P<quote>["'])(?P<value>(?:\\.|(?!(?P=quote)).)*)(?P=quote)"""
)


def _mask_field(match: re.Match[str]) -> str:
    key, quote, value = match["key"], match["quote"], match["value"]
    masked = mask_phone(value) if "ms" in key.lower() else mask_text(value)
    return f"{key}{quote}{masked}{quote}"


def mask(text: str) -> str:
    """``text`` with SMS numbers and notification texts masked."""
    text = _FIELDS.sub(_mask_field, text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)


def _masked_arg(value: object) -> object:
    if value is None or isinstance(value, bool | int | float):
        return value  # numbers keep their type: a %d placeholder needs one
    return mask(str(value))


class PersonalDataFilter(logging.Filter):
    """Masks the message, the arguments and a traceback's text of each record; never drops one.

    The arguments stay separate (some formatters, uvicorn's access log among them, unpack them)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask(str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(_masked_arg(arg) for arg in record.args)
        elif isinstance(record.args, dict):
            record.args = {key: _masked_arg(arg) for key, arg in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask(record.exc_text)
        return True


def install(*names: str) -> None:
    """Add the filter to every handler of the root logger and of the loggers ``names`` (those
    that do not propagate, such as uvicorn's)."""
    for logger in (logging.getLogger(), *(logging.getLogger(n) for n in names)):
        for handler in logger.handlers:
            if not any(isinstance(f, PersonalDataFilter) for f in handler.filters):
                handler.addFilter(PersonalDataFilter())
