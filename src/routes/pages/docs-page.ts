import { htmlPage } from "./page-shell";

// The API reference page: renders the service's own /openapi.json, so it never disagrees with it.
export const DOCS_HTML = htmlPage(
  "edge-coordinator API",
  "/assets/docs.js",
  `<header><h1>edge-coordinator API</h1><a href="/openapi.json">openapi.json</a></header>
<main id="operations"><p class="muted">Loading…</p></main>`,
);

export const DOCS_JS = `"use strict";
function el(tag, text, cls) { const e = document.createElement(tag); if (text != null) e.textContent = text; if (cls) e.className = cls; return e; }
fetch("/openapi.json").then((r) => r.json()).then((doc) => {
  const main = document.getElementById("operations");
  main.replaceChildren(el("p", doc.info.title + " " + doc.info.version + " — " + (doc.info.description || ""), "muted"));
  const byTag = {};
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = (op.tags && op.tags[0]) || "Other";
      (byTag[tag] = byTag[tag] || []).push({ path, method, op });
    }
  }
  for (const [tag, ops] of Object.entries(byTag)) {
    const section = el("section");
    section.appendChild(el("h2", tag));
    for (const { path, method, op } of ops) {
      const box = el("details", null, "op");
      const summary = el("summary");
      summary.appendChild(el("span", method.toUpperCase(), "method " + method));
      summary.appendChild(el("code", path));
      summary.appendChild(el("span", " " + (op.operationId || ""), "muted"));
      box.appendChild(summary);
      if (op.security && op.security.length) box.appendChild(el("p", "Needs an API key (X-Api-Key or Authorization: Bearer).", "muted"));
      for (const p of op.parameters || []) box.appendChild(el("p", p.in + " " + p.name + (p.required ? " (required)" : "")));
      const body = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
      if (body) box.appendChild(el("pre", JSON.stringify(body.schema, null, 2)));
      const codes = Object.entries(op.responses || {}).map(([code, r]) => code + " " + (r.description || ""));
      box.appendChild(el("p", codes.join(" · "), "muted"));
      section.appendChild(box);
    }
    main.appendChild(section);
  }
});
`;
