// @vitest-environment node
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buildSchema, GraphQLError, parse } from "graphql";
import { createClient } from "graphql-ws";
import { useServer } from "graphql-ws/lib/use/ws";
import { Client, subscriptionExchange, type CombinedError } from "urql";
import { afterEach, describe, expect, it, vi } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import { connectionStatus } from "./connection";
import { resumableSubscriptions } from "./resumable";

/**
 * A real graphql-ws server whose `ticks` subscription behaves like the gateway's: without
 * `after` the current state first, with `after: <cursor>` every update after it, then live ones.
 */
const schema = buildSchema(`
  type Query { ok: Boolean }
  type Tick { cursor: String! n: Int! }
  type Subscription { ticks(after: String): Tick! }
`);

function gatewayLike() {
  const log: number[] = [];
  const wake = new Set<() => void>();
  const subscribed: Record<string, unknown>[] = [];
  let http: Server | null = null;
  let wss: WebSocketServer | null = null;

  async function* after(start: number) {
    let i = start;
    for (;;) {
      while (i < log.length) {
        yield { ticks: { cursor: String(i + 1), n: log[i] } };
        i += 1;
      }
      await new Promise<void>((resolve) => wake.add(resolve));
    }
  }

  const roots = {
    ticks({ after: cursor }: { after?: string | null }) {
      if (cursor === "expired") {
        throw new GraphQLError("the cursor is too old", { extensions: { code: "CURSOR_EXPIRED" } });
      }
      if (cursor === "forbidden") {
        throw new GraphQLError("not yours", { extensions: { code: "FORBIDDEN" } });
      }
      return after(cursor == null ? Math.max(log.length - 1, 0) : Number(cursor));
    },
  };

  return {
    subscribed,
    publish(n: number) {
      log.push(n);
      for (const resolve of [...wake]) resolve();
      wake.clear();
    },
    async start(port = 0): Promise<number> {
      http = createServer();
      wss = new WebSocketServer({ server: http, path: "/graphql" });
      useServer(
        {
          schema,
          roots: { subscription: roots },
          onSubscribe: (_ctx, message) => {
            subscribed.push({ ...(message.payload.variables ?? {}) });
          },
        },
        wss,
      );
      await new Promise<void>((resolve) => http!.listen(port, "127.0.0.1", resolve));
      return (http.address() as AddressInfo).port;
    },
    async stop() {
      for (const socket of wss?.clients ?? []) socket.terminate();
      await new Promise<void>((resolve) => wss!.close(() => resolve()));
      await new Promise<void>((resolve) => http!.close(() => resolve()));
    },
  };
}

const TICKS = parse("subscription Ticks($after: String) { ticks(after: $after) { cursor n } }");

function client(port: number) {
  const status = connectionStatus();
  const ws = createClient({
    url: `ws://127.0.0.1:${port}/graphql`,
    webSocketImpl: WebSocket,
    retryAttempts: 0,
  });
  const urql = new Client({
    url: `http://127.0.0.1:${port}/graphql`,
    exchanges: [subscriptionExchange({ forwardSubscription: resumableSubscriptions(ws, status, () => 20) })],
  });
  return { status, ws, urql };
}

let cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

describe("resumable subscriptions", () => {
  it("resume after a dropped connection with the last cursor, missing nothing", async () => {
    const server = gatewayLike();
    server.publish(1);
    const port = await server.start();
    const { status, ws, urql } = client(port);
    const seen: number[] = [];
    const states: string[] = [];
    status.subscribe(() => states.push(status.get()));
    const { unsubscribe } = urql
      .subscription(TICKS, {})
      .subscribe((result) => seen.push((result.data as { ticks: { n: number } }).ticks.n));
    cleanups.push(() => server.stop(), () => ws.dispose(), unsubscribe);

    await vi.waitFor(() => expect(seen).toEqual([1]));
    server.publish(2);
    await vi.waitFor(() => expect(seen).toEqual([1, 2]));

    await server.stop();
    await vi.waitFor(() => expect(status.get()).toBe("reconnecting"));
    server.publish(3);
    server.publish(4);
    await server.start(port);

    await vi.waitFor(() => expect(seen).toEqual([1, 2, 3, 4]));
    server.publish(5);
    await vi.waitFor(() => expect(seen).toEqual([1, 2, 3, 4, 5]));
    expect(status.get()).toBe("online");
    expect(states).toContain("reconnecting");
    expect(server.subscribed[0]).toEqual({ after: null });
    expect(server.subscribed.at(-1)).toEqual({ after: "2" });
  });

  it("start again from the current state when the cursor has expired", async () => {
    const server = gatewayLike();
    server.publish(7);
    server.publish(8);
    const port = await server.start();
    const { ws, urql } = client(port);
    const seen: number[] = [];
    const { unsubscribe } = urql
      .subscription(TICKS, { after: "expired" })
      .subscribe((result) => seen.push((result.data as { ticks: { n: number } }).ticks.n));
    cleanups.push(() => server.stop(), () => ws.dispose(), unsubscribe);

    await vi.waitFor(() => expect(seen).toEqual([8]));
    expect(server.subscribed).toEqual([{ after: "expired" }, { after: null }]);
  });

  it("report any other GraphQL error to the page and do not retry", async () => {
    const server = gatewayLike();
    const port = await server.start();
    const { ws, urql } = client(port);
    const errors: CombinedError[] = [];
    const { unsubscribe } = urql.subscription(TICKS, { after: "forbidden" }).subscribe((result) => {
      if (result.error) errors.push(result.error);
    });
    cleanups.push(() => server.stop(), () => ws.dispose(), unsubscribe);

    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0].graphQLErrors[0].extensions.code).toBe("FORBIDDEN");
    expect(server.subscribed).toHaveLength(1);
  });
});
