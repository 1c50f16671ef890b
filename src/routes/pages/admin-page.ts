import { htmlPage } from "./page-shell";
import { ADMIN_SCRIPT, ADMIN_STYLES } from "./static-assets";

// The operators' dashboard: a static page whose scripts ask for an admin key (kept in sessionStorage
// only) and read the admin API with it. Nothing secret is in the page itself; every element the
// scripts fill has an id here, and the scripts (assets/admin/) build rows and cards into them.
export const ADMIN_HTML = htmlPage(
  "edge-coordinator admin",
  { styles: ADMIN_STYLES, scripts: [ADMIN_SCRIPT] },
  `<header>
  <h1>edge-coordinator</h1>
  <span id="status" class="muted" role="status">signed out</span>
  <button id="logout" type="button" hidden>Sign out</button>
</header>
<form id="login" class="login">
  <label for="key">Admin API key</label>
  <input id="key" type="password" autocomplete="off" required>
  <button type="submit">Open dashboard</button>
  <p id="login-error" class="error" role="alert" hidden></p>
</form>
<main id="dashboard" hidden>
  <section aria-labelledby="jobs-heading">
    <h2 id="jobs-heading">Jobs by state</h2>
    <div id="job-cards" class="cards"></div>
    <h2>Miners by status</h2>
    <div id="miner-cards" class="cards"></div>
  </section>
  <section aria-labelledby="charts-heading">
    <div class="section-head">
      <h2 id="charts-heading">Last hour</h2>
      <label>Region <select id="chart-region"></select></label>
    </div>
    <p id="charts-note" class="muted" hidden></p>
    <div id="charts" class="charts"></div>
  </section>
  <section aria-labelledby="regions-heading">
    <h2 id="regions-heading">Regions and shards</h2>
    <div class="scroll"><table id="regions"></table></div>
    <div class="scroll"><table id="shards"></table></div>
  </section>
  <section aria-labelledby="job-list-heading">
    <h2 id="job-list-heading">Jobs</h2>
    <form id="job-filters" class="filters">
      <label>State <select name="state"><option value="">any</option></select></label>
      <label>Region <select name="region"><option value="">any</option></select></label>
      <label>Miner <input name="miner_id" autocomplete="off" placeholder="miner id"></label>
      <label>Client <input name="client_id" autocomplete="off" placeholder="cli_…"></label>
    </form>
    <div class="scroll"><table id="jobs"></table></div>
    <div class="pager">
      <button id="jobs-prev" type="button" disabled>Previous</button>
      <span id="jobs-page" class="muted">page 1</span>
      <button id="jobs-next" type="button" disabled>Next</button>
    </div>
  </section>
  <section aria-labelledby="miners-heading">
    <h2 id="miners-heading">Miners</h2>
    <div class="scroll"><table id="miners"></table></div>
    <p id="miners-note" class="muted" hidden></p>
  </section>
  <section aria-labelledby="keys-heading">
    <h2 id="keys-heading">API keys</h2>
    <form id="key-create" class="filters">
      <label>Role <select name="role"><option>client</option><option>miner</option><option>admin</option></select></label>
      <label>Name <input name="name" required maxlength="128" autocomplete="off"></label>
      <label class="check"><input name="hmac" type="checkbox"> HMAC secret</label>
      <button type="submit">Create key</button>
    </form>
    <div id="key-secret" class="secret" role="alert" hidden>
      <p><strong>Copy it now: this is the only time the coordinator shows it.</strong></p>
      <dl id="key-secret-values"></dl>
      <button id="key-secret-done" type="button">Done, hide it</button>
    </div>
    <p id="keys-error" class="error" role="alert" hidden></p>
    <div class="scroll"><table id="keys"></table></div>
  </section>
  <p class="muted">Figures and charts refresh every 10 s (an open job every 4 s) while this tab is visible. Times show their age; hover for the exact time.</p>
</main>
<dialog id="job-detail" aria-labelledby="job-detail-title">
  <div class="dialog-head">
    <h2 id="job-detail-title">Job</h2>
    <button id="job-detail-close" type="button" aria-label="Close">Close</button>
  </div>
  <p id="job-detail-error" class="error" role="alert" hidden></p>
  <div class="actions">
    <button id="job-cancel" type="button" disabled>Cancel job</button>
    <button id="job-reissue" type="button" disabled>Re-issue receipt</button>
    <span id="job-action-result" class="muted" role="status"></span>
  </div>
  <dl id="job-facts" class="facts"></dl>
  <p id="job-error" class="error" hidden></p>
  <h3>Payload</h3>
  <pre id="job-payload"></pre>
  <h3>Result</h3>
  <pre id="job-result"></pre>
  <h3>Output</h3>
  <p id="job-progress" class="muted"></p>
  <pre id="job-output" hidden></pre>
  <h3>Events</h3>
  <div class="scroll"><table id="job-events"></table></div>
  <h3>Receipts</h3>
  <div id="job-receipts"></div>
</dialog>`,
);
