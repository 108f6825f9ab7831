# Contracts (README "Contracts"): the Pact Broker workflow. Not part of `make test`, which verifies
# the committed pacts in tests/contract/pacts/ without a broker. These targets need
# PACT_BROKER_BASE_URL (and PACT_BROKER_TOKEN, read by the pact CLI and the verifier from the
# environment). Versions are the git commit and branch; GIT_COMMIT / GIT_BRANCH override them.
export PACT_DO_NOT_TRACK := true

PACT             = $(BIN)/pact
PACT_DIR         = tests/contract/pacts
PACTICIPANTS     = gateway $(addsuffix -api,stores customers baskets ordering payments depot notifications search cosec)
PACT_ENVIRONMENT ?= production
GIT_COMMIT       ?= $(shell git rev-parse HEAD)
GIT_BRANCH       ?= $(shell git rev-parse --abbrev-ref HEAD)

.PHONY: pact-broker-env pact-publish pact-verify-broker can-i-deploy pact-record-deployment

pact-broker-env:
	@test -n "$$PACT_BROKER_BASE_URL" || { echo "set PACT_BROKER_BASE_URL (and PACT_BROKER_TOKEN)" >&2; exit 1; }

# The consumers' pacts (every file is one consumer's), under this commit and branch.
pact-publish: $(STAMP) pact-broker-env
	$(PACT) broker publish $(PACT_DIR) --consumer-app-version $(GIT_COMMIT) --branch $(GIT_BRANCH)

# The providers verify the broker's pacts (main branch, matching branch, deployed or released;
# pending and WIP pacts enabled) and publish their results under this commit and branch.
pact-verify-broker: $(STAMP) pact-broker-env
	GIT_COMMIT=$(GIT_COMMIT) GIT_BRANCH=$(GIT_BRANCH) $(BIN)/pytest tests/contract/test_providers.py -k honours

# Whether this commit of every participant can go to PACT_ENVIRONMENT.
can-i-deploy: $(STAMP) pact-broker-env
	for participant in $(PACTICIPANTS); do \
	  $(PACT) broker can-i-deploy --pacticipant $$participant --version $(GIT_COMMIT) \
	    --to-environment $(PACT_ENVIRONMENT) --retry-while-unknown 12 --retry-interval 10 || exit 1; \
	done

# After a deployment: tell the broker which versions now run in PACT_ENVIRONMENT.
pact-record-deployment: $(STAMP) pact-broker-env
	for participant in $(PACTICIPANTS); do \
	  $(PACT) broker record-deployment --pacticipant $$participant --version $(GIT_COMMIT) \
	    --environment $(PACT_ENVIRONMENT) || exit 1; \
	done
