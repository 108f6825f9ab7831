import { useSyncExternalStore } from "react";

export type Role = "customer" | "store_manager" | "bot" | "admin";

/** Who is signed in, as the gateway's development log-in describes its demo users. */
export interface Principal {
  label: string;
  role: Role;
  customer_id?: string;
  store_ids?: string[];
  bot_id?: string;
}

export interface Session {
  token: string;
  principal: Principal;
}

// Per tab (sessionStorage), so that two tabs can be two users; never localStorage, which
// every tab and every later visit would share.
const KEY = "mallbots.session";
const listeners = new Set<() => void>();
let cached: { raw: string | null; session: Session | null } = { raw: null, session: null };

function read(): Session | null {
  const raw = sessionStorage.getItem(KEY);
  if (raw !== cached.raw) {
    let session: Session | null = null;
    try {
      session = raw ? (JSON.parse(raw) as Session) : null;
    } catch {
      session = null;
    }
    cached = { raw, session };
  }
  return cached.session;
}

export function signIn(session: Session): void {
  sessionStorage.setItem(KEY, JSON.stringify(session));
  for (const listener of listeners) listener();
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  for (const listener of listeners) listener();
}

export function currentSession(): Session | null {
  return read();
}

export function useSession(): Session | null {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    read,
  );
}

/**
 * The principal a bearer token from an identity provider speaks for, from its (unverified:
 * only the gateway verifies) claims: `role`, `customer_id`, `store_ids`, `bot_id`, at the top
 * level or under a namespace claim (any claim whose value is an object holding `role`).
 */
export function principalFromToken(token: string): Principal | null {
  const payload = token.split(".")[1];
  if (!payload) return null;
  let claims: Record<string, unknown>;
  try {
    const json = atob(payload.replace(/-/g, "+").replace(/_/g, "/"));
    claims = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return null;
  }
  const holder = [claims, ...Object.values(claims)].find(
    (value): value is Record<string, unknown> =>
      !!value && typeof value === "object" && typeof (value as { role?: unknown }).role === "string",
  );
  if (!holder) return null;
  const role = holder.role as Role;
  if (!["customer", "store_manager", "bot", "admin"].includes(role)) return null;
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  return {
    label: text(claims.name) ?? text(claims.sub) ?? role,
    role,
    customer_id: text(holder.customer_id),
    bot_id: text(holder.bot_id),
    store_ids: Array.isArray(holder.store_ids) ? holder.store_ids.map(String) : undefined,
  };
}
