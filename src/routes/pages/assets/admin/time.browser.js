// Times as people read them: an ISO time's age ("12 s ago", its exact time as the title), and
// durations in milliseconds. The ages are recomputed every second from the datetime attribute.
const UNITS = [
  [86_400, "d"],
  [3_600, "h"],
  [60, "min"],
  [1, "s"],
];

/** "12 s ago", "in 3 min", "just now"; "" for a value that is not a time. */
export function ago(iso, now = Date.now()) {
  const seconds = Math.round((now - Date.parse(iso)) / 1000);
  if (Number.isNaN(seconds)) return "";
  const abs = Math.abs(seconds);
  if (abs < 1) return "just now";
  const [size, unit] = UNITS.find(([s]) => abs >= s);
  const count = Math.floor(abs / size);
  return seconds > 0 ? `${count} ${unit} ago` : `in ${count} ${unit}`;
}

/** A <time> showing the age of `iso`, with the ISO time as its title; a dash when there is none. */
export function timeElement(iso) {
  if (!iso) return document.createTextNode("—");
  const time = document.createElement("time");
  time.dateTime = iso;
  time.title = iso;
  time.className = "age";
  time.textContent = ago(iso);
  return time;
}

/** Brings every age on the page up to date. */
export function refreshAges(root = document) {
  const now = Date.now();
  for (const time of root.querySelectorAll("time.age")) time.textContent = ago(time.dateTime, now);
}

/** "850 ms", "12.5 s", "3.2 min"; "—" for null. */
export function duration(ms) {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}
