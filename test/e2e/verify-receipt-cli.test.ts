import { execFile, execFileSync } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey, type KeyObject, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildCorpus, publishedKeysOf, VERDICTS } from "../fixtures/receipt-corpus/corpus";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = "scripts/verify-receipt.mjs";
const VECTOR_SEED = "e2c35a46318ec09cf1cc04f06c4ba18bf2cd3f0ed318d986f01228bdbf9fd326";
const VECTOR_KEY_ID = "TJvH0A9pkk0c3uQMNlCivLs3GR3i1T2TtfIbLT0n29Q";
const ATTESTATION_SEED = "1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100";
const OTHER_SEED = "5555555555555555555555555555555555555555555555555555555555555555";

type Json = Record<string, unknown>;

function keyFromSeed(seedHex: string): { privateKey: KeyObject; keyId: string; publicKeyHex: string } {
  const der = Buffer.from(`302e020100300506032b657004220420${seedHex}`, "hex");
  const privateKey = createPrivateKey({ key: der, format: "der", type: "pkcs8" });
  const x = createPublicKey(privateKey).export({ format: "jwk" }).x as string;
  return { privateKey, keyId: x, publicKeyHex: Buffer.from(x, "base64url").toString("hex") };
}

// Members already in code-unit order with no nulls, so JSON.stringify is the canonical form here;
// the signer shares no code with the verifier under test.
const RESULT = { ok: true };
const BODY = {
  client: "cli_8f3a01",
  completed_at: 1695720002,
  coordinator_id: "coord-eu-west-1",
  duration_ms: 1900,
  job_id: "fedcba9876543210fedcba9876543210",
  nonce: "b7f3d10b",
  payload_hash: `sha256:${"a".repeat(64)}`,
  price: 0,
  provider: "miner-eu-1",
  receipt_id: "0123456789abcdef0123456789abcdef",
  result_hash: `sha256:${createHash("sha256").update(JSON.stringify(RESULT)).digest("hex")}`,
  started_at: 1695720000,
  unit_type: "gpu_seconds",
  units: 1.9,
  version: "1.0",
};

const signer = keyFromSeed(VECTOR_SEED);
const attester = keyFromSeed(ATTESTATION_SEED);
const other = keyFromSeed(OTHER_SEED);

function signature(key: ReturnType<typeof keyFromSeed>, body: Json) {
  const sig = sign(null, Buffer.from(JSON.stringify(body), "utf8"), key.privateKey).toString("base64url");
  return { alg: "Ed25519", key_id: key.keyId, sig };
}

function keysDocument(entries: [ReturnType<typeof keyFromSeed>, "signing" | "attestation", "active" | "retired"][]) {
  return {
    keys: entries.map(([key, use, status]) => ({ key_id: key.keyId, use, status, alg: "Ed25519", public_key_hex: key.publicKeyHex })),
  };
}

let dir: string;
const file = (name: string, content: unknown): string => {
  const path = join(dir, name);
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content, null, 2));
  return path;
};

function run(...args: string[]): { code: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: "utf8", stdio: "pipe" });
    return { code: 0, stdout, stderr: "" };
  } catch (error) {
    const failed = error as { status: number; stdout: string; stderr: string };
    return { code: failed.status, stdout: failed.stdout, stderr: failed.stderr };
  }
}

const receipt = { ...BODY, signature: signature(signer, BODY) };
let keysFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "verify-receipt-"));
  keysFile = file("keys.json", keysDocument([[signer, "signing", "active"]]));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("verify-receipt CLI", () => {
  it("signs the published test vector key id from the vector seed (sanity check of the test signer)", () => {
    expect(signer.keyId).toBe(VECTOR_KEY_ID);
  });

  it("exits 0 for a valid receipt signed by a listed key", () => {
    const result = run(file("valid.json", receipt), "--keys", keysFile);
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain("VALID");
    expect(result.stdout).toContain("listed as signing key (active)");
  });

  it("accepts the {result, receipt} body that /result returns, and --keys=<file>", () => {
    const result = run(file("wrapped.json", { result: RESULT, receipt }), `--keys=${keysFile}`);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("result: matches result_hash");
  });

  it("exits 1 for a pair whose result the receipt does not cover", () => {
    const result = run(file("forged-result.json", { result: { ok: false }, receipt }), "--keys", keysFile);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("result: does NOT match result_hash");
    expect(result.stdout).toContain("  - RESULT_MISMATCH");
  });

  it("drops null members before checking, as the signer did", () => {
    expect(run(file("nulls.json", { ...receipt, chain_id: null }), "--keys", keysFile).code).toBe(0);
  });

  it("without --keys checks only the math and says the keys were not checked", () => {
    const result = run(file("valid-nokeys.json", receipt));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/keys not checked/);
  });

  it("exits 1 for a tampered receipt", () => {
    const result = run(file("tampered.json", { ...receipt, price: 1 }), "--keys", keysFile);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("SIGNATURE_INVALID");
    expect(run(file("tampered-nokeys.json", { ...receipt, units: 2 })).code).toBe(1);
  });

  it("exits 1 for a receipt signed by a key the keys file does not list", () => {
    const foreign = { ...BODY, signature: signature(other, BODY) };
    const result = run(file("foreign.json", foreign), "--keys", keysFile);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`KEY_NOT_TRUSTED: ${other.keyId}`);
  });

  it("checks attestations against the keys listed for attestation", () => {
    const keys = file(
      "keys-att.json",
      keysDocument([
        [signer, "signing", "retired"],
        [attester, "attestation", "active"],
      ]),
    );
    const attested = { ...receipt, attestations: [signature(attester, BODY)] };
    expect(run(file("attested.json", attested), "--keys", keys).code).toBe(0);
    const missing = run(file("unattested.json", receipt), "--keys", keys);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain("ATTESTATION_MISSING");
    const badAttestation = { ...receipt, attestations: [{ ...signature(attester, BODY), sig: receipt.signature.sig }] };
    expect(run(file("bad-attestation.json", badAttestation), "--keys", keys).stdout).toContain("ATTESTATION_INVALID: 0");
  });

  it("exits 1 for JSON that is not a receipt", () => {
    const result = run(file("not-a-receipt.json", [1, 2]));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain("MALFORMED");
  });

  it.each([
    ["no arguments", []],
    ["an unknown option", ["valid.json", "--verbose"]],
    ["--keys without a value", ["valid.json", "--keys"]],
    ["a missing receipt file", ["does-not-exist.json"]],
  ])("exits 2 for %s", (_name, args) => {
    expect(run(...args.map((a) => (a.endsWith(".json") ? join(dir, a) : a))).code).toBe(2);
  });

  it("exits 2 for a receipt file that is not JSON and for a bad keys file", () => {
    expect(run(file("garbage.json", "{not json")).code).toBe(2);
    const mismatched = keysDocument([[signer, "signing", "active"]]);
    mismatched.keys[0]!.public_key_hex = other.publicKeyHex;
    const result = run(file("valid2.json", receipt), "--keys", file("mismatched-keys.json", mismatched));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("key_id is not the base64url of public_key_hex");
  });
});

