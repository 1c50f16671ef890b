// The last hour per region, from GET /v1/admin/stats/history: queue depth, throughput per minute,
// and p50/p95 wait and run times, drawn with uPlot. One point per minute; a percentile of a minute
// with no data is a gap.
import uPlot from "/assets/uplot/uPlot.esm.js";
import { byId, el, say } from "./dom.browser.js";
import { duration } from "./time.browser.js";

const CHARTS = [
  {
    title: "Queue depth",
    series: [
      ["queued", "#1d4ed8"],
      ["running", "#059669"],
    ],
  },
  {
    title: "Finished per minute",
    series: [
      ["completed", "#059669"],
      ["failed", "#b91c1c"],
    ],
  },
  {
    title: "Wait to lease (p50, p95)",
    times: true,
    series: [
      ["wait_p50_ms", "#7c3aed", "p50"],
      ["wait_p95_ms", "#db2777", "p95"],
    ],
  },
  {
    title: "Run time (p50, p95)",
    times: true,
    series: [
      ["run_p50_ms", "#0891b2", "p50"],
      ["run_p95_ms", "#ea580c", "p95"],
    ],
  },
];
const HEIGHT = 170;

function options(chart, width) {
  const valueFormat = chart.times ? (_, value) => (value === null ? "—" : duration(value)) : (_, value) => (value === null ? "—" : value);
  return {
    width,
    height: HEIGHT,
    cursor: { drag: { x: false, y: false } },
    scales: { y: { range: (_, min, max) => [0, Math.max(chart.times ? 10 : 1, max * 1.1, min)] } },
    axes: [{ space: 80 }, { size: chart.times ? 60 : 40, values: chart.times ? (_, ticks) => ticks.map(duration) : undefined }],
    // Without a pointer over the chart, its legend tells the current minute.
    hooks: {
      draw: [
        (plot) => {
          if (plot.cursor.idx == null && plot.data[0].length) plot.setLegend({ idx: plot.data[0].length - 1 });
        },
      ],
    },
    series: [
      {},
      ...chart.series.map(([field, stroke, label]) => ({
        label: label ?? field,
        stroke,
        width: 2,
        value: valueFormat,
        // A percentile has gaps (minutes without leases or finished jobs): its points show even alone.
        ...(chart.times ? { points: { show: true, size: 5, fill: stroke } } : {}),
      })),
    ],
  };
}

const dataOf = (chart, points) => [
  points.map((p) => Date.parse(p.minute) / 1000),
  ...chart.series.map(([field]) => points.map((p) => p[field] ?? null)),
];

export function createCharts(api) {
  const container = byId("charts");
  const select = byId("chart-region");
  let history = null;
  let plots = [];
  let drawnRegion = null;

  const widthOf = (box) => Math.max(200, box.clientWidth - 8);

  function draw() {
    const regions = history?.regions ?? [];
    const region = regions.find((r) => r.region === select.value) ?? regions[0];
    if (!region) {
      say(byId("charts-note"), "No history yet.");
      return;
    }
    say(byId("charts-note"), region.points.length ? "" : `No figures for ${region.region} in the last ${history.minutes} min.`);
    if (drawnRegion !== region.region || !plots.length) {
      for (const plot of plots) plot.destroy();
      container.replaceChildren();
      plots = CHARTS.map((chart) => {
        const box = el(
          "figure",
          { className: "chart", dataset: { chart: chart.title } },
          el("h3", {}, `${chart.title} · ${region.region}`),
        );
        container.append(box);
        return new uPlot(options(chart, widthOf(box)), dataOf(chart, []), box);
      });
      drawnRegion = region.region;
    }
    for (const [i, plot] of plots.entries()) plot.setData(dataOf(CHARTS[i], region.points));
  }

  function fillRegions() {
    const names = history.regions.map((r) => r.region);
    const current = [...select.options].map((o) => o.value);
    if (names.join() !== current.join()) {
      const chosen = select.value;
      select.replaceChildren(...names.map((name) => el("option", { value: name }, name)));
      if (names.includes(chosen)) select.value = chosen;
    }
  }

  select.addEventListener("change", draw);
  new ResizeObserver(() => {
    for (const plot of plots) plot.setSize({ width: widthOf(plot.root.parentElement), height: HEIGHT });
  }).observe(container);

  return {
    async refresh() {
      history = await api.get("/v1/admin/stats/history", { minutes: 60 });
      fillRegions();
      draw();
    },
  };
}
