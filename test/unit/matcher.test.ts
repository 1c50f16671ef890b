import { describe, expect, it } from "vitest";
import type { Constraints } from "../../src/model/job";
import type { Capabilities } from "../../src/model/miner";
import {
  compareQueueOrder,
  constraintClassKey,
  cudaCompatible,
  fits,
  type MatchableMiner,
  pickBest,
  type QueueHead,
} from "../../src/queue/matcher";

function miner(capabilities: Capabilities = {}, region = "eu-west"): MatchableMiner {
  return { region, capabilities };
}

const RTX = { name: "RTX 4090", memory_mb: 24_576 };
const A100 = { name: "A100", memory_mb: 81_920 };
const FULL = miner({ gpus: [RTX, A100], cuda: "12.3", models: ["sdxl", "llama-3-8b", "whisper"], price: 4.2 });

describe("fits: each constraint on its own", () => {
  it("fits every miner when the job sets no constraint", () => {
    expect(fits({}, FULL)).toBe(true);
    expect(fits({}, miner())).toBe(true);
  });

  describe("region", () => {
    it("fits a miner in the same region", () => {
      expect(fits({ region: "eu-west" }, miner({}, "eu-west"))).toBe(true);
    });
    it("does not fit a miner in another region", () => {
      expect(fits({ region: "us-east" }, miner({}, "eu-west"))).toBe(false);
    });
    it("compares region names exactly", () => {
      expect(fits({ region: "EU-WEST" }, miner({}, "eu-west"))).toBe(false);
      expect(fits({ region: "eu" }, miner({}, "eu-west"))).toBe(false);
    });
  });

  describe("gpu", () => {
    it("fits when any of the miner's GPUs has that name", () => {
      expect(fits({ gpu: "A100" }, FULL)).toBe(true);
      expect(fits({ gpu: "RTX 4090" }, FULL)).toBe(true);
    });
    it("does not fit when no GPU has that name", () => {
      expect(fits({ gpu: "H100" }, FULL)).toBe(false);
      expect(fits({ gpu: "a100" }, FULL)).toBe(false);
    });
    it("does not fit a miner that reports no GPUs", () => {
      expect(fits({ gpu: "A100" }, miner())).toBe(false);
      expect(fits({ gpu: "A100" }, miner({ gpus: [] }))).toBe(false);
    });
  });

  describe("min_vram_gb", () => {
    const with16Gb = miner({ gpus: [{ name: "T4", memory_mb: 16_384 }] });
    it("fits when min_vram_gb × 1024 equals a GPU's memory_mb", () => {
      expect(fits({ min_vram_gb: 16 }, with16Gb)).toBe(true);
    });
    it("does not fit when a GPU is one MB short", () => {
      expect(fits({ min_vram_gb: 16 }, miner({ gpus: [{ name: "T4", memory_mb: 16_383 }] }))).toBe(false);
    });
    it("counts a GPU whose memory is unknown (null) as fitting no minimum, but still by name", () => {
      const unknownMemory = miner({ gpus: [{ name: "T4", memory_mb: null }] });
      expect(fits({ min_vram_gb: 1 }, unknownMemory)).toBe(false);
      expect(fits({ gpu: "T4" }, unknownMemory)).toBe(true);
    });
    it("does not read gigabytes as 1000 MB", () => {
      expect(fits({ min_vram_gb: 16 }, miner({ gpus: [{ name: "T4", memory_mb: 16_000 }] }))).toBe(false);
    });
    it("handles fractional gigabytes", () => {
      expect(fits({ min_vram_gb: 15.5 }, with16Gb)).toBe(true);
      expect(fits({ min_vram_gb: 16.001 }, with16Gb)).toBe(false);
    });
    it("fits when any one GPU is large enough", () => {
      expect(fits({ min_vram_gb: 80 }, FULL)).toBe(true);
      expect(fits({ min_vram_gb: 81 }, FULL)).toBe(false);
    });
    it("does not fit a miner that reports no GPUs", () => {
      expect(fits({ min_vram_gb: 1 }, miner())).toBe(false);
    });
  });

  describe("cuda", () => {
    const withCuda = (cuda: string) => miner({ cuda });
    it('fits "12" to "12.3" and to "12"', () => {
      expect(fits({ cuda: "12" }, withCuda("12.3"))).toBe(true);
      expect(fits({ cuda: "12" }, withCuda("12"))).toBe(true);
    });
    it('fits "12.3" to "12.3" and "12.3.1"', () => {
      expect(fits({ cuda: "12.3" }, withCuda("12.3"))).toBe(true);
      expect(fits({ cuda: "12.3" }, withCuda("12.3.1"))).toBe(true);
    });
    it('does not fit "12" to "120"', () => {
      expect(fits({ cuda: "12" }, withCuda("120"))).toBe(false);
    });
    it('does not fit "1" to "12.3"', () => {
      expect(fits({ cuda: "1" }, withCuda("12.3"))).toBe(false);
    });
    it("does not fit another major or minor version", () => {
      expect(fits({ cuda: "12" }, withCuda("11.8"))).toBe(false);
      expect(fits({ cuda: "12.3" }, withCuda("12.4"))).toBe(false);
      expect(fits({ cuda: "12.3" }, withCuda("12.30"))).toBe(false);
    });
    it("does not fit a more precise requirement than the miner reports", () => {
      expect(fits({ cuda: "12.3" }, withCuda("12"))).toBe(false);
    });
    it("does not fit a miner that reports no CUDA version", () => {
      expect(fits({ cuda: "12" }, miner())).toBe(false);
    });
    it("agrees with cudaCompatible", () => {
      expect(cudaCompatible("12", "12.3")).toBe(true);
      expect(cudaCompatible("12", "120")).toBe(false);
      expect(cudaCompatible("1", "12.3")).toBe(false);
      expect(cudaCompatible("12", undefined)).toBe(false);
    });
  });

  describe("models", () => {
    it("fits when every required model is among the miner's", () => {
      expect(fits({ models: ["sdxl"] }, FULL)).toBe(true);
      expect(fits({ models: ["whisper", "sdxl"] }, FULL)).toBe(true);
      expect(fits({ models: ["sdxl", "llama-3-8b", "whisper"] }, FULL)).toBe(true);
    });
    it("does not fit when one required model is missing", () => {
      expect(fits({ models: ["sdxl", "flux"] }, FULL)).toBe(false);
    });
    it("fits an empty model list to any miner", () => {
      expect(fits({ models: [] }, miner())).toBe(true);
    });
    it("does not fit a miner that reports no models", () => {
      expect(fits({ models: ["sdxl"] }, miner())).toBe(false);
    });
    it("matches model names exactly, not by substring", () => {
      expect(fits({ models: ["llama"] }, FULL)).toBe(false);
    });
  });

  describe("max_price", () => {
    it("fits when max_price is above or equal to the miner's price", () => {
      expect(fits({ max_price: 5 }, miner({ price: 4.2 }))).toBe(true);
      expect(fits({ max_price: 4.2 }, miner({ price: 4.2 }))).toBe(true);
    });
    it("does not fit when the miner asks more", () => {
      expect(fits({ max_price: 4.19 }, miner({ price: 4.2 }))).toBe(false);
    });
    it("treats a miner with no price as free", () => {
      expect(fits({ max_price: 0 }, miner())).toBe(true);
    });
    it("fits max_price 0 only to free miners", () => {
      expect(fits({ max_price: 0 }, miner({ price: 0 }))).toBe(true);
      expect(fits({ max_price: 0 }, miner({ price: 0.01 }))).toBe(false);
    });
  });

  describe("max_units", () => {
    it("is no matching rule (it caps what a receipt bills): every miner fits it", () => {
      expect(fits({ max_units: 0 }, miner())).toBe(true);
      expect(fits({ max_units: 10, max_price: 5 }, FULL)).toBe(true);
    });
    it("still makes its own queue class", () => {
      expect(constraintClassKey({ max_units: 10 })).not.toBe(constraintClassKey({}));
    });
  });
});

