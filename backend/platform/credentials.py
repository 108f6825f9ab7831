"""The development credentials of ``make run``: generated once into the data folder (mode 0600)
and found there by every ``mallbots`` command, as the servers' addresses are.

In production both come from the environment (``MALLBOTS_JWT_SECRET`` or a JWKS URL for the
gateway, ``MALLBOTS_INTERNAL_TOKEN`` for every process), and these files do not exist.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

FILES = {"MALLBOTS_JWT_SECRET": "jwt-secret", "MALLBOTS_INTERNAL_TOKEN": "internal-token"}


def ensure(data_dir: Path) -> dict[str, str]:
    """The development credentials, made now if missing; readable by their owner only."""
    data_dir.mkdir(parents=True, exist_ok=True)
    found: dict[str, str] = {}
    for variable, name in FILES.items():
        path = data_dir / name
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_urlsafe(32))
        found[variable] = path.read_text().strip()
    return found


def load_into_environment(data_dir: Path) -> None:
    """Put the development credentials, where they exist, into the environment of this process
    (and so of its children); variables already set win."""
    for variable, name in FILES.items():
        path = data_dir / name
        if variable not in os.environ and path.is_file():
            os.environ[variable] = path.read_text().strip()
