# syntax=docker/dockerfile:1
# One image for every role of MallBots; the command picks it:
#   mallbots gateway | mallbots backend --modules all | mallbots migrate
# Dependencies come from constraints.txt, so the image runs exactly what the tests ran.

# The reference web client (gateway/web), served by the gateway at /: built with its pinned npm
# packages; only its dist/ reaches the image.
FROM node:22.12.0-bookworm-slim AS web
WORKDIR /src/gateway/web
COPY gateway/web/package.json gateway/web/package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY gateway/schema.graphql /src/gateway/schema.graphql
COPY gateway/web ./
RUN npm run build

FROM python:3.11.14-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/mallbots \
    && /opt/mallbots/bin/pip install --no-cache-dir "pip==26.3"
COPY constraints.txt pyproject.toml README.md LICENSE ./
COPY backend ./backend
COPY gateway ./gateway
COPY observability ./observability
# A regular (non-editable) install: the final stage needs no source tree.
RUN /opt/mallbots/bin/pip install --no-cache-dir -c constraints.txt . \
    && /opt/mallbots/bin/python -m compileall -q /opt/mallbots/lib

FROM python:3.11.14-slim-bookworm AS runtime
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="mallbots" \
      org.opencontainers.image.description="MallBots: a GraphQL gateway over an event-sourced backend (PostgreSQL, Redis Streams)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.source="https://github.com/mallbots/mallbots"
ENV PATH=/opt/mallbots/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    MALLBOTS_BACKEND_HOST=0.0.0.0 \
    MALLBOTS_GATEWAY_HOST=0.0.0.0 \
    MALLBOTS_DATA_DIR=/tmp/mallbots \
    HOME=/tmp
RUN groupadd --system --gid 10001 mallbots \
    && useradd --system --uid 10001 --gid mallbots --no-create-home --shell /usr/sbin/nologin mallbots
COPY --from=build /opt/mallbots /opt/mallbots
COPY --from=web /src/gateway/web/dist /opt/mallbots/lib/python3.11/site-packages/gateway/web/dist
USER 10001:10001
WORKDIR /tmp
EXPOSE 8000 8080
# Probes the backend's port (the default role); the gateway's container overrides it with its own
# port (docker-compose.yml), and Kubernetes uses its own probes instead.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('MALLBOTS_BACKEND_PORT', '8080'), timeout=2)"]
ENTRYPOINT ["mallbots"]
CMD ["backend", "--modules", "all"]
