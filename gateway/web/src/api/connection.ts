/** Whether the live (WebSocket) connection is up, for the "reconnecting" banner. */
export type ConnectionState = "idle" | "online" | "reconnecting";

export interface ConnectionStatus {
  get(): ConnectionState;
  set(state: ConnectionState): void;
  subscribe(listener: () => void): () => void;
}

export function connectionStatus(): ConnectionStatus {
  let state: ConnectionState = "idle";
  const listeners = new Set<() => void>();
  return {
    get: () => state,
    set(next) {
      if (next === state) return;
      state = next;
      for (const listener of listeners) listener();
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