describe("verify-receipt CLI with a keys URL", () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      const found = req.url === "/v1/receipts/keys";
      res.writeHead(found ? 200 : 404, { "content-type": "application/json" });
      res.end(JSON.stringify(found ? keysDocument([[signer, "signing", "active"]]) : { error: { code: "NOT_FOUND" } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  // The server lives in this process, so the CLI runs asynchronously (execFileSync would block it).
  function runAsync(...args: string[]): Promise<number> {
    return new Promise((resolve) => {
      execFile(process.execPath, [CLI, ...args], { cwd: ROOT }, (error) => resolve(error ? Number(error.code) : 0));
    });
  }

  it("fetches the keys and exits 0 for a valid receipt, 1 for a tampered one", async () => {
    expect(await runAsync(file("url-valid.json", receipt), "--keys", `${base}/v1/receipts/keys`)).toBe(0);
    expect(await runAsync(file("url-tampered.json", { ...receipt, nonce: "x" }), "--keys", `${base}/v1/receipts/keys`)).toBe(1);
  });

  it("exits 2 when the keys URL does not answer 200", async () => {
    expect(await runAsync(file("url-valid2.json", receipt), "--keys", `${base}/nope`)).toBe(2);
  });
});

describe("receipt-verifier module", () => {
  interface Verifier {
    canonicalJson(value: unknown): string;
    verifyReceiptDocument(document: unknown, keys: unknown[] | null): { valid: boolean; reasons: string[] };
  }
  // A computed specifier: the module is plain JavaScript without type declarations.
  const load = (): Promise<Verifier> => import(new URL("../../scripts/receipt-verifier.mjs", import.meta.url).href);

  it("drops null members at every depth and keeps null array elements", async () => {
    const { canonicalJson } = await load();
    expect(canonicalJson({ b: [null, { d: null, c: 1 }], a: null, "\ufb33": 1, "\ud83d\ude00": 2 })).toBe(
      '{"b":[null,{"c":1}],"😀":2,"\ufb33":1}',
    );
  });

  it("answers the same reason codes as the Worker", async () => {
    const { verifyReceiptDocument } = await load();
    const trusted = [{ key_id: other.keyId, use: "signing", status: "active" }];
    expect(verifyReceiptDocument(receipt, trusted).reasons).toEqual([`KEY_NOT_TRUSTED: ${signer.keyId}`]);
    expect(verifyReceiptDocument({ ...receipt, signature: { ...receipt.signature, alg: "RS256" } }, null).reasons).toEqual([
      "ALG_UNSUPPORTED: signature",
    ]);
    expect(verifyReceiptDocument("x", null).reasons).toEqual(["MALFORMED: document: expected an object"]);
  });
});

// The shared corpus (test/fixtures/receipt-corpus) through the real command; the workers projects
// send the same documents to POST /v1/receipts/verify and hold them to the same verdicts.
const corpus = await buildCorpus();

describe("verify-receipt CLI over the shared receipt corpus", () => {
  const keysFiles: Record<string, string> = {};

  beforeAll(async () => {
    for (const set of ["current", "rotated"] as const)
      keysFiles[set] = file(`corpus-keys-${set}.json`, { keys: await publishedKeysOf(set) });
  });

  it("has one verdict for every document and no other", () => {
    expect(corpus.map((document) => document.name).sort()).toEqual(Object.keys(VERDICTS).sort());
  });

  it.each(corpus.map((document, index) => [document.name, document, index] as const))("%s", (_name, document, index) => {
    const result = run(file(`corpus-${index}.json`, document.json), "--keys", keysFiles[document.keys]!);
    expect([0, 1], result.stderr).toContain(result.code);
    expect(result.stdout).toMatch(result.code === 0 ? /^VALID$/m : /^INVALID$/m);
    const reasons = result.stdout
      .split("\n")
      .filter((line) => line.startsWith("  - "))
      .map((line) => line.slice(4));
    expect({ valid: result.code === 0, reasons }).toEqual(VERDICTS[document.name]);
  });
});
