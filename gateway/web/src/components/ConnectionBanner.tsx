import { useSyncExternalStore } from "react";
import type { ConnectionStatus } from "../api/connection";

/** Says so while live updates are reconnecting (and that nothing will be missed). */
export function ConnectionBanner({ status }: { status: ConnectionStatus }) {
  const state = useSyncExternalStore(status.subscribe, status.get);
  return (
    <div className="connection" role="status" aria-live="polite" data-state={state}>
      {state === "reconnecting"
        ? "Reconnecting to live updates… you will not miss anything."
        : state === "online"
          ? "Live"
          : ""}
    </div>
  );
}
