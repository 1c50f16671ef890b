import { describe, expect, it } from "vitest";
import { isPrincipalIdShaped, PRINCIPAL_PREFIX, ROLES } from "../../src/auth/principal";
import { zodDetails } from "../../src/http/errors";
import { IdempotencyKey } from "../../src/http/schemas";
import { newKeyId } from "../../src/lib/ids";
import { inputProblems, MAX_INPUT_PROBLEMS } from "../../src/lib/json-limits";
import { BatchJobBody, SubmitJobBody } from "../../src/routes/jobs/jobs.routes";
import { PollBody, RegisterBody } from "../../src/routes/miners/miners.routes";

type Schema = typeof SubmitJobBody | typeof RegisterBody;

function accepted(schema: Schema, body: unknown) {
  const result = schema.safeParse(body);
  if (!result.success) throw new Error(`expected ${JSON.stringify(body)} to pass: ${JSON.stringify(zodDetails(result.error))}`);
  return result.data as Record<string, unknown>;
}

/** The fields the API would name in `details` for this body. */
function refusedFields(schema: Schema, body: unknown): string[] {
  const result = schema.safeParse(body);
  if (result.success) throw new Error(`expected ${JSON.stringify(body)} to be refused`);
  return zodDetails(result.error).map((d) => d.field);
}

function refusalDetails(schema: Schema, body: unknown) {
  const result = schema.safeParse(body);
  if (result.success) throw new Error(`expected ${JSON.stringify(body)} to be refused`);
  return zodDetails(result.error);
}

describe("SubmitJobBody: valid bodies", () => {
  it("accepts a body with only a payload", () => {
    expect(accepted(SubmitJobBody, { payload: { prompt: "a cat" } })).toEqual({ payload: { prompt: "a cat" } });
  });

  it("accepts an empty payload object and nested JSON", () => {
    accepted(SubmitJobBody, { payload: {} });
    accepted(SubmitJobBody, { payload: { steps: 30, opts: { seed: null, tags: ["x", 1, true] } } });
  });

  it("accepts every field at once", () => {
    const body = {
      payload: { prompt: "a cat" },
      constraints: { gpu: "A100", cuda: "12.3", min_vram_gb: 40, models: ["sdxl"], region: "eu-west", max_price: 4.2 },
      ttl_seconds: 600,
      priority: 5,
      max_attempts: 4,
    };
    expect(accepted(SubmitJobBody, body)).toEqual(body);
  });

  it("accepts null for every optional field as if it were absent", () => {
    const data = accepted(SubmitJobBody, { payload: {}, constraints: null, ttl_seconds: null, priority: null, max_attempts: null });
    expect(data.constraints).toBeUndefined();
    expect(data.ttl_seconds).toBeUndefined();
    expect(data.priority).toBeUndefined();
    expect(data.max_attempts).toBeUndefined();
  });

  it("accepts null for every constraint as if it were absent", () => {
    const data = accepted(SubmitJobBody, {
      payload: {},
      constraints: { gpu: null, cuda: null, min_vram_gb: null, models: null, region: null, max_price: null },
    });
    expect(Object.values(data.constraints as object).every((v) => v === undefined)).toBe(true);
  });

  it("accepts the bounds themselves", () => {
    for (const ttl_seconds of [1, 86_400]) accepted(SubmitJobBody, { payload: {}, ttl_seconds });
    for (const priority of [-100, 0, 100]) accepted(SubmitJobBody, { payload: {}, priority });
    for (const max_attempts of [1, 10]) accepted(SubmitJobBody, { payload: {}, max_attempts });
  });

  it("accepts CUDA versions written as 12, 12.3 and 12.3.1", () => {
    for (const cuda of ["12", "12.3", "12.3.1", "12.3.1.0"]) accepted(SubmitJobBody, { payload: {}, constraints: { cuda } });
  });

  it("accepts an empty constraints object", () => {
    accepted(SubmitJobBody, { payload: {}, constraints: {} });
  });
});

