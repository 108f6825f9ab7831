import { Client, fetchExchange, subscriptionExchange } from "urql";
import { createClient as createWsClient, type Client as WsClient } from "graphql-ws";
import { connectionStatus, type ConnectionStatus } from "./connection";
import { resumableSubscriptions } from "./resumable";

export interface ApiClient {
  client: Client;
  ws: WsClient;
  connection: ConnectionStatus;
  dispose(): void;
}

export interface ApiOptions {
  /** The gateway's GraphQL endpoint over HTTP, e.g. `https://mall.example/graphql`. */
  url: string;
  /** The same endpoint over WebSocket, e.g. `wss://mall.example/graphql`. */
  wsUrl: string;
  /** The bearer token of the signed-in user, if any. */
  token: string | null;
  /** For tests: a WebSocket class (Node's `ws`) and a `fetch`. */
  webSocketImpl?: unknown;
  fetch?: typeof fetch;
}

/** The same-origin endpoints of the gateway that serves this app. */
export function gatewayEndpoints(location: Location = window.location) {
  const url = `${location.origin}/graphql`;
  return { url, wsUrl: url.replace(/^http/, "ws") };
}

/**
 * One urql client for one signed-in session: queries and mutations over HTTP, subscriptions over
 * graphql-transport-ws (graphql-ws), both carrying the bearer token. No document cache: every
 * screen that shows changing data subscribes to it, and urql's cache would add `__typename`
 * to the documents, which would no longer match the persisted-operations manifest.
 */
export function createApiClient(options: ApiOptions): ApiClient {
  const authorization = options.token ? `Bearer ${options.token}` : null;
  const connection = connectionStatus();
  const ws = createWsClient({
    url: options.wsUrl,
    lazy: true,
    retryAttempts: 0,
    connectionAckWaitTimeout: 10_000,
    connectionParams: () => (authorization ? { Authorization: authorization } : {}),
    ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
  });
  const client = new Client({
    url: options.url,
    preferGetMethod: false,
    requestPolicy: "network-only",
    ...(options.fetch ? { fetch: options.fetch } : {}),
    // Plain JSON answers: without this, urql also accepts text/event-stream, and the gateway
    // (which speaks GraphQL over SSE) would stream even a query's single result.
    fetchOptions: (): RequestInit => ({
      headers: {
        accept: "application/graphql-response+json, application/json",
        ...(authorization ? { Authorization: authorization } : {}),
      },
    }),
    exchanges: [
      fetchExchange,
      subscriptionExchange({ forwardSubscription: resumableSubscriptions(ws, connection) }),
    ],
  });
  return { client, ws, connection, dispose: () => void ws.dispose() };
}
