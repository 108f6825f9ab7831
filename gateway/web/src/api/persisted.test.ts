import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import * as operations from "../gql/graphql";
import { createApiClient } from "./client";
import { persisted, persistedOperations } from "./persisted";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const generated = Object.entries(operations).filter(([name]) => name.endsWith("Document")) as [
  string,
  { __meta__?: { hash?: string } },
][];

describe("the persisted-operations manifest", () => {
  it("keys every document by the SHA-256 of its text", () => {
    const entries = Object.entries(persistedOperations);
    expect(entries.length).toBe(generated.length);
    for (const [hash, document] of entries) expect(sha256(document)).toBe(hash);
  });

  it("holds every operation the app uses", () => {
    for (const [name, document] of generated) {
      expect(persistedOperations, name).toHaveProperty(document.__meta__!.hash!);
      expect(() => persisted(document)).not.toThrow();
    }
  });

  it("refuses a document that is not in it", () => {
    expect(() => persisted({ __meta__: { hash: "0".repeat(64) } })).toThrow(/not in the persisted/);
  });
});

describe("what the client sends", () => {
  it("is the manifest's text, so the gateway finds it by its hash", async () => {
    const bodies: { query: string; variables: unknown }[] = [];
    const fakeFetch = (async (_url: string, init: RequestInit) => {
      bodies.push(JSON.parse(String(init.body)));
      const headers = new Headers(init.headers);
      expect(headers.get("authorization")).toBe("Bearer t0ken");
      expect(headers.get("accept")).not.toContain("text/event-stream");
      return new Response(JSON.stringify({ data: null, errors: [{ message: "x" }] }), {
        headers: { "content-type": "application/json" },
      });
    }) as typeof fetch;
    const api = createApiClient({
      url: "http://gateway.test/graphql",
      wsUrl: "ws://gateway.test/graphql",
      token: "t0ken",
      fetch: fakeFetch,
    });
    await api.client.query(persisted(operations.StoresDocument), {}).toPromise();
    await api.client
      .mutation(persisted(operations.AddBasketItemDocument), {
        input: { basketId: "b", productId: "p", quantity: 1 },
      })
      .toPromise();
    api.dispose();
    expect(bodies).toHaveLength(2);
    for (const body of bodies) {
      expect(persistedOperations[sha256(body.query)]).toBe(body.query);
    }
    expect(bodies[1].variables).toEqual({ input: { basketId: "b", productId: "p", quantity: 1 } });
  });
});
