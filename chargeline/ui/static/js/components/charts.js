// Time-series charts on uPlot (vendor/uPlot.iife.min.js, MIT). Each chart sits in a <figure> with a
// text summary for screen readers, follows its container's width and is destroyed with its page.

import { h } from "../dom.js";

const PALETTE = ["--c1", "--c2", "--c3", "--c4", "--c5"];

function color(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#2563eb";
}

// series: [{label, unit, scale?, stepped?, dash?, fill?, format?(v)}]; data: [xs (unix s), ys...]
export function timeChart(container, { title, series, data, height = 260, yLabel, summary }) {
  const uPlot = window.uPlot;
  const figure = h("figure", { class: "chart" }, h("figcaption", { text: title }));
  const plotHost = h("div", { class: "chart-plot", role: "img", "aria-label": summary || title });
  figure.append(plotHost);
  container.append(figure);
  if (!uPlot) {
    plotHost.append(h("p", { class: "muted", text: "Charts are not available (uPlot did not load)." }));
    return { update() {}, destroy() {} };
  }
  const grid = color("--grid");
  const axisText = color("--muted");
  const pad = (n) => String(n).padStart(2, "0");
  const xValues = (u, splits) => {
    const span = (u.scales.x.max || 0) - (u.scales.x.min || 0);
    return splits.map((s) => {
      const d = new Date(s * 1000);
      const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
      return span > 2 * 86400 ? `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hm}` : hm;
    });
  };
  const opts = {
    width: Math.max(280, plotHost.clientWidth || container.clientWidth || 600),
    height,
    scales: { x: { time: true }, y: { range: (u, min, max) => [Math.min(0, min ?? 0), max > 0 ? max * 1.08 : 1] } },
    legend: { live: true },
    cursor: { drag: { x: true, y: false } },
    axes: [
      { stroke: axisText, grid: { stroke: grid }, ticks: { stroke: grid }, values: xValues },
      { stroke: axisText, grid: { stroke: grid }, ticks: { stroke: grid }, label: yLabel, size: 60,
        values: (u, vals) => vals.map((v) => (v === null ? "" : Number(v).toLocaleString())) },
    ],
    series: [{ label: "Time", value: (u, v) => (v === null || v === undefined ? "–" : new Date(v * 1000).toLocaleString()) },
      ...series.map((s, i) => ({
      label: s.label,
      stroke: color(s.color || PALETTE[i % PALETTE.length]),
      width: 2,
      dash: s.dash,
      fill: s.fill ? color(s.color || PALETTE[i % PALETTE.length]) + "22" : undefined,
      paths: s.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined,
      spanGaps: s.stepped || false,
      value: (u, v) => (v === null || v === undefined ? "–" : (s.format ? s.format(v) : `${Number(v).toLocaleString()} ${s.unit || ""}`)),
    }))],
  };
  const plot = new uPlot(opts, data, plotHost);
  figure.dataset.points = String(data[0] ? data[0].length : 0);
  const resize = new ResizeObserver(() => {
    const width = plotHost.clientWidth;
    if (width > 0 && Math.abs(width - plot.width) > 2) plot.setSize({ width, height });
  });
  resize.observe(plotHost);
  return {
    plot,
    update(next) {
      plot.setData(next);
      figure.dataset.points = String(next[0] ? next[0].length : 0);
    },
    destroy() {
      resize.disconnect();
      plot.destroy();
    },
  };
}

// Step series from [{start (Date|iso), end?, value}] onto a shared x axis: returns [xs, ys].
export function steps(points) {
  const xs = [];
  const ys = [];
  for (const p of points) {
    const start = new Date(p.start).getTime() / 1000;
    xs.push(start);
    ys.push(p.value);
    if (p.end) {
      xs.push(new Date(p.end).getTime() / 1000);
      ys.push(p.value);
    }
  }
  return [xs, ys];
}

// Align several [{t (seconds), v}] series on the union of their times (uPlot's data shape).
export function align(seriesList) {
  const times = Array.from(new Set(seriesList.flatMap((s) => s.map((p) => p.t)))).sort((a, b) => a - b);
  const index = new Map(times.map((t, i) => [t, i]));
  const columns = seriesList.map((s) => {
    const col = new Array(times.length).fill(null);
    for (const p of s) col[index.get(p.t)] = p.v;
    return col;
  });
  return [times, ...columns];
}
