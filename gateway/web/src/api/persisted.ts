import { parse, type DocumentNode } from "graphql";
import type { TypedDocumentNode } from "urql";
import manifest from "../gql/persisted-documents.json";

/** The persisted-operations manifest: SHA-256 of each operation's text, to that text. */
export const persistedOperations: Readonly<Record<string, string>> = manifest;

interface GeneratedDocument<Result, Variables> {
  __meta__?: Record<string, unknown>;
  __apiType?: (variables: Variables) => Result;
}

const parsed = new Map<string, DocumentNode>();

/**
 * The document to send for a generated operation: exactly the manifest's text for its hash.
 *
 * GraphQL Code Generator types the operation and hashes its normalised print; the gateway can
 * only allow what is in the manifest if the client sends that same text. `parse` keeps the
 * source text in `loc`, which urql sends as it is (urql prints only documents without one), so
 * urql's HTTP body and WebSocket payload both carry the manifest's text.
 */
export function persisted<Result, Variables>(
  document: GeneratedDocument<Result, Variables>,
): TypedDocumentNode<Result, Variables & Record<string, unknown>> {
  const hash = document.__meta__?.hash;
  if (typeof hash !== "string" || !(hash in persistedOperations)) {
    throw new Error("This operation is not in the persisted-operations manifest: run codegen.");
  }
  let node = parsed.get(hash);
  if (node === undefined) {
    node = parse(persistedOperations[hash]);
    parsed.set(hash, node);
  }
  return node as TypedDocumentNode<Result, Variables & Record<string, unknown>>;
}
