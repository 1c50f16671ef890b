import { describe, expect, it } from "vitest";
import { buildCorpus, type KeySet, publishedKeysOf, VERDICTS } from "../fixtures/receipt-corpus/corpus";
import { call } from "./api";

/** Registers one test per corpus document judged against `set`: POST /v1/receipts/verify must give its verdict. */
export async function describeCorpusOverHttp(set: KeySet): Promise<void> {
  const documents = (await buildCorpus()).filter((document) => document.keys === set);
  describe(`the receipt corpus (${set} keys) through POST /v1/receipts/verify`, () => {
    it("is judged against exactly the keys the Worker publishes", async () => {
      expect((await call("GET", "/v1/receipts/keys")).body.keys).toEqual(await publishedKeysOf(set));
    });

    it.each(documents.map((document) => [document.name, document.json] as const))("%s", async (name, json) => {
      const res = await call("POST", "/v1/receipts/verify", { rawBody: json, headers: { "content-type": "application/json" } });
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: VERDICTS[name] });
    });
  });
}
