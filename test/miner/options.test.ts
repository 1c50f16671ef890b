import { describe, expect, it } from "vitest";
import { readOptions, UsageError } from "../../miner/options";

const BASE = ["--url", "http://127.0.0.1:8787/", "--key", "k"];

describe("miner options", () => {
  it("reads every flag", () => {
    const options = readOptions(
      [
        ...BASE,
        "--hmac-secret",
        "s3cret",
        "--id",
        "m-1",
        "--region",
        "eu-west",
        "--models",
        "llama3, sdxl,",
        "--gpu",
        "A100",
        "--vram-mb",
        "81920",
        "--cuda",
        "12.4",
        "--price",
        "0.5",
        "--concurrency",
        "4",
        "--runner",
        "shell",
        "--command",
        "cat",
        "--timeout",
        "30",
        "--poll-wait",
        "5",
      ],
      {},
    );
    expect(options).toEqual({
      url: "http://127.0.0.1:8787",
      key: "k",
      hmacSecret: "s3cret",
      id: "m-1",
      region: "eu-west",
      models: ["llama3", "sdxl"],
      gpu: { name: "A100", memoryMb: 81920 },
      cuda: "12.4",
      price: 0.5,
      concurrency: 4,
      runner: "shell",
      command: "cat",
      timeoutSeconds: 30,
      pollWaitSeconds: 5,
    });
  });

  it("takes the URL and key from COORDINATOR_URL and API_KEY, flags first, and has defaults", () => {
    const env = { COORDINATOR_URL: "https://coordinator.example", API_KEY: "from-env", API_HMAC_SECRET: "env-secret" };
    expect(readOptions([], env)).toMatchObject({
      url: "https://coordinator.example",
      key: "from-env",
      hmacSecret: "env-secret",
      models: [],
      concurrency: 1,
      runner: "echo",
      timeoutSeconds: 600,
      pollWaitSeconds: 15,
    });
    expect(readOptions(["--key", "flag"], env)).toMatchObject({ key: "flag" });
    expect(readOptions([...BASE, "--gpu", "T4"], {})).toMatchObject({ gpu: { name: "T4", memoryMb: null } });
  });

  it("answers help", () => {
    expect(readOptions(["-h"], {})).toBe("help");
  });

  it.each([
    [[], "--url (or COORDINATOR_URL) is required"],
    [["--url", "http://x"], "--key (or API_KEY) is required"],
    [["--url", "ftp://x", "--key", "k"], "--url must be an http(s) URL"],
    [[...BASE, "--runner", "gpu"], "--runner must be one of echo, sleep, shell"],
    [[...BASE, "--runner", "shell"], "--runner shell needs --command"],
    [[...BASE, "--concurrency", "0"], "--concurrency must be a whole number above 0 and at most 64"],
    [[...BASE, "--concurrency", "1.5"], "--concurrency must be a whole number"],
    [[...BASE, "--concurrency", "65"], "at most 64"],
    [[...BASE, "--vram-mb", "1024"], "--vram-mb needs --gpu"],
    [[...BASE, "--price=-1"], "--price must be a number of 0 or more"],
    [[...BASE, "--poll-wait", "31"], "--poll-wait must be a number above 0 and at most 30"],
    [[...BASE, "--colour", "red"], "Unknown option '--colour'"],
    [[...BASE, "extra"], "Unexpected argument 'extra'"],
  ])("refuses %j", (argv, message) => {
    expect(() => readOptions(argv, {})).toThrow(UsageError);
    expect(() => readOptions(argv, {})).toThrow(message);
  });
});
