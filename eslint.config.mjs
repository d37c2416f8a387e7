// One lint configuration for the whole repository. `npm run lint` runs ESLint, then Prettier's check
// (.prettierrc.json); `npm test` runs lint and the full type check before mocha.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["dist/**", "node_modules/**", ".pulumi-home/**", ".pulumi-state/**", ".lab/**", ".test-work/**", "tests/fixtures/preview/**"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      // `_name` marks a value taken apart on purpose (a secret left out of a copy, a callback's unused argument).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The dynamic provider objects are serialized into every resource's state: each method may only `require` the
    // runtime entry by package name, and the SDK's ResourceProvider interface types their arguments `any`.
    files: ["provider/resources/providers.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off", "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // Tests and scripts handle loose JSON (engine events, lab replies) they assert on; the product's code has no `any`.
    files: ["tests/**/*.ts", "scripts/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: {
      globals: { process: "readonly", console: "readonly", require: "readonly", module: "writable", __dirname: "readonly" },
    },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
