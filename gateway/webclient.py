"""The reference web client, served at ``/``: the single-page app that ``make web`` builds from
``gateway/web`` into ``gateway/web/dist`` (``make run`` and ``make test`` build it when missing).

It is served from the application's 404 handler rather than from a catch-all route, so that it
never shadows a route, whatever the order routes are declared in: a request that no route
answers gets the built file at its path, or, for a page (a ``GET`` asking for HTML, such as
``/orders/<id>``), the app's ``index.html``, and the client-side router shows the page.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

DIST = Path(__file__).parent / "web" / "dist"

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}
"""Sent with the page: it loads nothing but its own scripts and styles and talks only to its
own origin (``connect-src 'self'`` covers the WebSocket of the same host)."""

IMMUTABLE = "public, max-age=31536000, immutable"
"""For ``/assets/*``: Vite puts a content hash in every name there."""

MISSING = (
    "The web client is not built: run `make web` (npm ci and vite build in gateway/web), "
    "then reload."
)


def _built_file(dist: Path, path: str) -> Path | None:
    root = dist.resolve()
    candidate = (root / path.lstrip("/")).resolve()
    if candidate != root and candidate.is_relative_to(root) and candidate.is_file():
        return candidate
    return None


def _wants_page(request: Request) -> bool:
    last = request.url.path.rsplit("/", 1)[-1]
    return "." not in last and "text/html" in request.headers.get("accept", "")


def fallback(dist: Path = DIST) -> Callable[[Request, Exception], Awaitable[Response]]:
    """The 404 handler that serves the web client built into ``dist``."""

    async def not_found(request: Request, exc: Exception) -> Response:
        if request.method in ("GET", "HEAD"):
            file = _built_file(dist, request.url.path)
            if file is not None:
                immutable = request.url.path.startswith("/assets/")
                cache = IMMUTABLE if immutable else "no-cache"
                headers = {"cache-control": cache, "x-content-type-options": "nosniff"}
                if file.name == "index.html":
                    headers.update(SECURITY_HEADERS)
                return FileResponse(file, headers=headers)
            if _wants_page(request):
                index = dist / "index.html"
                if not index.is_file():
                    return PlainTextResponse(MISSING, status_code=503)
                headers = {"cache-control": "no-cache", **SECURITY_HEADERS}
                return FileResponse(index, headers=headers)
        return PlainTextResponse("Not Found", status_code=404)

    return not_found