describe("SubmitJobBody: refusals name the field", () => {
  it("refuses a missing payload", () => {
    expect(refusedFields(SubmitJobBody, {})).toEqual(["payload"]);
  });

  it("refuses a payload that is not an object", () => {
    for (const payload of [null, "text", 42, true, ["a"], []]) {
      expect(refusedFields(SubmitJobBody, { payload }), JSON.stringify(payload)).toEqual(["payload"]);
    }
  });

  it("refuses a body that is not an object", () => {
    expect(refusedFields(SubmitJobBody, [])).toEqual(["(body)"]);
    expect(refusedFields(SubmitJobBody, null)).toEqual(["(body)"]);
  });

  it("refuses ttl_seconds 0 and 86401", () => {
    expect(refusedFields(SubmitJobBody, { payload: {}, ttl_seconds: 0 })).toEqual(["ttl_seconds"]);
    expect(refusedFields(SubmitJobBody, { payload: {}, ttl_seconds: 86_401 })).toEqual(["ttl_seconds"]);
  });

  it("refuses a fractional or string ttl_seconds", () => {
    expect(refusedFields(SubmitJobBody, { payload: {}, ttl_seconds: 1.5 })).toEqual(["ttl_seconds"]);
    expect(refusedFields(SubmitJobBody, { payload: {}, ttl_seconds: "60" })).toEqual(["ttl_seconds"]);
  });

  it("refuses priority -101 and 101", () => {
    expect(refusedFields(SubmitJobBody, { payload: {}, priority: -101 })).toEqual(["priority"]);
    expect(refusedFields(SubmitJobBody, { payload: {}, priority: 101 })).toEqual(["priority"]);
  });

  it("refuses a fractional priority", () => {
    expect(refusedFields(SubmitJobBody, { payload: {}, priority: 0.5 })).toEqual(["priority"]);
  });

  it("refuses max_attempts 0 and 11", () => {
    expect(refusedFields(SubmitJobBody, { payload: {}, max_attempts: 0 })).toEqual(["max_attempts"]);
    expect(refusedFields(SubmitJobBody, { payload: {}, max_attempts: 11 })).toEqual(["max_attempts"]);
  });

  it("refuses an unknown constraint key, because constraints are strict", () => {
    const details = refusalDetails(SubmitJobBody, { payload: {}, constraints: { gpu: "A100", vram: 24 } });
    expect(details).toEqual([{ field: "constraints.vram", issue: "unknown field" }]);
  });

  it("refuses constraints that are not an object", () => {
    expect(refusedFields(SubmitJobBody, { payload: {}, constraints: "A100" })).toEqual(["constraints"]);
    expect(refusedFields(SubmitJobBody, { payload: {}, constraints: ["A100"] })).toEqual(["constraints"]);
  });

  it("refuses a CUDA string that is not a dotted version", () => {
    for (const cuda of ["", "v12", "12.", ".3", "12.x", "12..3", "12.3.1.0.1", " 12", "twelve"]) {
      expect(refusedFields(SubmitJobBody, { payload: {}, constraints: { cuda } }), cuda).toEqual(["constraints.cuda"]);
    }
    expect(refusedFields(SubmitJobBody, { payload: {}, constraints: { cuda: 12 } })).toEqual(["constraints.cuda"]);
  });

  it("refuses min_vram_gb that is zero or negative", () => {
    expect(refusedFields(SubmitJobBody, { payload: {}, constraints: { min_vram_gb: 0 } })).toEqual(["constraints.min_vram_gb"]);
    expect(refusedFields(SubmitJobBody, { payload: {}, constraints: { min_vram_gb: -8 } })).toEqual(["constraints.min_vram_gb"]);
  });

  it("refuses models that are not a list of non-empty strings", () => {
    expect(refusedFields(SubmitJobBody, { payload: {}, constraints: { models: "sdxl" } })).toEqual(["constraints.models"]);
    expect(refusedFields(SubmitJobBody, { payload: {}, constraints: { models: ["sdxl", ""] } })).toEqual(["constraints.models.1"]);
  });

  it("refuses a negative max_price", () => {
    expect(refusedFields(SubmitJobBody, { payload: {}, constraints: { max_price: -1 } })).toEqual(["constraints.max_price"]);
  });

  it("refuses an empty gpu or region name", () => {
    expect(refusedFields(SubmitJobBody, { payload: {}, constraints: { gpu: "" } })).toEqual(["constraints.gpu"]);
    expect(refusedFields(SubmitJobBody, { payload: {}, constraints: { region: "" } })).toEqual(["constraints.region"]);
  });

  it("names every bad field at once", () => {
    expect(refusedFields(SubmitJobBody, { payload: 1, ttl_seconds: 0, priority: 101, max_attempts: 11 }).sort()).toEqual([
      "max_attempts",
      "payload",
      "priority",
      "ttl_seconds",
    ]);
  });
});

