"""What ``mallbots dev`` runs its processes under: a child that dies is named with its exit
status and started again after a back-off, so that a developer's session survives a crash."""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

log = logging.getLogger("mallbots")

FIRST_DELAY_SECONDS = 1.0
MAX_DELAY_SECONDS = 30.0
STABLE_SECONDS = 60.0
"""A child that stayed up this long is healthy again: its next crash restarts it at once."""


def exit_status(returncode: int) -> str:
    """``exit status 3`` or ``killed by SIGKILL``."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit status {returncode}"


@dataclass
class Child:
    name: str
    argv: Sequence[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None
    crashes: int = 0
    restarts: int = field(default=0)


class Supervisor:
    def __init__(self, programs: Mapping[str, Sequence[str]], env: Mapping[str, str]) -> None:
        self.children = [Child(name, argv) for name, argv in programs.items()]
        self.env = dict(env)

    def start(self) -> None:
        for child in self.children:
            self._spawn(child)

    def processes(self) -> list[subprocess.Popen[bytes]]:
        return [c.process for c in self.children if c.process is not None]

    def check(self) -> None:
        """Notice the children that died (and say so), restart those whose back-off is over."""
        now = time.monotonic()
        for child in self.children:
            process = child.process
            if process is not None and process.poll() is not None:
                if now - child.started_at >= STABLE_SECONDS:
                    child.crashes = 0
                delay = (
                    0.0 if child.crashes == 0 else FIRST_DELAY_SECONDS * 2 ** (child.crashes - 1)
                )
                delay = min(delay, MAX_DELAY_SECONDS)
                child.crashes += 1
                log.error(
                    "mallbots dev: the %s (pid %s) stopped: %s; restarting it in %.1f s",
                    child.name, process.pid, exit_status(process.returncode), delay,
                )  # fmt: skip
                child.process, child.restart_at = None, now + delay
            if child.process is None and child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._spawn(child)

    def stop(self, timeout: float = 15) -> None:
        for process in self.processes():
            if process.poll() is None:
                process.terminate()
        for process in self.processes():
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def _spawn(self, child: Child) -> None:
        child.process = subprocess.Popen(list(child.argv), env=self.env)
        child.started_at, child.restart_at = time.monotonic(), None
