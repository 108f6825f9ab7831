"""``mallbots dev``'s supervisor: a dead child is named with its exit status and restarted, with
a growing back-off while it keeps crashing."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import pytest

from backend import supervisor
from backend.supervisor import Supervisor, exit_status
from tests.support.waiting import eventually


def test_exit_statuses_are_named() -> None:
    assert exit_status(3) == "exit status 3"
    assert exit_status(-signal.SIGKILL) == "killed by SIGKILL"


async def test_a_killed_child_is_named_and_restarted_and_a_crashing_one_backs_off(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(supervisor, "FIRST_DELAY_SECONDS", 0.2)
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    crasher = [sys.executable, "-c", "raise SystemExit(3)"]
    processes = Supervisor({"backend": sleeper, "gateway": crasher}, {})
    caplog.set_level(logging.ERROR, logger="mallbots")
    processes.start()
    try:
        backend, gateway = processes.children
        assert backend.process is not None
        first_pid = backend.process.pid
        backend.process.send_signal(signal.SIGKILL)

        def check() -> tuple[int, int]:
            processes.check()
            return backend.restarts, gateway.restarts

        await eventually(
            lambda: asyncio.sleep(0, check()), lambda r: r[0] >= 1 and r[1] >= 3, timeout=30
        )
        assert backend.process is not None and backend.process.pid != first_pid
        assert backend.process.poll() is None, "the restarted backend runs"
        assert f"the backend (pid {first_pid}) stopped: killed by SIGKILL" in caplog.text
        assert "the gateway" in caplog.text and "stopped: exit status 3" in caplog.text
        delays = [
            r.getMessage().rsplit("in ", 1)[1]
            for r in caplog.records
            if "gateway" in r.getMessage()
        ]
        assert delays[:3] == ["0.0 s", "0.2 s", "0.4 s"], "restarted at once, then backing off"
    finally:
        processes.stop()
    assert all(p.poll() is not None for p in processes.processes())
