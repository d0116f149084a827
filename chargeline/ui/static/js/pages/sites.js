// Sites: the load-management tree with its limits, planned vs measured load against the limit, and
// the price schedule. Shows an empty state while the smart-charging API is not there (404).

import { align, steps, timeChart } from "../components/charts.js";
import { formDialog } from "../components/dialog.js";
import { simpleTable } from "../components/table.js";
import { toast } from "../components/toast.js";
import { emptyState, errorBox, h, replace } from "../dom.js";
import * as fmt from "../format.js";
import { href, setQuery } from "../router.js";
import { can, roleNote } from "../session.js";
import { getLoad, getPrices, getSite, listSites, putPrices } from "../sites_api.js";

const RANGES = [["6h", 6], ["24h", 24], ["7d", 168]];

function limitText(node) {
  const parts = [];
  if (node.limit_w !== null && node.limit_w !== undefined) parts.push(fmt.kw(node.limit_w));
  if (node.limit_a !== null && node.limit_a !== undefined) parts.push(`${fmt.number(node.limit_a, 1)} A`);
  if (node.phases) parts.push(`${node.phases} ph`);
  return parts.length ? parts.join(" · ") : "no limit";
}

// The site's nodes under its grid connection (the site itself when no node is the grid).
function tree(site) {
  let nodes = site.nodes || [];
  if (!nodes.some((n) => n.kind === "grid")) {
    const grid = { id: "__grid", parent_id: null, kind: "grid", name: "Grid connection", limit_w: site.current_limit_w ?? site.limit_w,
      limit_a: site.limit_a, phases: site.phases };
    const ids = new Set(nodes.map((n) => n.id));
    nodes = [grid, ...nodes.map((n) => (n.parent_id === null || n.parent_id === undefined || !ids.has(n.parent_id)
      ? { ...n, parent_id: "__grid" } : n))];
  }
  const children = new Map();
  for (const n of nodes) {
    const key = n.parent_id ?? null;
    if (!children.has(key)) children.set(key, []);
    children.get(key).push(n);
  }
  const ids = new Set(nodes.map((n) => n.id));
  const roots = nodes.filter((n) => n.parent_id === null || n.parent_id === undefined || !ids.has(n.parent_id));
  const item = (n, level) => {
    const kids = children.get(n.id) || [];
    const evse = n.evse_id !== null && n.evse_id !== undefined ? ` EVSE ${n.evse_id}` : "";
    const name = n.name || (n.station_id ? `${n.station_id}${evse}` : String(n.id));
    return h("li", { role: "treeitem", "aria-level": String(level), "aria-expanded": kids.length ? "true" : null },
      h("div", { class: "connector" },
        h("span", {}, h("span", { class: "badge", text: n.kind }), " ",
          n.station_id ? h("a", { href: href(`/stations/${encodeURIComponent(n.station_id)}`), text: name,
            title: `${n.station_id}${evse}` }) : h("strong", { text: name })),
        h("span", { class: "mono", text: limitText(n) })),
      kids.length ? h("ul", { role: "group", class: "tree" }, kids.map((k) => item(k, level + 1))) : null);
  };
  return h("ul", { role: "tree", class: "tree", "aria-label": "Site tree" }, roots.map((n) => item(n, 1)));
}

async function priceEditor(siteId, prices, onSaved) {
  const rows = h("tbody");
  const addRow = (p = {}) => {
    const tr = h("tr", {},
      h("td", {}, h("input", { type: "datetime-local", "aria-label": "Start", value: fmt.toLocalInput(p.start), required: true, dataset: { f: "start" } })),
      h("td", {}, h("input", { type: "datetime-local", "aria-label": "End", value: fmt.toLocalInput(p.end), required: true, dataset: { f: "end" } })),
      h("td", {}, h("input", { type: "number", step: "any", min: 0, "aria-label": "Price per kWh", value: p.price_per_kwh ?? "", required: true, dataset: { f: "price" } })),
      h("td", {}, h("button", { type: "button", class: "btn btn-small", text: "Remove", onclick: () => tr.remove() })));
    rows.append(tr);
  };
  prices.forEach(addRow);
  if (!prices.length) addRow();
  await formDialog({ title: "Price schedule", wide: true, submitLabel: "Save prices",
    fields: h("div", {}, h("table", { class: "data" }, h("thead", {}, h("tr", {}, ["Start", "End", "Price per kWh", ""].map((t) => h("th", { text: t })))), rows),
      h("button", { type: "button", class: "btn btn-small", text: "Add a period", onclick: () => addRow() })),
    submit: async () => {
      const body = Array.from(rows.children).map((tr) => ({
        start: fmt.fromLocalInput(tr.querySelector("[data-f=start]").value),
        end: fmt.fromLocalInput(tr.querySelector("[data-f=end]").value),
        price_per_kwh: Number(tr.querySelector("[data-f=price]").value),
      }));
      await putPrices(siteId, body);
      toast("Prices saved", "ok");
      onSaved();
    } });
}

