import type { CombinedError } from "urql";

/** What a person should read when an operation fails: never a stack trace or a blank screen. */
export interface ErrorDescription {
  title: string;
  detail: string;
  code: string | null;
}

const TITLES: Record<string, string> = {
  FORBIDDEN: "You are not allowed to do that",
  UNAUTHORIZED: "Please sign in again",
  UNAUTHENTICATED: "Please sign in again",
  NOT_FOUND: "Not found",
  CONFLICT: "That could not be done",
  BAD_REQUEST: "That could not be done",
  BAD_USER_INPUT: "That could not be done",
  RATE_LIMITED: "Too many requests",
  TOO_MANY_REQUESTS: "Too many requests",
  BACKEND_UNAVAILABLE: "The mall is unavailable right now",
  CURSOR_EXPIRED: "Live updates restarted",
  PERSISTED_QUERY_NOT_FOUND: "This version of the app is out of date",
  PERSISTED_OPERATION_REQUIRED: "This version of the app is out of date",
};

const DETAILS: Record<string, string> = {
  RATE_LIMITED: "Wait a moment, then try again.",
  TOO_MANY_REQUESTS: "Wait a moment, then try again.",
  UNAUTHORIZED: "Your session has ended or is not valid.",
  UNAUTHENTICATED: "Your session has ended or is not valid.",
  BACKEND_UNAVAILABLE: "Try again in a few seconds.",
  PERSISTED_QUERY_NOT_FOUND: "Reload the page to get the current version.",
  PERSISTED_OPERATION_REQUIRED: "Reload the page to get the current version.",
};

function retryAfter(extensions: Record<string, unknown> | undefined): string | null {
  const seconds = extensions?.retryAfterSeconds;
  if (typeof seconds !== "number" || !(seconds > 0)) return null;
  const whole = Math.ceil(seconds);
  return `Try again in ${whole} second${whole === 1 ? "" : "s"}.`;
}

function statusOf(error: CombinedError): number | null {
  const response = error.response as { status?: unknown } | undefined;
  return typeof response?.status === "number" ? response.status : null;
}

export function describeError(error: CombinedError): ErrorDescription {
  const first = error.graphQLErrors[0];
  if (first) {
    const rawCode = first.extensions?.code;
    const code = typeof rawCode === "string" ? rawCode : null;
    const title = (code && TITLES[code]) || "Something went wrong";
    const detail = retryAfter(first.extensions) ?? ((code && DETAILS[code]) || first.message);
    return { title, detail, code };
  }
  const status = statusOf(error);
  if (status === 429) {
    return { title: TITLES.RATE_LIMITED, detail: DETAILS.RATE_LIMITED, code: "RATE_LIMITED" };
  }
  if (status === 401) {
    return { title: TITLES.UNAUTHORIZED, detail: DETAILS.UNAUTHORIZED, code: "UNAUTHORIZED" };
  }
  if (status === 403) {
    return { title: TITLES.FORBIDDEN, detail: "Your account cannot do that.", code: "FORBIDDEN" };
  }
  return {
    title: "The mall cannot be reached",
    detail: "Check your connection; the app keeps trying.",
    code: null,
  };
}
