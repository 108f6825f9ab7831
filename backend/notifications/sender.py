"""The SMS gateway seam: the module "sends" through an ``SmsSender``; the default only logs."""

from __future__ import annotations

import logging
from typing import Protocol

from backend.platform.masking import mask_phone, mask_text

log = logging.getLogger(__name__)


class SmsSender(Protocol):
    async def send(self, sms_number: str, text: str) -> None:
        """Deliver ``text`` to ``sms_number``; raise to have the delivery retried."""


class LoggingSmsSender:
    """The default sender: logs each SMS instead of sending it, masked (the number and the text
    are personal data; the notifications log in the database keeps them)."""

    async def send(self, sms_number: str, text: str) -> None:
        log.info("SMS to %s: %s", mask_phone(sms_number), mask_text(text))
