/// <reference types="vitest/config" />
import { readFileSync } from "node:fs";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

const MANIFEST = "src/gql/persisted-documents.json";
const GATEWAY = process.env.MALLBOTS_GATEWAY_URL ?? "http://127.0.0.1:8000";

/**
 * Writes GraphQL Code Generator's persisted documents into the build as
 * `persisted-operations.json` (`{"<sha256 of document>": "<document>"}`), for the gateway.
 */
function persistedOperations(): Plugin {
  return {
    name: "mallbots-persisted-operations",
    apply: "build",
    generateBundle() {
      this.emitFile({
        type: "asset",
        fileName: "persisted-operations.json",
        source: readFileSync(MANIFEST, "utf8"),
      });
    },
  };
}

export default defineConfig({
  plugins: [react(), persistedOperations()],
  build: { outDir: "dist", emptyOutDir: true, sourcemap: true },
  server: {
    // `npm run dev`: Vite's dev server, with the API of a gateway started by `make run`.
    proxy: { "/graphql": { target: GATEWAY, ws: true }, "/auth": GATEWAY },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.{ts,tsx}"],
    setupFiles: ["src/test/setup.ts"],
    restoreMocks: true,
    // graphql-ws's server (in the client tests) must use the same graphql module as the tests.
    server: { deps: { inline: ["graphql-ws"] } },
  },
});
