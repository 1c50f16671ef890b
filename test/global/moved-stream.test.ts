// A job's event stream across a move (workers-global: us-east has shards 0 and 1). A client that
// watches a queued job at its shard sees that stream end when a sibling shard's miner takes the job;
// it reconnects with the last id it got and misses nothing, and the miner's progress reaches it from
// the shard that holds the lease.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { getConfig } from "../../src/config";
import { MOVED_CLOSE_CODE } from "../../src/queue/job-stream";
import { jobOrigin, minerShard } from "../../src/queue/shards";
import { minerCall, pollAs, registerMiner, submit, uniqueName } from "../helpers/api";
import { openSocket, openStream, type StreamMessage, until } from "../helpers/event-stream";

const config = getConfig(env);
const said = (m: StreamMessage) => `${m.id} ${m.type} ${m.state ?? m.data}`;

describe("a watched job that moves to another shard", () => {
  it("ends its streams there; a resume finds it where it is now, with the progress of its miner", async () => {
    const gpu = uniqueName("gpu");
    const submitted = await submit({ payload: {}, constraints: { region: "us-east", gpu } });
    const jobId = submitted.body.job_id as string;
    // A miner of the other shard of the region: its poll takes the job from the shard it was submitted to.
    let minerId = uniqueName("m");
    while (minerShard(minerId, config.shardsPerRegion) === jobOrigin(jobId, config)!.shard) minerId = uniqueName("m");
    await registerMiner(minerId, { region: "us-east", capabilities: { gpus: [{ name: gpu, memory_mb: 1 }] } });

    const sse = await openStream(jobId);
    expect((await sse.read(1)).map(said)).toEqual(["1 state.changed QUEUED"]);
    const ws = await openSocket(jobId);
    await until(() => ws.messages.length >= 1);

    const lease = await pollAs(minerId);
    expect(lease.body.job_id).toBe(jobId);
    expect(await sse.read()).toEqual([]);
    expect(sse.ended).toBe(true);
    expect(await ws.closed).toBe(MOVED_CLOSE_CODE);

    const resumed = await openStream(jobId, { headers: { "Last-Event-ID": "1" } });
    const resumedWs = await openSocket(jobId, "client", "?after=1");
    await minerCall(minerId, `/v1/miners/${jobId}/progress`, { lease_id: lease.body.lease_id, seq: 0, output: "hello" });
    await minerCall(minerId, `/v1/miners/${jobId}/result`, { lease_id: lease.body.lease_id, result: {} });
    const expected = ["2 state.changed RUNNING", "3 output.chunk hello", "4 state.changed COMPLETED", "5 result.ready COMPLETED"];
    expect((await resumed.read()).map(said)).toEqual(expected);
    expect(await resumedWs.closed).toBe(1000);
    expect(resumedWs.messages.map(said)).toEqual(expected);
  });
});
