"""The notifications module's own contract: the SMS it has logged and still has to send.

Sending is a network call: it never runs inside the transaction that logs the notification.
The log row and an ``SmsRequested`` message commit together (outbox); the module's consumer then
sends the SMS with no transaction open, and a failed send is retried like any delivery.
"""

from __future__ import annotations

from dataclasses import dataclass

from backend.platform.messages import Contract, Payload

SMS_TOPIC = "mallbots.notifications.sms"


@dataclass(frozen=True)
class SmsRequested(Payload):
    """A logged notification to send (the module sends it to itself)."""

    message_name = "notificationsapi.SmsRequested"
    notification_id: str
    sms_number: str
    text: str


contract = Contract("notifications")
contract.register(SMS_TOPIC, "command", SmsRequested)