describe("RegisterBody: valid bodies", () => {
  it("accepts an empty body (everything has a default)", () => {
    expect(accepted(RegisterBody, {})).toEqual({});
  });

  it("accepts every field at once", () => {
    const body = {
      capabilities: { gpus: [{ name: "RTX 4090", memory_mb: 24_576 }], cuda: "12.3", models: ["sdxl"], price: 0.5 },
      concurrency: 4,
      region: "eu-west",
      miner_id: "miner-01.eu_west",
    };
    expect(accepted(RegisterBody, body)).toEqual(body);
  });

  it("keeps capabilities it does not know about", () => {
    const data = accepted(RegisterBody, { capabilities: { driver: "550.54", cpu: { cores: 16 } } });
    expect(data.capabilities).toEqual({ driver: "550.54", cpu: { cores: 16 } });
  });

  it("accepts null for every optional field as if it were absent", () => {
    const data = accepted(RegisterBody, { capabilities: null, concurrency: null, region: null, miner_id: null });
    expect(data).toEqual({ capabilities: undefined, concurrency: undefined, region: undefined, miner_id: undefined });
    const caps = accepted(RegisterBody, { capabilities: { gpus: null, cuda: null, models: null, price: null } });
    expect(Object.values(caps.capabilities as object).every((v) => v === undefined)).toBe(true);
  });

  it("accepts concurrency 1 and 64", () => {
    accepted(RegisterBody, { concurrency: 1 });
    accepted(RegisterBody, { concurrency: 64 });
  });

  it("accepts miner ids of 1 to 64 of A-Z a-z 0-9 . _ -", () => {
    for (const miner_id of ["m", "A.b_c-9", "x".repeat(64)]) accepted(RegisterBody, { miner_id });
  });
});

describe("RegisterBody: refusals name the field", () => {
  it("refuses concurrency 0 and 65", () => {
    expect(refusedFields(RegisterBody, { concurrency: 0 })).toEqual(["concurrency"]);
    expect(refusedFields(RegisterBody, { concurrency: 65 })).toEqual(["concurrency"]);
  });

  it("refuses a fractional concurrency", () => {
    expect(refusedFields(RegisterBody, { concurrency: 1.5 })).toEqual(["concurrency"]);
  });

  it("refuses a bad miner_id", () => {
    for (const miner_id of ["", "x".repeat(65), "miner 1", "miner/1", "mïner", "a:b", "<script>"]) {
      expect(refusedFields(RegisterBody, { miner_id }), miner_id).toEqual(["miner_id"]);
    }
    expect(refusedFields(RegisterBody, { miner_id: 7 })).toEqual(["miner_id"]);
  });

  it("refuses an empty or over-long region", () => {
    expect(refusedFields(RegisterBody, { region: "" })).toEqual(["region"]);
    expect(refusedFields(RegisterBody, { region: "r".repeat(33) })).toEqual(["region"]);
  });

  it("refuses a bad CUDA version in capabilities", () => {
    expect(refusedFields(RegisterBody, { capabilities: { cuda: "12.x" } })).toEqual(["capabilities.cuda"]);
  });

  it("refuses a GPU without a name or with negative memory", () => {
    expect(refusedFields(RegisterBody, { capabilities: { gpus: [{ memory_mb: 1024 }] } })).toEqual(["capabilities.gpus.0.name"]);
    expect(refusedFields(RegisterBody, { capabilities: { gpus: [{ name: "T4", memory_mb: -1 }] } })).toEqual([
      "capabilities.gpus.0.memory_mb",
    ]);
  });

  it("refuses a negative price", () => {
    expect(refusedFields(RegisterBody, { capabilities: { price: -0.01 } })).toEqual(["capabilities.price"]);
  });

  it("refuses capabilities that are not an object", () => {
    expect(refusedFields(RegisterBody, { capabilities: "gpu" })).toEqual(["capabilities"]);
  });
});

describe("PollBody", () => {
  it("takes any non-negative wait, fractional too, and caps it at 30 s", () => {
    expect(PollBody.parse({ max_wait_seconds: 7.3 })).toEqual({ max_wait_seconds: 7.3 });
    expect(PollBody.parse({ max_wait_seconds: 45.62 })).toEqual({ max_wait_seconds: 30 });
    expect(PollBody.parse({ max_wait_seconds: null })).toEqual({});
    expect(PollBody.safeParse({ max_wait_seconds: -1 }).success).toBe(false);
  });
});

describe("unknown members", () => {
  it("refuses an unknown top-level member of a submit or register body, naming it", () => {
    expect(refusalDetails(SubmitJobBody, { payload: {}, prio: 1 })).toEqual([{ field: "prio", issue: "unknown field" }]);
    expect(refusalDetails(RegisterBody, { concurrency: 1, concurency: 2, extra: null })).toEqual([
      { field: "concurency", issue: "unknown field" },
      { field: "extra", issue: "unknown field" },
    ]);
  });

  it("keeps unknown members of capabilities and of each GPU, as reported", () => {
    const capabilities = { node: "rig-1", gpus: [{ name: "T4", memory_mb: 16_384, uuid: "GPU-1" }] };
    expect(accepted(RegisterBody, { capabilities }).capabilities).toEqual(capabilities);
  });
});

