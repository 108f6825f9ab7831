"""Named fault points for the crash tests.

``MALLBOTS_FAULT_PAUSE=<point>`` makes the process announce that it reached ``<point>`` (a line
``FAULT <point>`` on stderr) and then hang there, so a test can SIGKILL it at exactly that moment.
Unset (always, outside tests) a fault point costs one dictionary lookup.
"""

from __future__ import annotations

import asyncio
import os
import sys


async def point(name: str) -> None:
    if os.environ.get("MALLBOTS_FAULT_PAUSE") == name:
        print(f"FAULT {name}", file=sys.stderr, flush=True)
        await asyncio.Event().wait()
