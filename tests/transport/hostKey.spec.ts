import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { utils as sshUtils } from "ssh2";
import { fingerprintOf, hostKeyAlgorithmsFor, hostKeyOffers, parseHostKeyPin, verifyHostKey } from "../../provider/transport/hostKey";

const pair = sshUtils.generateKeyPairSync("ed25519");
const line = pair.public.trim();
const blob = Buffer.from(line.split(" ")[1], "base64");
const fp = "SHA256:" + createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
const other = Buffer.from(sshUtils.generateKeyPairSync("ed25519").public.split(" ")[1], "base64");

describe("hostKey", () => {
  it("computes the fingerprint ssh-keygen -l prints (SHA256, unpadded base64)", () => {
    assert.equal(fingerprintOf(blob), fp);
    assert.match(fingerprintOf(blob), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });

  const accepted: Array<[string, string, "key" | "fingerprint"]> = [
    ["a bare key line", line.split(" ").slice(0, 2).join(" "), "key"],
    ["a key line with a comment", `${line.split(" ").slice(0, 2).join(" ")} root@cs1 extra words`, "key"],
    ["a known_hosts line", `cs1.corp.local,10.0.0.5 ${line.split(" ").slice(0, 2).join(" ")}`, "key"],
    ["a fingerprint", fp, "fingerprint"],
    ["a fingerprint with its padding", `${fp}=`, "fingerprint"],
    ["surrounding whitespace", `  ${fp}\n`, "fingerprint"],
  ];
  for (const [what, text, kind] of accepted) {
    it(`accepts ${what} as a pin with the key's fingerprint`, () => {
      const pin = parseHostKeyPin(text);
      assert.ok(!("error" in pin), JSON.stringify(pin));
      assert.equal(pin.kind, kind);
      assert.equal(pin.fingerprint, fp);
    });
  }

  const refused: Array<[string, string, RegExp]> = [
    ["an empty string", "", /OpenSSH public key line/],
    ["a truncated fingerprint", "SHA256:abc", /43 base64/],
    ["an MD5 fingerprint", "16:27:ac:a5:76:28:2d:36:63:1b:56:4d:eb:df:a6:48", /MD5/],
    ["a key line without data", "ssh-ed25519", /OpenSSH public key line/],
    ["key data that is not base64", "ssh-ed25519 not*base64", /not base64/],
    ["a key labelled with the wrong type", `ssh-rsa ${line.split(" ")[1]}`, /does not encode a 'ssh-rsa'/],
    ["a private key", pair.private, /OpenSSH public key line/],
  ];
  for (const [what, text, message] of refused) {
    it(`refuses ${what} with the fix in the message`, () => {
      const pin = parseHostKeyPin(text);
      assert.ok("error" in pin);
      assert.match(pin.error, message);
    });
  }

  it("accepts the pinned key and refuses another, giving the presented fingerprint", () => {
    for (const text of [line, fp]) {
      const pin = parseHostKeyPin(text);
      assert.ok(!("error" in pin));
      assert.deepEqual(verifyHostKey(blob, pin, false), { ok: true, fingerprint: fp });
      assert.deepEqual(verifyHostKey(other, pin, false), { ok: false, fingerprint: fingerprintOf(other), reason: "mismatch" });
    }
  });

  it("refuses any key when nothing is pinned, unless the insecure opt-in is set", () => {
    assert.deepEqual(verifyHostKey(blob, undefined, false), { ok: false, fingerprint: fp, reason: "not-pinned" });
    assert.deepEqual(verifyHostKey(blob, undefined, true), { ok: true, fingerprint: fp });
  });

  it("offers only the pinned key's algorithm, and every RSA signature algorithm for an RSA key", () => {
    const pin = parseHostKeyPin(line);
    assert.ok(!("error" in pin));
    assert.deepEqual(hostKeyAlgorithmsFor(pin), ["ssh-ed25519"]);
    assert.equal(hostKeyAlgorithmsFor(undefined), undefined);
    const rsa = sshUtils.generateKeyPairSync("rsa", { bits: 2048 }).public;
    const rsaPin = parseHostKeyPin(rsa);
    assert.ok(!("error" in rsaPin));
    assert.deepEqual(hostKeyAlgorithmsFor(rsaPin), ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
  });

  it("offers the default order, then ed25519, ECDSA and RSA alone, for a SHA256 pin (the one that matched before first)", () => {
    const pin = parseHostKeyPin(fp);
    assert.ok(!("error" in pin));
    const ecdsa = ["ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521"];
    assert.deepEqual(hostKeyOffers(pin), [undefined, ["ssh-ed25519"], ecdsa, ["rsa-sha2-512", "rsa-sha2-256"]]);
    assert.deepEqual(hostKeyOffers(pin, 2), [["rsa-sha2-512", "rsa-sha2-256"], ["ssh-ed25519"], ecdsa]);
    assert.deepEqual(hostKeyOffers(undefined), [undefined]);
  });

  it("offers a pinned key line's own algorithms first, then the other families (to list the host's keys on a mismatch)", () => {
    const pin = parseHostKeyPin(line);
    assert.ok(!("error" in pin));
    const offers = hostKeyOffers(pin);
    assert.deepEqual(offers[0], ["ssh-ed25519"]);
    assert.equal(offers.length, 3);
  });
});
