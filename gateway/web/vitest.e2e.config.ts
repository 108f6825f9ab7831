import { defineConfig } from "vitest/config";

/**
 * The browser tests: headless Debian Chromium driven by playwright-core against a running stack.
 * They are started by tests/web/test_browser.py (pytest), which runs the backend, seeds the demo
 * mall and serves this app from a gateway, then passes its address in MALLBOTS_WEB_URL.
 */
export default defineConfig({
  test: {
    environment: "node",
    include: ["e2e/**/*.test.ts"],
    // `*.control.test.ts` act on the stack through tests/web/control.py (restart the gateway):
    // collected only when pytest runs that stack and says where its controls are.
    exclude: process.env.MALLBOTS_E2E_CONTROL_URL ? [] : ["e2e/**/*.control.test.ts"],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
