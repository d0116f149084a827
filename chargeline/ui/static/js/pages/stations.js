// Stations: every station in one searchable, sortable table, kept live from the event stream.

import { get } from "../api.js";
import { badge, dot } from "../components/badge.js";
import { DataTable } from "../components/table.js";
import { errorBox, h, replace, throttle } from "../dom.js";
import { STATUSES, applyEvent } from "../fleet.js";
import * as fmt from "../format.js";
import * as live from "../live.js";
import { href, setQuery } from "../router.js";

const RANK = Object.fromEntries(STATUSES.map((s, i) => [s, i]));
const LIVE_TYPES = ["connected", "disconnected", "status", "boot", "transaction_started", "transaction_ended", "station_deleted"];

function plugs(row) {
  const outlets = (row.connectors || []).filter((p) => p.evse_id > 0);
  if (!outlets.length) return h("span", { class: "muted", text: "–" });
  return h("span", { class: "plugs" }, outlets.map((p) => badge(p.status, `${p.evse_id}${p.connector_id > 1 ? `/${p.connector_id}` : ""}: ${p.status}`)));
}

const COLUMNS = [
  { key: "station_id", label: "Station", render: (r) => h("span", { class: "actions" }, dot(r.connected),
    h("a", { href: href(`/stations/${encodeURIComponent(r.station_id)}`), text: r.station_id })) },
  { key: "status", label: "Status", value: (r) => RANK[r.status] ?? 99, render: (r) => badge(r.status) },
  { key: "connectors", label: "Connectors", sortable: false, render: plugs },
  { key: "ocpp_version", label: "OCPP" },
  { key: "vendor", label: "Vendor / model", value: (r) => `${r.vendor || ""} ${r.model || ""}`,
    render: (r) => h("span", {}, r.vendor || "–", " ", h("span", { class: "muted", text: r.model || "" })) },
  { key: "firmware_version", label: "Firmware" },
  { key: "last_seen_at", label: "Last seen", value: (r) => -(fmt.toDate(r.last_seen_at)?.getTime() ?? -Infinity),
    render: (r) => h("time", { datetime: r.last_seen_at || "", title: fmt.time(r.last_seen_at), text: fmt.ago(r.last_seen_at) }) },
  { key: "active_transactions", label: "Sessions", numeric: true },
];

export async function render(root, _params, query) {
  const rows = new Map();
  let statusFilter = query.status || "";
  const table = new DataTable({
    columns: COLUMNS, caption: "Stations", pageSize: 100, rowKey: (r) => r.station_id.toLowerCase(),
    sort: { key: "status", dir: 1 }, empty: "No stations match.",
    searchText: (r) => [r.station_id, r.vendor, r.model, r.firmware_version, r.ocpp_version, r.status].join(" "),
  });
  const search = h("input", { type: "search", id: "station-search", placeholder: "Station, vendor, model, firmware…",
    value: query.q || "", "aria-describedby": "station-search-hint" });
  const chips = h("div", { class: "chips", role: "group", "aria-label": "Filter by status" });
  const summary = h("span", { class: "muted" });

  function renderChips() {
    const counts = {};
    for (const r of rows.values()) counts[r.status] = (counts[r.status] || 0) + 1;
    replace(chips, ["", ...STATUSES].filter((s) => !s || counts[s]).map((s) => h("button", {
      type: "button", class: "chip", "aria-pressed": String(statusFilter === s),
      onclick: () => { statusFilter = s; applyFilter(); } }, s || "All", h("span", { class: "muted", text: String(s ? counts[s] : rows.size) }))));
  }
  function applyFilter() {
    table.setFilter(statusFilter ? (r) => r.status === statusFilter : null);
    setQuery({ status: statusFilter, q: search.value });
    renderChips();
  }
  function refreshTable() {
    table.setRows(Array.from(rows.values()));
    renderChips();
    const connected = Array.from(rows.values()).filter((r) => r.connected).length;
    replace(summary, `${connected} of ${rows.size} connected`);
  }

  replace(root, h("div", { class: "page-head" }, h("h1", { text: "Stations" }), summary),
    h("section", { class: "panel" },
      h("div", { class: "toolbar" },
        h("div", { class: "field" }, h("label", { for: "station-search", text: "Search" }), search,
          h("small", { id: "station-search-hint", class: "muted", text: "Matches id, vendor, model, firmware and status." })),
        chips),
      table.element));

  // Events that arrive while the list loads are applied again to the fresh rows (the snapshot may
  // predate them); those that are not idempotent ask for another load instead.
  let arriving = null;
  async function load() {
    arriving = [];
    try {
      const data = await get("/ui/api/stations");
      rows.clear();
      for (const r of data.items) rows.set(r.station_id.toLowerCase(), r);
      const missed = arriving;
      arriving = null;
      for (const event of missed) handle(event, true);
      refreshTable();
    } catch (err) {
      arriving = null;
      root.append(errorBox(err));
    }
  }
  search.addEventListener("input", () => {
    table.setQuery(search.value);
    setQuery({ status: statusFilter, q: search.value });
  });
  table.setQuery(search.value);
  table.setFilter(statusFilter ? (r) => r.status === statusFilter : null);
  await load();

  const resync = throttle(load, 5000);
  const redraw = throttle(refreshTable, 500);
  function handle(event, replay = false) {
    if (arriving) arriving.push(event);
    const key = String(event.station_id || "").toLowerCase();
    const row = rows.get(key);
    const idempotent = ["connected", "disconnected", "status"].includes(event.type);
    if (!row || event.type === "station_deleted" || event.type === "boot" || (replay && !idempotent)) {
      resync();
      return;
    }
    if (applyEvent(row, event) && !replay) {
      redraw();
      setTimeout(() => table.body.querySelector(`tr[data-key="${CSS.escape(key)}"]`)?.classList.add("flash"), 600);
    }
  }
  const offs = LIVE_TYPES.map((type) => live.on(type, (event) => handle(event)));
  const timer = setInterval(load, 60000);
  return () => {
    offs.forEach((off) => off());
    resync.cancel();
    redraw.cancel();
    clearInterval(timer);
  };
}
