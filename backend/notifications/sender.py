"""The SMS gateway seam: the module "sends" through an ``SmsSender``; the default only logs."""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger(__name__)


class SmsSender(Protocol):
    async def send(self, sms_number: str, text: str) -> None:
        """Deliver ``text`` to ``sms_number``; raise to have the delivery retried."""


class LoggingSmsSender:
    """The default sender: writes each SMS to the log instead of a real gateway."""

    async def send(self, sms_number: str, text: str) -> None:
        log.info("SMS to %s: %s", sms_number, text)
