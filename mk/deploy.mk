# Deployment validators (issue 14), each in its own virtualenv under .tools/deploy, pinned by
# tools/deploy/*.txt: helm-python-sdk, kubernetes-validate, check-jsonschema, hadolint and
# python-hcl2 in one; checkov in another (its fork of hcl2 would overwrite python-hcl2).
# Installed once; again only when a pin changes.
DEPLOY_TOOLS := .tools/deploy

$(DEPLOY_TOOLS)/%/.stamp: tools/deploy/%.txt
	rm -rf $(DEPLOY_TOOLS)/$*
	$(PYTHON) -m venv $(DEPLOY_TOOLS)/$*
	$(DEPLOY_TOOLS)/$*/bin/python -m pip install --quiet --upgrade "pip==26.3"
	$(DEPLOY_TOOLS)/$*/bin/python -m pip install --quiet --no-cache-dir -r tools/deploy/$*.txt
	touch $@

deploy-tools: $(DEPLOY_TOOLS)/validators/.stamp $(DEPLOY_TOOLS)/checkov/.stamp

# Copy the project's Prometheus rules into the chart (the PrometheusRule renders these copies;
# tests/deploy checks they are the same as observability/prometheus/rules/*.yml).
helm-rules:
	rm -f helm/mallbots/files/prometheus-rules/*.yml
	cp observability/prometheus/rules/*.yml helm/mallbots/files/prometheus-rules/

# terraform fmt where a terraform binary exists (none can be installed here): a lint, not a test.
deploy-lint:
	@if command -v terraform >/dev/null; then terraform fmt -check -recursive terraform; \
	else echo "no terraform binary: terraform fmt skipped"; fi

.PHONY: deploy-tools helm-rules deploy-lint
TEST_DEPS += $(DEPLOY_TOOLS)/validators/.stamp $(DEPLOY_TOOLS)/checkov/.stamp