describe("fits: combinations", () => {
  const all: Constraints = { region: "eu-west", gpu: "A100", min_vram_gb: 80, cuda: "12", models: ["sdxl"], max_price: 5 };

  it("fits when every constraint holds", () => {
    expect(fits(all, FULL)).toBe(true);
  });

  it("does not fit when any single constraint fails", () => {
    const breakers: Constraints[] = [
      { region: "us-east" },
      { gpu: "H100" },
      { min_vram_gb: 96 },
      { cuda: "11" },
      { models: ["flux"] },
      { max_price: 4 },
    ];
    for (const breaker of breakers) {
      expect(fits({ ...all, ...breaker }, FULL), JSON.stringify(breaker)).toBe(false);
    }
  });

  it("ignores capabilities the job does not ask about", () => {
    expect(fits({ region: "eu-west" }, miner({ price: 1e9, cuda: "9" }))).toBe(true);
  });
});

describe("compareQueueOrder and pickBest", () => {
  const head = (jobId: string, priority: number, requestedAt: number): QueueHead => ({ jobId, priority, requestedAt });

  it("returns undefined for no candidates", () => {
    expect(pickBest([])).toBeUndefined();
  });

  it("picks the highest priority first, even over an older job", () => {
    const old = head("a".repeat(32), 0, 1000);
    const urgent = head("b".repeat(32), 5, 9000);
    expect(pickBest([old, urgent])).toBe(urgent);
    expect(pickBest([urgent, old])).toBe(urgent);
  });

  it("treats negative priority as below default", () => {
    const low = head("a".repeat(32), -100, 1000);
    const normal = head("b".repeat(32), 0, 9000);
    expect(pickBest([low, normal])).toBe(normal);
  });

  it("picks the oldest among equal priorities", () => {
    const newer = head("a".repeat(32), 3, 2000);
    const older = head("b".repeat(32), 3, 1000);
    expect(pickBest([newer, older])).toBe(older);
    expect(pickBest([older, newer])).toBe(older);
  });

  it("breaks a full tie by job id", () => {
    const first = head("0".repeat(32), 3, 1000);
    const second = head("1".repeat(32), 3, 1000);
    expect(pickBest([second, first])).toBe(first);
    expect(pickBest([first, second])).toBe(first);
  });

  it("sorts a mixed queue: priority, then age, then id, whatever the input order", () => {
    const jobs = [head("c", 0, 100), head("b", 10, 300), head("a", 10, 300), head("d", 10, 200), head("e", -5, 50), head("f", 0, 99)];
    const expected = ["d", "a", "b", "f", "c", "e"];
    expect([...jobs].sort(compareQueueOrder).map((j) => j.jobId)).toEqual(expected);
    expect(
      [...jobs]
        .reverse()
        .sort(compareQueueOrder)
        .map((j) => j.jobId),
    ).toEqual(expected);
    expect(pickBest(jobs)?.jobId).toBe("d");
    expect(pickBest([...jobs].reverse())?.jobId).toBe("d");
  });

  it("is antisymmetric and zero only for the same head", () => {
    const a = head("a", 1, 10);
    const b = head("b", 1, 10);
    expect(Math.sign(compareQueueOrder(a, b))).toBe(-Math.sign(compareQueueOrder(b, a)));
    expect(compareQueueOrder(a, b)).not.toBe(0);
    expect(compareQueueOrder(a, { ...a })).toBe(0);
  });

  it("keeps the extra fields of the candidate it returns", () => {
    const best = pickBest([{ ...head("a", 1, 1), payload: { x: 1 } }]);
    expect(best?.payload).toEqual({ x: 1 });
  });
});

