import { useEffect, useState, type FormEvent } from "react";
import { devToken, devUsers } from "../auth/devLogin";
import { principalFromToken, signIn, type Principal } from "../auth/session";

const ROLE_LABELS: Record<Principal["role"], string> = {
  customer: "Customer",
  store_manager: "Store manager",
  bot: "Bot",
  admin: "Administrator",
};

/**
 * Development: pick a demo user and get a development token from the gateway. Production: the
 * gateway has no such endpoint; paste (or, in your own client, obtain through your identity
 * provider's log-in) a bearer token.
 */
export function Login() {
  const [users, setUsers] = useState<Principal[] | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [token, setToken] = useState("");

  useEffect(() => {
    devUsers().then(setUsers, (e: Error) => {
      setUsers(null);
      setError(`The development log-in is unavailable: ${e.message}`);
    });
  }, []);

  async function pick(user: Principal) {
    setError(null);
    try {
      signIn({ token: await devToken(user), principal: user });
    } catch (e) {
      setError((e as Error).message);
    }
  }

  function submitToken(event: FormEvent) {
    event.preventDefault();
    const principal = principalFromToken(token.trim());
    if (!principal) {
      setError("That token has no MallBots role claim.");
      return;
    }
    signIn({ token: token.trim(), principal });
  }

  return (
    <main id="main" className="login">
      <h1>Sign in to MallBots</h1>
      {error ? (
        <div className="notice notice-error" role="alert">
          {error}
        </div>
      ) : null}
      {users === undefined ? <p>Loading…</p> : null}
      {users ? (
        <section aria-labelledby="demo-users">
          <h2 id="demo-users">Demo users (development)</h2>
          <ul className="cards">
            {users.map((user) => (
              <li key={`${user.role}-${user.label}`}>
                <button type="button" className="card" onClick={() => void pick(user)}>
                  <strong>{user.label}</strong>
                  <span>{ROLE_LABELS[user.role]}</span>
                </button>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <section aria-labelledby="token-login">
        <h2 id="token-login">Bearer token</h2>
        <form onSubmit={submitToken}>
          <label htmlFor="token">A token from your identity provider</label>
          <textarea
            id="token"
            rows={3}
            value={token}
            onChange={(e) => setToken(e.target.value)}
            autoComplete="off"
            spellCheck={false}
          />
          <button type="submit" disabled={!token.trim()}>
            Sign in with this token
          </button>
        </form>
      </section>
    </main>
  );
}
