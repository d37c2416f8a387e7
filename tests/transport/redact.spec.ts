import * as assert from "node:assert/strict";
import { REDACTED, connectionSecrets, makeRedactor, redactText, redactValue, secretsOf } from "../../provider/transport/redact";

describe("redact", () => {
  const cases: Array<[string, string, string[], string]> = [
    ["one secret", "pwd=Pa55word!", ["Pa55word!"], `pwd=${REDACTED}`],
    ["every occurrence", "a s3cr3t b s3cr3t", ["s3cr3t"], `a ${REDACTED} b ${REDACTED}`],
    ["the longer of two overlapping secrets whole", "x=abcdef", ["abc", "abcdef"], `x=${REDACTED}`],
    ["regex metacharacters literally", "p=$(a).*[b]", ["$(a).*[b]"], `p=${REDACTED}`],
    ["nothing when there are no secrets", "plain", [], "plain"],
    ["nothing for empty secrets", "plain", [""], "plain"],
    ["Unicode secrets", "mot de passe: pässwört✓", ["pässwört✓"], `mot de passe: ${REDACTED}`],
  ];
  for (const [what, text, secrets, expected] of cases) {
    it(`redacts ${what}`, () => {
      assert.equal(redactText(text, secrets), expected);
      assert.equal(makeRedactor(secrets)(text), expected);
    });
  }

  it("collects the non-empty string values of params.secrets only", () => {
    assert.deepEqual(secretsOf({ secrets: { a: "x", b: "", c: 3 }, other: "y" }), ["x"]);
    assert.deepEqual(secretsOf({}), []);
    assert.deepEqual(secretsOf(null), []);
  });

  it("collects the connection's password, passphrase, private key and its base64 lines, jump host included", () => {
    const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nshort\n-----END OPENSSH PRIVATE KEY-----\n";
    const s = connectionSecrets({ password: "p1", privateKey: key, privateKeyPassword: "pp", proxy: { password: "p2" } });
    assert.deepEqual(s.sort(), ["b3BlbnNzaC1rZXktdjEAAAAA", key, "p1", "p2", "pp"].sort());
  });

  it("replaces every value under secrets and scrubs secrets found elsewhere in a copy", () => {
    const params = { path: "C:\\x", argumentTemplate: "PWD=hunter2", secrets: { pairingPassword: "hunter2", n: { deep: "z" } } };
    const out = redactValue(params, secretsOf(params));
    assert.deepEqual(out, {
      path: "C:\\x",
      argumentTemplate: `PWD=${REDACTED}`,
      secrets: { pairingPassword: REDACTED, n: { deep: REDACTED } },
    });
    assert.equal(params.secrets.pairingPassword, "hunter2");
  });
});
