// Building the page's elements: every text goes in as text (never HTML), so nothing the API
// returns can inject markup.

export const byId = (id) => document.getElementById(id);

/** An element with properties (className, title, type, dataset…, on* handlers) and children (nodes, strings; null skipped). */
export function el(tag, props = {}, children = []) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name === "dataset") Object.assign(element.dataset, value);
    else element[name] = value;
  }
  for (const child of [children].flat()) {
    if (child === null || child === undefined) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Shows `text` in an element, or hides it when there is none. */
export function say(element, text) {
  element.textContent = text ?? "";
  element.hidden = !text;
}

/**
 * Fills a table: a header row, then one row per item (each cell a node, a string, a number or null).
 * `onOpen(index)` makes rows clickable (and reachable by keyboard).
 */
export function fillTable(table, headers, rows, { onOpen, empty = "none" } = {}) {
  const head = el(
    "thead",
    {},
    el(
      "tr",
      {},
      headers.map((h) => el("th", { scope: "col" }, h)),
    ),
  );
  const body = el("tbody");
  rows.forEach((cells, index) => {
    const row = el(
      "tr",
      {},
      cells.map((cell) => (cell instanceof HTMLTableCellElement ? cell : el("td", {}, cell ?? "—"))),
    );
    if (onOpen) {
      row.className = "clickable";
      row.tabIndex = 0;
      row.addEventListener("click", (e) => {
        if (!(e.target instanceof HTMLButtonElement)) onOpen(index);
      });
      row.addEventListener("keydown", (e) => {
        if (e.key === "Enter") onOpen(index);
      });
    }
    body.append(row);
  });
  if (rows.length === 0) body.append(el("tr", {}, el("td", { colSpan: headers.length, className: "muted" }, empty)));
  table.replaceChildren(head, body);
}

/** A job state or miner status as a coloured badge. */
export const badge = (state) => el("span", { className: `state ${state}` }, state);

/** A cell that wraps its text instead of widening the table. */
export const wrapCell = (content, title) => el("td", { className: "wrap", title: title ?? "" }, content);

/** JSON as people read it. */
export const pretty = (value) => JSON.stringify(value, null, 2);

/** Makes a button for something that cannot be undone ask first: the first click asks "sure?" for a few seconds, the second acts. */
export function confirmFirst(button, action) {
  const label = button.textContent;
  let armed = null;
  const disarm = () => {
    clearTimeout(armed);
    armed = null;
    button.textContent = label;
    button.classList.remove("confirm");
  };
  button.classList.add("danger");
  button.addEventListener("click", async () => {
    if (!armed) {
      button.textContent = `${label}: sure?`;
      button.classList.add("confirm");
      armed = setTimeout(disarm, 4000);
      return;
    }
    disarm();
    await action();
  });
  return button;
}

export const confirmButton = (label, action) => confirmFirst(el("button", { type: "button" }, label), action);
