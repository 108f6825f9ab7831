import { GraphQLError } from "graphql";
import { CombinedError } from "urql";
import { describe, expect, it } from "vitest";
import { describeError } from "./errors";

const graphQLError = (message: string, extensions: Record<string, unknown>) =>
  new CombinedError({ graphQLErrors: [new GraphQLError(message, { extensions })] });

describe("describeError", () => {
  it("shows the domain's own message for a refused command", () => {
    const error = graphQLError("the basket cannot be modified", { code: "BAD_REQUEST" });
    expect(describeError(error)).toEqual({
      title: "That could not be done",
      detail: "the basket cannot be modified",
      code: "BAD_REQUEST",
    });
  });

  it("names FORBIDDEN as a permission problem", () => {
    const error = graphQLError("forbidden", { code: "FORBIDDEN" });
    expect(describeError(error).title).toBe("You are not allowed to do that");
    expect(describeError(error).code).toBe("FORBIDDEN");
  });

  it("says when to try again after a rate limit", () => {
    const error = graphQLError("too many requests", { code: "RATE_LIMITED", retryAfterSeconds: 2.5 });
    expect(describeError(error)).toEqual({
      title: "Too many requests",
      detail: "Try again in 3 seconds.",
      code: "RATE_LIMITED",
    });
  });

  it("reads an HTTP 429 without a GraphQL body as a rate limit", () => {
    const error = new CombinedError({
      networkError: new Error("Too Many Requests"),
      response: { status: 429 },
    });
    expect(describeError(error).code).toBe("RATE_LIMITED");
  });

  it("says the mall cannot be reached when the network fails", () => {
    const error = new CombinedError({ networkError: new TypeError("Failed to fetch") });
    expect(describeError(error)).toMatchObject({ title: "The mall cannot be reached", code: null });
  });

  it("shows an unknown code's message with the code", () => {
    const error = graphQLError("the order is not pending", { code: "SOMETHING_NEW" });
    expect(describeError(error)).toEqual({
      title: "Something went wrong",
      detail: "the order is not pending",
      code: "SOMETHING_NEW",
    });
  });
});
