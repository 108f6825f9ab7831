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


class Unauthenticated(DomainError):
    """No valid credential (the backend's service credential, a forwarded principal)."""

    code = "UNAUTHENTICATED"
    status = 401


class Forbidden(DomainError):
    """A known principal that may not do this."""

    code = "FORBIDDEN"
    status = 403


class Conflict(DomainError):
    code = "CONFLICT"
    status = 409
