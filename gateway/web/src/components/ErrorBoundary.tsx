import { Component, type ErrorInfo, type ReactNode } from "react";

/** A failure while rendering shows a message and a way out, never a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error("The page failed to render", error, info.componentStack);
  }

  render() {
    if (!this.state.failed) return this.props.children;
    return (
      <main id="main" className="login">
        <div className="notice notice-error" role="alert">
          <strong>This page failed to show.</strong>
          <span>Reload it; if it fails again, sign out and back in.</span>
        </div>
        <button type="button" className="primary" onClick={() => window.location.reload()}>
          Reload
        </button>
      </main>
    );
  }
}
