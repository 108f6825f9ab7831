import type { CombinedError } from "urql";
import { describeError } from "../api/errors";

/** An API error as a person reads it: what happened, what to do, and the code for support. */
export function ErrorNotice({ error }: { error: CombinedError | Error | null | undefined }) {
  if (!error) return null;
  const description =
    "graphQLErrors" in error
      ? describeError(error)
      : { title: "Something went wrong", detail: error.message, code: null };
  return (
    <div className="notice notice-error" role="alert">
      <strong>{description.title}</strong>
      <span>{description.detail}</span>
      {description.code ? <code className="code">{description.code}</code> : null}
    </div>
  );
}
