# The fault suite (tests/faults) runs in `make test` on servers it starts itself. This is its
# second CI step: once more on the machine's PostgreSQL 15 and Redis 7 when they answer (what
# users deploy). The Redis database is flushed: point it at one you can throw away.
SERVICES_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
SERVICES_REDIS_URL ?= redis://127.0.0.1:6379/15

.PHONY: test-services
test-services: $(STAMP)
	$(BIN)/python -m tests.faults.services "$(SERVICES_DATABASE_URL)" "$(SERVICES_REDIS_URL)"
