"""Domain errors with a stable machine code; the HTTP layer maps them to status codes."""

from __future__ import annotations

from typing import ClassVar


class DomainError(Exception):
    """A rule of the domain was broken; ``str(error)`` is the user-facing message."""

    code: ClassVar[str] = "BAD_REQUEST"
    status: ClassVar[int] = 400


class BadRequest(DomainError):
    pass


class NotFound(DomainError):
    code = "NOT_FOUND"
    status = 404


class Unauthorized(DomainError):
    code = "UNAUTHORIZED"
    status = 401


class Conflict(DomainError):
    code = "CONFLICT"
    status = 409
