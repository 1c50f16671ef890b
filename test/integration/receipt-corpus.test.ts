// The shared corpus (test/fixtures/receipt-corpus) through the Worker; the e2e project runs the
// same documents through the offline CLI against the same verdicts.
import { describeCorpusOverHttp } from "../helpers/receipt-corpus";

await describeCorpusOverHttp("current");
