import type { Principal } from "./session";

/**
 * The gateway's development log-in (only when it runs with MALLBOTS_ENV=development): the demo
 * users, and a development token for one of them. In production these endpoints do not exist;
 * the deployer's identity provider issues the bearer token instead.
 */
export async function devUsers(origin = ""): Promise<Principal[] | null> {
  const response = await fetch(`${origin}/auth/dev/users`, { headers: { accept: "application/json" } });
  if (response.status === 404) return null;
  if (!response.ok) throw new Error(`The gateway answered ${response.status}.`);
  const body = (await response.json()) as { users: Principal[] };
  return body.users;
}

export async function devToken(user: Principal, origin = ""): Promise<string> {
  const response = await fetch(`${origin}/auth/dev/token`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(user),
  });
  if (!response.ok) throw new Error(`The gateway refused the log-in (${response.status}).`);
  const body = (await response.json()) as { token: string };
  return body.token;
}
