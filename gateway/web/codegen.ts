import type { CodegenConfig } from "@graphql-codegen/cli";

/**
 * Types every operation in src/graphql/*.graphql against the gateway's schema (printed by
 * `mallbots schema`). The documents are generated as strings (`documentMode: "string"`): the
 * client sends exactly the text that the persisted-operations manifest holds, so the gateway can
 * look each one up by the SHA-256 of what it receives.
 */
const config: CodegenConfig = {
  schema: "../schema.graphql",
  documents: ["src/graphql/*.graphql"],
  ignoreNoDocuments: false,
  generates: {
    "src/gql/": {
      preset: "client",
      config: {
        documentMode: "string",
        enumsAsTypes: true,
        useTypeImports: true,
        strictScalars: true,
        scalars: { Decimal: "string", DateTime: "string" },
      },
      presetConfig: {
        fragmentMasking: false,
        persistedDocuments: { hashAlgorithm: "sha256" },
      },
    },
  },
};

export default config;
