import { render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { ErrorBoundary } from "./ErrorBoundary";

function Broken(): never {
  throw new Error("unexpected shape");
}

describe("ErrorBoundary", () => {
  it("shows a message and a reload button instead of a blank page", () => {
    vi.spyOn(console, "error").mockImplementation(() => {});
    render(
      <ErrorBoundary>
        <Broken />
      </ErrorBoundary>,
    );
    expect(screen.getByRole("alert").textContent).toContain("This page failed to show.");
    expect(screen.getByRole("button", { name: "Reload" })).toBeTruthy();
  });
});