async function siteView(container, siteId, range) {
  const plots = [];
  const site = await getSite(siteId);
  if (site === null) {
    replace(container, emptyState(`No site ${siteId}`, "The site does not exist or the sites API is not available."));
    return () => {};
  }
  const hours = (RANGES.find(([k]) => k === range) || RANGES[1])[1];
  const until = new Date();
  const since = new Date(until.getTime() - hours * 3600e3);
  const loadBox = h("div", { id: "site-load" });
  const priceBox = h("div", { id: "site-prices" });
  const rangeSelect = h("select", { id: "site-range" }, RANGES.map(([k]) => h("option", { value: k, text: `last ${k}`, selected: k === range })));
  rangeSelect.addEventListener("change", () => {
    window.location.hash = href(`/sites/${encodeURIComponent(siteId)}`, { range: rangeSelect.value });
  });
  replace(container,
    h("div", { class: "page-head" }, h("h2", { text: site.name || String(site.id) }),
      h("div", { class: "field actions" }, h("label", { for: "site-range", text: "Range" }), rangeSelect)),
    h("div", { class: "grid grid-2" },
      h("section", { class: "panel", "aria-labelledby": "tree-title" }, h("h3", { id: "tree-title", text: "Site tree and limits" }),
        tree(site), site.nodes && site.nodes.length ? null : h("p", { class: "muted", text: "No circuits or stations yet." })),
      h("section", { class: "panel", "aria-labelledby": "load-title" }, h("h3", { id: "load-title", text: "Planned and measured load" }), loadBox)),
    h("section", { class: "panel", "aria-labelledby": "prices-title" }, h("h3", { id: "prices-title", text: "Price schedule" }), priceBox));

  try {
    const load = await getLoad(siteId, since, until);
    if (load === null || (!load.planned.length && !load.measured.length && !load.limit.length)) {
      loadBox.append(emptyState("No load data", load === null ? "The load route is not available." : "Nothing planned or measured in this range."));
    } else {
      const kwOf = (s) => s.map((p) => ({ t: p.t, v: p.v === null ? null : p.v / 1000 }));
      plots.push(timeChart(loadBox, { title: `Load, last ${range}`, yLabel: "kW", height: 280,
        summary: `Planned, measured and limit load of ${site.name || site.id}`,
        data: align([kwOf(load.planned), kwOf(load.measured), kwOf(load.limit)]),
        series: [{ label: "Planned (kW)", unit: "kW", stepped: true, dash: [6, 4], color: "--c1" },
          { label: "Measured (kW)", unit: "kW", color: "--c2", fill: true },
          { label: "Limit (kW)", unit: "kW", stepped: true, color: "--c3" }] }));
    }
  } catch (err) {
    loadBox.append(errorBox(err));
  }

  async function loadPrices() {
    plots.splice(1).forEach((p) => p.destroy());
    try {
      const prices = await getPrices(siteId);
      const edit = h("button", { type: "button", class: "btn", text: "Edit prices", disabled: !can("operator") || prices === null,
        title: can("operator") ? null : roleNote("operator"), onclick: () => priceEditor(siteId, prices || [], loadPrices) });
      if (prices === null) {
        replace(priceBox, emptyState("No price schedule", "The prices route is not available."));
        return;
      }
      const sorted = prices.slice().sort((a, b) => String(a.start).localeCompare(String(b.start)));
      replace(priceBox, h("div", { class: "actions" }, edit));
      if (sorted.length) {
        plots.push(timeChart(priceBox, { title: "Price per kWh", height: 200, summary: `${sorted.length} price periods`,
          data: steps(sorted.map((p) => ({ start: p.start, end: p.end, value: p.price_per_kwh }))),
          series: [{ label: "Price per kWh", stepped: true, color: "--c5", fill: true, format: (v) => v.toFixed(4) }] }));
      }
      priceBox.append(simpleTable([
        { label: "Start", render: (p) => fmt.time(p.start) }, { label: "End", render: (p) => fmt.time(p.end) },
        { label: "Price per kWh", numeric: true, render: (p) => fmt.number(p.price_per_kwh, 4) }],
      sorted, { empty: "No prices set.", caption: "Price schedule" }));
    } catch (err) {
      replace(priceBox, errorBox(err));
    }
  }
  await loadPrices();
  return () => plots.forEach((p) => p.destroy());
}

export async function render(root, [siteId], query) {
  replace(root, h("div", { class: "page-head" }, h("h1", { text: "Sites" })));
  let sites;
  try {
    sites = await listSites();
  } catch (err) {
    root.append(errorBox(err));
    return null;
  }
  if (sites === null) {
    root.append(h("section", { class: "panel" }, emptyState("Sites are not available",
      "This CSMS does not serve the sites API yet. Site trees, limits, loads and prices appear here once smart charging is set up.")));
    return null;
  }
  if (!sites.length) {
    root.append(h("section", { class: "panel" }, emptyState("No sites configured", "Add a site with the sites API to see its tree and load.")));
    return null;
  }
  const selected = siteId || String(sites[0].id);
  const detail = h("div", { id: "site-detail" });
  root.append(h("nav", { class: "chips", "aria-label": "Sites" }, sites.map((s) => h("a", {
    class: "chip", href: href(`/sites/${encodeURIComponent(s.id)}`, { range: query.range }),
    "aria-current": String(s.id) === selected ? "page" : null, "aria-pressed": String(String(s.id) === selected), text: s.name || String(s.id) }))),
  detail);
  if (!siteId) setQuery({ range: query.range });
  try {
    return await siteView(detail, selected, query.range || "24h");
  } catch (err) {
    replace(detail, errorBox(err));
    return null;
  }
}
