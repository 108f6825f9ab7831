"""The create-order saga's contract: its reply channel and the replies it accepts."""

from __future__ import annotations

from backend.depot.messages import REPLY_TOPIC, CreatedShoppingListReply
from backend.platform.messages import Contract
from backend.platform.saga import Failure, Success

SAGA_NAME = "cosec.CreateOrder"

contract = Contract("cosec")
contract.register(REPLY_TOPIC, "reply", Success, Failure, CreatedShoppingListReply)
