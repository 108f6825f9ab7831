import type { ExecutionResult, SubscriptionForwarder } from "urql";
import type { Client as WsClient } from "graphql-ws";
import type { ConnectionStatus } from "./connection";

/** Waits before the n-th reconnection attempt: 250 ms doubling up to 5 s, plus jitter. */
export function backoff(attempt: number): number {
  return Math.min(5000, 250 * 2 ** attempt) + Math.floor(Math.random() * 250);
}

/** The `cursor` of a subscription payload (`{ data: { someFieldUpdated: { cursor } } }`). */
export function cursorOf(result: ExecutionResult): string | null {
  const data = result.data as Record<string, unknown> | null | undefined;
  if (!data) return null;
  for (const value of Object.values(data)) {
    if (value && typeof value === "object" && "cursor" in value) {
      const cursor = (value as { cursor: unknown }).cursor;
      if (typeof cursor === "string") return cursor;
    }
  }
  return null;
}

interface GraphQLErrorLike {
  message: string;
  extensions?: Record<string, unknown>;
}

function isErrorList(value: unknown): value is GraphQLErrorLike[] {
  return Array.isArray(value) && value.every((e) => e && typeof e.message === "string");
}

const codeOf = (error: GraphQLErrorLike) => error.extensions?.code;

/**
 * urql's subscription forwarder over graphql-ws that survives a dropped connection without
 * missing an update. Every MallBots subscription takes `after: <cursor>` and every payload
 * carries its `cursor`; when the socket closes, each subscription is started again (with
 * back-off) with `after` set to the last cursor it received, so the gateway first sends what
 * happened meanwhile, in order, then live updates. A cursor the gateway no longer keeps
 * (`CURSOR_EXPIRED`) restarts from the current state. graphql-ws's own retries are turned off
 * (`retryAttempts: 0`) because they would resend the original variables.
 */
export function resumableSubscriptions(
  ws: WsClient,
  status: ConnectionStatus,
  wait: (attempt: number) => number = backoff,
): SubscriptionForwarder {
  ws.on("connected", () => status.set("online"));
  return (request) => ({
    subscribe(sink) {
      let cursor = (request.variables?.after as string | null | undefined) ?? null;
      let stop: (() => void) | null = null;
      let timer: ReturnType<typeof setTimeout> | null = null;
      let attempt = 0;
      let closed = false;

      const dropped = () => {
        status.set("reconnecting");
        timer = setTimeout(start, wait(attempt));
        attempt += 1;
      };
      const expired = (errors: readonly GraphQLErrorLike[] | undefined) =>
        cursor !== null && !!errors?.some((e) => codeOf(e) === "CURSOR_EXPIRED");
      // Each (re)start is one graphql-ws subscription; the events of one that was replaced
      // (its late `complete`, say) are ignored.
      let generation = 0;
      const start = () => {
        timer = null;
        if (closed) return;
        const mine = ++generation;
        const current = () => !closed && mine === generation;
        const restartFresh = () => {
          generation += 1;
          stop?.();
          cursor = null;
          timer = setTimeout(start, 0);
        };
        stop = ws.subscribe(
          {
            query: request.query ?? "",
            operationName: request.operationName,
            variables: { ...request.variables, after: cursor },
            extensions: request.extensions,
          },
          {
            next(result) {
              if (!current()) return;
              const payload = result as ExecutionResult;
              if (!payload.data && expired(payload.errors as GraphQLErrorLike[] | undefined)) {
                restartFresh();
                return;
              }
              attempt = 0;
              cursor = cursorOf(payload) ?? cursor;
              sink.next(payload);
            },
            error(error) {
              if (!current()) return;
              if (isErrorList(error)) {
                if (expired(error)) {
                  restartFresh();
                  return;
                }
                sink.next({ errors: error } as unknown as ExecutionResult);
                sink.complete();
                return;
              }
              dropped();
            },
            complete() {
              if (current()) sink.complete();
            },
          },
        );
      };

      start();
      return {
        unsubscribe() {
          closed = true;
          if (timer !== null) clearTimeout(timer);
          stop?.();
        },
      };
    },
  });
}
