# promtool (Debian's prometheus package) for the alert rule unit tests (tests/observability).
PROMTOOL = /usr/bin/promtool

$(PROMTOOL):
	command -v promtool >/dev/null || (apt-get update && apt-get install -y --no-install-recommends prometheus)

TEST_DEPS += $(PROMTOOL)
