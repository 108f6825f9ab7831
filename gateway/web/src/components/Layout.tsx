import type { ReactNode } from "react";
import { Link, useLocation } from "wouter";
import type { ConnectionStatus } from "../api/connection";
import { signOut, type Principal } from "../auth/session";
import { ConnectionBanner } from "./ConnectionBanner";

interface NavItem {
  href: string;
  label: string;
}

export function navigationFor(principal: Principal): NavItem[] {
  switch (principal.role) {
    case "customer":
      return [
        { href: "/shop", label: "Shop" },
        { href: "/orders", label: "My orders" },
        { href: "/invoices", label: "Invoices" },
      ];
    case "bot":
      return [{ href: "/bot", label: "Bot console" }];
    case "store_manager":
      return [{ href: "/manage", label: "My stores" }];
    case "admin":
      return [
        { href: "/manage", label: "Stores" },
        { href: "/bot", label: "Shopping lists" },
      ];
  }
}

export function Layout({
  principal,
  connection,
  children,
}: {
  principal: Principal;
  connection: ConnectionStatus;
  children: ReactNode;
}) {
  const [location] = useLocation();
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">MallBots</span>
        <nav aria-label="Main">
          <ul>
            {navigationFor(principal).map((item) => (
              <li key={item.href}>
                <Link
                  href={item.href}
                  aria-current={location.startsWith(item.href) ? "page" : undefined}
                >
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          Signed in as <strong>{principal.label}</strong>
        </span>
        <button type="button" className="link" onClick={signOut}>
          Sign out
        </button>
      </header>
      <ConnectionBanner status={connection} />
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
