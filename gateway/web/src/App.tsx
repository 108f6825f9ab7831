import { useEffect, useMemo } from "react";
import { Provider } from "urql";
import { Redirect, Route, Switch } from "wouter";
import { createApiClient, gatewayEndpoints } from "./api/client";
import { Layout, navigationFor } from "./components/Layout";
import { useSession, type Session } from "./auth/session";
import { Bot } from "./pages/Bot";
import { Invoices } from "./pages/Invoices";
import { Login } from "./pages/Login";
import { Manage } from "./pages/Manage";
import { Order } from "./pages/Order";
import { Orders } from "./pages/Orders";
import { Shop } from "./pages/Shop";

export function App() {
  const session = useSession();
  if (!session) return <Login />;
  return <SignedIn key={session.token} session={session} />;
}

/** One API client per signed-in session (the token goes with every request and socket). */
function SignedIn({ session }: { session: Session }) {
  const api = useMemo(
    () => createApiClient({ ...gatewayEndpoints(), token: session.token }),
    [session.token],
  );
  useEffect(() => () => api.dispose(), [api]);
  const { principal } = session;
  const customerId = principal.customer_id ?? null;
  const home = navigationFor(principal)[0]?.href ?? "/";

  return (
    <Provider value={api.client}>
      <Layout principal={principal} connection={api.connection}>
        <Switch>
          {customerId ? (
            <Route path="/shop">
              <Shop customerId={customerId} />
            </Route>
          ) : null}
          {customerId ? (
            <Route path="/orders/:id">{(params) => <Order orderId={params.id} />}</Route>
          ) : null}
          {customerId ? (
            <Route path="/orders">
              <Orders customerId={customerId} />
            </Route>
          ) : null}
          {customerId ? (
            <Route path="/invoices">
              <Invoices customerId={customerId} />
            </Route>
          ) : null}
          {principal.role === "bot" || principal.role === "admin" ? (
            <Route path="/bot">
              <Bot botId={principal.bot_id ?? null} />
            </Route>
          ) : null}
          {principal.role === "store_manager" || principal.role === "admin" ? (
            <Route path="/manage">
              <Manage storeIds={principal.role === "admin" ? null : (principal.store_ids ?? [])} />
            </Route>
          ) : null}
          <Route>
            <Redirect to={home} replace />
          </Route>
        </Switch>
      </Layout>
    </Provider>
  );
}
