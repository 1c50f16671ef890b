// API keys (GET/POST/DELETE /v1/admin/keys): the list (never a secret), creating one (its key and
// HMAC secret shown once, until the operator hides them), and revoking one.
import { describe } from "./api.browser.js";
import { byId, confirmButton, el, fillTable, say } from "./dom.browser.js";
import { timeElement } from "./time.browser.js";

const LIMIT = 100;

export function createKeyList(api) {
  const form = byId("key-create");
  const secret = byId("key-secret");
  const error = byId("keys-error");

  function showSecret(created) {
    const values = [
      ["Key id", created.key_id],
      ["Role", created.role],
      ["Key", created.key],
      ...(created.hmac_secret ? [["HMAC secret", created.hmac_secret]] : []),
    ];
    byId("key-secret-values").replaceChildren(
      ...values.flatMap(([label, value]) => [el("dt", {}, label), el("dd", {}, el("code", {}, value))]),
    );
    secret.hidden = false;
  }

  function hideSecret() {
    byId("key-secret-values").replaceChildren();
    secret.hidden = true;
  }

  async function run(action) {
    say(error, "");
    try {
      await action();
    } catch (err) {
      say(error, describe(err));
    }
  }

  const revokeCell = (key) => {
    if (key.revoked_at) return el("td", {}, ["revoked ", timeElement(key.revoked_at)]);
    if (key.source === "env")
      return el("td", { className: "muted", title: "A bootstrap key: remove it from the environment" }, "bootstrap");
    return el(
      "td",
      {},
      confirmButton("Revoke", () =>
        run(async () => {
          await api.delete(`/v1/admin/keys/${encodeURIComponent(key.key_id)}`);
          await refresh();
        }),
      ),
    );
  };

  async function refresh() {
    const page = await api.get("/v1/admin/keys", { limit: LIMIT });
    fillTable(
      byId("keys"),
      ["key id", "name", "role", "principal", "hmac", "created", "last used", ""],
      page.items.map((k) => [
        el("code", {}, k.key_id),
        k.name,
        k.role,
        el("code", {}, k.principal_id),
        k.hmac ? (k.hmac_status ?? "yes") : "no",
        timeElement(k.created_at),
        timeElement(k.last_used_at),
        revokeCell(k),
      ]),
    );
    page.items.forEach((k, i) => {
      byId("keys").tBodies[0].rows[i].dataset.keyId = k.key_id;
    });
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    const fields = new FormData(form);
    run(async () => {
      const created = await api.post("/v1/admin/keys", {
        role: fields.get("role"),
        name: fields.get("name"),
        hmac: fields.get("hmac") === "on",
      });
      form.reset();
      showSecret(created);
      await refresh();
    });
  });
  byId("key-secret-done").addEventListener("click", hideSecret);

  return { refresh: () => run(refresh), hideSecret };
}
