import { act, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { connectionStatus } from "../api/connection";
import { ConnectionBanner } from "./ConnectionBanner";

describe("ConnectionBanner", () => {
  it("says when live updates are reconnecting, and when they are back", () => {
    const status = connectionStatus();
    render(<ConnectionBanner status={status} />);
    const banner = screen.getByRole("status");
    expect(banner.textContent).toBe("");
    act(() => status.set("online"));
    expect(banner.textContent).toBe("Live");
    act(() => status.set("reconnecting"));
    expect(banner.textContent).toContain("Reconnecting to live updates");
    expect(banner.getAttribute("aria-live")).toBe("polite");
  });
});
