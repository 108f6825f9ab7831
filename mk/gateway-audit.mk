# The GraphQL-over-HTTP audit of graphql-http (tests/gateway/test_http_spec.py): Node and the
# npm packages pinned by tests/gateway/audit/package-lock.json.
GATEWAY_AUDIT = tests/gateway/audit/node_modules/graphql-http/package.json

$(GATEWAY_AUDIT): tests/gateway/audit/package.json tests/gateway/audit/package-lock.json
	command -v node >/dev/null && command -v npm >/dev/null || (apt-get update && apt-get install -y nodejs npm)
	npm ci --prefix tests/gateway/audit --no-audit --no-fund --ignore-scripts
	touch $(GATEWAY_AUDIT)

TEST_DEPS += $(GATEWAY_AUDIT)
