# The reference web client (issue 15): npm packages pinned by gateway/web/package-lock.json,
# installed with `npm ci` when missing or when the lock changes; built into gateway/web/dist
# (served by the gateway at /, with dist/persisted-operations.json) when missing or when a source,
# an operation or the schema changes. `make run` builds it; `make test` builds it for the browser
# tests (tests/web), which also need Debian's chromium.
WEB         := gateway/web
WEB_MODULES := $(WEB)/node_modules/.package-lock.json
WEB_DIST    := $(WEB)/dist/index.html
WEB_SOURCES := $(shell find $(WEB)/src -type f -not -path '$(WEB)/src/gql/*' 2>/dev/null) \
	$(WEB)/index.html $(WEB)/vite.config.ts $(WEB)/codegen.ts $(WEB)/tsconfig.json gateway/schema.graphql

$(WEB_MODULES): $(WEB)/package.json $(WEB)/package-lock.json
	command -v npm >/dev/null || (apt-get update && apt-get install -y npm)
	npm ci --prefix $(WEB) --no-audit --no-fund --ignore-scripts
	touch $(WEB_MODULES)

$(WEB_DIST): $(WEB_MODULES) $(WEB_SOURCES)
	npm run --prefix $(WEB) --silent build

web: $(WEB_DIST)

.PHONY: web
run: $(WEB_DIST)
TEST_DEPS += $(WEB_DIST) $(CHROMIUM)
