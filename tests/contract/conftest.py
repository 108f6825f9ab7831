"""Contract tests: Pact never reports usage from here."""

from __future__ import annotations

import os

os.environ["PACT_DO_NOT_TRACK"] = "true"