describe("constraintClassKey", () => {
  it("does not depend on key order", () => {
    expect(constraintClassKey({ gpu: "A100", region: "eu-west", cuda: "12" })).toBe(
      constraintClassKey({ cuda: "12", region: "eu-west", gpu: "A100" }),
    );
  });

  it("does not depend on the order of models", () => {
    expect(constraintClassKey({ models: ["b", "a", "c"] })).toBe(constraintClassKey({ models: ["c", "a", "b"] }));
  });

  it("does not reorder the caller's models array", () => {
    const models = ["b", "a"];
    constraintClassKey({ models });
    expect(models).toEqual(["b", "a"]);
  });

  it("differs when a value differs", () => {
    const base: Constraints = { gpu: "A100", min_vram_gb: 40, models: ["sdxl"], max_price: 5 };
    const variants: Constraints[] = [
      { ...base, gpu: "H100" },
      { ...base, min_vram_gb: 80 },
      { ...base, models: ["sdxl", "flux"] },
      { ...base, max_price: 6 },
      { ...base, region: "eu-west" },
      { ...base, cuda: "12" },
    ];
    const keys = new Set([base, ...variants].map(constraintClassKey));
    expect(keys.size).toBe(variants.length + 1);
  });

  it("does not confuse the same value under different keys", () => {
    expect(constraintClassKey({ gpu: "eu" })).not.toBe(constraintClassKey({ region: "eu" }));
    expect(constraintClassKey({ models: ["A100"] })).not.toBe(constraintClassKey({ gpu: "A100" }));
  });

  it("ignores undefined and null members", () => {
    const withHoles = { gpu: "A100", region: undefined, cuda: null } as unknown as Constraints;
    expect(constraintClassKey(withHoles)).toBe(constraintClassKey({ gpu: "A100" }));
    expect(constraintClassKey({ region: undefined })).toBe(constraintClassKey({}));
  });

  it("is a string that is equal for equal constraints", () => {
    expect(typeof constraintClassKey({})).toBe("string");
    expect(constraintClassKey({ region: "x" })).toBe(constraintClassKey({ region: "x" }));
  });
});
