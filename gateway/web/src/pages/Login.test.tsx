import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { currentSession } from "../auth/session";
import { Login } from "./Login";

const users = [
  { label: "Buyer #1", role: "customer", customer_id: "c1" },
  { label: "Bot #1", role: "bot", bot_id: "b1" },
];

describe("the log-in page", () => {
  it("lists the demo users and signs in with a development token", async () => {
    const calls: [string, RequestInit | undefined][] = [];
    vi.stubGlobal("fetch", async (url: string, init?: RequestInit) => {
      calls.push([url, init]);
      const body = url.endsWith("/users") ? { users } : { token: "dev.jwt.token" };
      return new Response(JSON.stringify(body), { headers: { "content-type": "application/json" } });
    });
    render(<Login />);
    await userEvent.click(await screen.findByRole("button", { name: /Buyer #1/ }));
    expect(calls.map(([url]) => url)).toEqual(["/auth/dev/users", "/auth/dev/token"]);
    expect(JSON.parse(String(calls[1][1]?.body))).toEqual(users[0]);
    expect(currentSession()).toEqual({ token: "dev.jwt.token", principal: users[0] });
  });

  it("offers a bearer token when the gateway has no development log-in", async () => {
    vi.stubGlobal("fetch", async () => new Response("Not Found", { status: 404 }));
    render(<Login />);
    expect(await screen.findByLabelText("A token from your identity provider")).toBeTruthy();
    expect(screen.queryByText("Demo users (development)")).toBeNull();
    const claims = btoa(JSON.stringify({ sub: "u1", "https://mallbots/claims": { role: "bot", bot_id: "b9" } }));
    await userEvent.type(screen.getByLabelText("A token from your identity provider"), `h.${claims}.s`);
    await userEvent.click(screen.getByRole("button", { name: "Sign in with this token" }));
    expect(currentSession()?.principal).toMatchObject({ role: "bot", bot_id: "b9" });
  });
});