describe("BatchJobBody", () => {
  it("is a submit body that may carry an idempotency_key", () => {
    expect(BatchJobBody.parse({ payload: {}, idempotency_key: "k-1" })).toEqual({ payload: {}, idempotency_key: "k-1" });
    expect(zodDetails(BatchJobBody.safeParse({ payload: {}, ttl: 5 }).error!)).toEqual([{ field: "ttl", issue: "unknown field" }]);
  });
});

describe("IdempotencyKey (the header and a batch job's idempotency_key)", () => {
  it("accepts 1-255 printable ASCII characters", () => {
    for (const key of ["k", "~!\"#$%&'()*+,-./09:;<=>?@AZ[\\]^_`az{|}", "k".repeat(255)])
      expect(IdempotencyKey.safeParse(key).success, key).toBe(true);
  });

  it("refuses empty, over-long, control, space and non-ASCII keys with one issue", () => {
    for (const key of ["", "k".repeat(256), "k\u0000", "k\u007f", "two words", "tab\t", "cl\u00e9", "\ud83d\ude00", "k\ud800"]) {
      const result = IdempotencyKey.safeParse(key);
      expect(result.success, JSON.stringify(key)).toBe(false);
      expect(zodDetails(result.error!)).toEqual([{ field: "(body)", issue: "must be 1-255 printable ASCII characters" }]);
    }
  });
});

describe("inputProblems", () => {
  it("finds nothing in well-formed JSON, whatever its member names", () => {
    expect(inputProblems({ constructor: { prototype: 1 }, toString: "x", "": [null, "\ud83d\ude00", { a: "\u0000" }] })).toEqual([]);
    expect(inputProblems("text")).toEqual([]);
    expect(inputProblems(undefined)).toEqual([]);
  });

  it("names each lone surrogate in a string by its dotted path", () => {
    expect(inputProblems({ error_code: "E\ud800", inflight: ["a", "\udc00b"], nested: { deep: ["\ude00\ud83d"] } })).toEqual([
      { field: "error_code", issue: "is not well-formed Unicode (a lone surrogate)" },
      { field: "inflight.1", issue: "is not well-formed Unicode (a lone surrogate)" },
      { field: "nested.deep.0", issue: "is not well-formed Unicode (a lone surrogate)" },
    ]);
    expect(inputProblems("\ud800")).toEqual([{ field: "(body)", issue: "is not well-formed Unicode (a lone surrogate)" }]);
  });

  it("names the object holding a member name with a lone surrogate, without echoing the name", () => {
    expect(inputProblems({ payload: { "\udfff": 1 } })).toEqual([
      { field: "payload", issue: "has a member name that is not well-formed Unicode" },
    ]);
  });

  it("names a __proto__ member at any depth, as JSON.parse keeps it", () => {
    const parsed = JSON.parse('{"__proto__":{"x":1},"payload":{"a":[{"__proto__":null}]}}');
    expect(inputProblems(parsed)).toEqual([
      { field: "__proto__", issue: "a member named __proto__ is not accepted" },
      { field: "payload.a.0.__proto__", issue: "a member named __proto__ is not accepted" },
    ]);
  });

  it(`stops at ${MAX_INPUT_PROBLEMS} problems`, () => {
    expect(inputProblems(Array.from({ length: 50 }, () => "\ud800"))).toHaveLength(MAX_INPUT_PROBLEMS);
  });

  it("walks 100 000 levels of nesting without recursion", () => {
    const deep = JSON.parse(`${"[".repeat(100_000)}"\\ud800"${"]".repeat(100_000)}`);
    expect(inputProblems(deep)).toEqual([
      { field: Array(100_000).fill("0").join("."), issue: "is not well-formed Unicode (a lone surrogate)" },
    ]);
  });
});

describe("isPrincipalIdShaped (miner ids reserved for their key)", () => {
  it("matches every principal id a key can have", () => {
    for (const role of ROLES) expect(isPrincipalIdShaped(`${PRINCIPAL_PREFIX[role]}_${newKeyId()}`), role).toBe(true);
  });

  it("does not match ids that only resemble one", () => {
    for (const id of [
      "mnr_0123456789ABCDEF",
      "mnr_0123456789abcde",
      "mnr_0123456789abcdef0",
      "mnr-0123456789abcdef",
      "usr_0123456789abcdef",
      "xmnr_0123456789abcdef",
      "miner-1",
    ]) {
      expect(isPrincipalIdShaped(id), id).toBe(false);
    }
  });
});
