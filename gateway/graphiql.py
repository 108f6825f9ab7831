"""GraphiQL served from the gateway itself, with no CDN: its browser assets come from the npm
packages installed into ``gateway/static`` (``make graphiql``, run by ``make run`` and ``make
test``), and are served under ``/graphiql/``."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

PACKAGES = Path(__file__).parent / "static" / "node_modules"

ASSETS = {
    "react.js": "react/umd/react.production.min.js",
    "react-dom.js": "react-dom/umd/react-dom.production.min.js",
    "graphiql.js": "graphiql/graphiql.min.js",
    "graphiql.css": "graphiql/graphiql.min.css",
}
"""The files the page loads, by the name it loads them under."""

PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>MallBots GraphiQL</title>
    <style>
      body { height: 100%; margin: 0; width: 100%; overflow: hidden; }
      #graphiql { height: 100vh; }
    </style>
    <link rel="stylesheet" href="/graphiql/graphiql.css" />
    <script src="/graphiql/react.js"></script>
    <script src="/graphiql/react-dom.js"></script>
    <script src="/graphiql/graphiql.js"></script>
  </head>
  <body>
    <div id="graphiql">Loading GraphiQL…</div>
    <script>
      const DEFAULT_HEADERS = __DEFAULT_HEADERS__;
      const url = window.location.href.split("?")[0].split("#")[0];
      const subscriptionUrl = url.replace(/^http/, "ws");
      // The Headers tab's headers go with every HTTP request, and GraphiQL sends the same
      // headers as the connection_init payload of its WebSocket subscriptions.
      const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl });
      const root = ReactDOM.createRoot(document.getElementById("graphiql"));
      root.render(
        React.createElement(GraphiQL, {
          fetcher,
          defaultEditorToolsVisibility: true,
          shouldPersistHeaders: true,
          defaultHeaders: DEFAULT_HEADERS,
          isHeadersEditorEnabled: true,
          defaultQuery: "{\\n  stores {\\n    id\\n    name\\n    participating\\n  }\\n}\\n",
        }),
      );
    </script>
  </body>
</html>
"""

MISSING = (
    "GraphiQL's assets are not installed: run `make graphiql` "
    "(npm ci in gateway/static), then reload."
)


def installed() -> bool:
    return all((PACKAGES / path).is_file() for path in ASSETS.values())


def page(authorization: str | None = None) -> Response:
    """The GraphiQL page; ``authorization`` prefills its Headers tab (development: an admin's
    token, so that every query and subscription can be tried at once)."""
    if not installed():
        return PlainTextResponse(MISSING, status_code=503)
    headers = {"Authorization": authorization} if authorization else {}
    text = json.dumps(json.dumps(headers, indent=2)).replace("<", "\\u003c")
    return HTMLResponse(PAGE.replace("__DEFAULT_HEADERS__", text))


async def asset(request: Request) -> Response:
    path = ASSETS.get(request.path_params["name"])
    if path is None or not (PACKAGES / path).is_file():
        return PlainTextResponse("Not Found", status_code=404)
    return FileResponse(PACKAGES / path, headers={"cache-control": "max-age=3600"})


def routes() -> list[Route]:
    return [Route("/graphiql/{name}", asset, methods=["GET"])]
