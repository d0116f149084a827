// A station: live connection and connectors, remote operations, the message log, sessions, charging
// profiles, configuration and history, in tabs (the tab is kept in the URL: #/stations/ID?tab=log).

import { get } from "../api.js";
import { badge, dot } from "../components/badge.js";
import { tabs } from "../components/tabs.js";
import { errorBox, h, replace, throttle } from "../dom.js";
import { summaryStatus } from "../fleet.js";
import * as fmt from "../format.js";
import * as live from "../live.js";
import { setQuery } from "../router.js";
import { chargingTab } from "./station/charging.js";
import { configTab } from "./station/config.js";
import { evsesTab } from "./station/evses.js";
import { historyTab } from "./station/history.js";
import { messagesTab } from "./station/messages.js";
import { operationsTab } from "./station/operations.js";
import { transactionsTab } from "./station/transactions.js";

function facts(station) {
  const c = station.connection;
  return h("dl", { class: "facts" },
    h("dt", { text: "Connection" }), h("dd", {}, dot(station.connected), " ",
      station.connected ? `since ${fmt.time(c.connected_at)} from ${c.remote}` : `offline since ${fmt.time(station.last_disconnected_at)}`),
    h("dt", { text: "OCPP" }), h("dd", { text: (c && c.ocpp_version) || station.ocpp_version || "–" }),
    h("dt", { text: "Boot" }), h("dd", {}, station.boot_status ? badge(station.boot_status) : "–",
      station.last_boot_at ? ` ${fmt.time(station.last_boot_at)}` : ""),
    h("dt", { text: "Last seen" }), h("dd", { text: `${fmt.ago(station.last_seen_at)} (${fmt.time(station.last_seen_at)})` }),
    h("dt", { text: "Vendor / model" }), h("dd", { text: `${station.vendor || "–"} / ${station.model || "–"}` }),
    h("dt", { text: "Serial" }), h("dd", { text: station.serial_number || "–" }),
    h("dt", { text: "Firmware" }), h("dd", { text: station.firmware_version || "–" }),
    h("dt", { text: "Security profile" }), h("dd", { text: String(station.security_profile) }),
    station.clock_skew_s ? [h("dt", { text: "Clock offset" }), h("dd", { text: `${Math.round(station.clock_skew_s)} s` })] : null,
    c && c.queued_commands ? [h("dt", { text: "Queued commands" }), h("dd", { text: String(c.queued_commands) })] : null);
}

export async function render(root, [stationId], query) {
  let station;
  try {
    station = await get(`/api/v1/stations/${encodeURIComponent(stationId)}`);
  } catch (err) {
    replace(root, h("h1", { text: `Station ${stationId}` }), errorBox(err));
    return null;
  }
  const id = station.station_id;
  const title = h("h1", {});
  const statusBadge = h("span");
  const factsBox = h("div");
  const results = h("ul", { class: "frames", id: "command-results", "aria-live": "polite" });
  const state = { station, results };

  function header() {
    const status = summaryStatus({ connected: station.connected, active_transactions: station.active_transactions,
      connectors: station.evses.flatMap((e) => e.connectors.map((c) => ({ ...c, evse_id: e.evse_id }))) });
    replace(title, dot(station.connected), " ", id);
    replace(statusBadge, badge(status));
    replace(factsBox, facts(station));
  }
  header();

  const view = tabs([
    { id: "live", label: "Connectors", render: (panel) => evsesTab(panel, state) },
    { id: "operations", label: "Operations", render: (panel) => operationsTab(panel, state) },
    { id: "log", label: "Message log", render: (panel) => messagesTab(panel, state) },
    { id: "transactions", label: "Transactions", render: (panel) => transactionsTab(panel, state) },
    { id: "charging", label: "Charging profiles", render: (panel) => chargingTab(panel, state) },
    { id: "config", label: station.ocpp_version === "1.6" ? "Configuration" : "Device model", render: (panel) => configTab(panel, state) },
    { id: "history", label: "Boots and events", render: (panel) => historyTab(panel, state) },
  ], { onChange: (tab) => setQuery({ tab }) });

  replace(root,
    h("nav", { "aria-label": "Breadcrumb", class: "muted" }, h("a", { href: "#/stations", text: "Stations" }), " / ", id),
    h("div", { class: "page-head", id: "station-head" }, title, statusBadge),
    h("div", { class: "grid grid-2" },
      h("section", { class: "panel", "aria-label": "Station facts" }, factsBox),
      h("section", { class: "panel", "aria-labelledby": "results-title" },
        h("h2", { id: "results-title", text: "Command results" }), results,
        h("p", { class: "muted", id: "results-empty", text: "Results of the operations you send appear here." }))),
    view.element);
  view.select(query.tab || "live");

  state.addResult = (node) => {
    root.querySelector("#results-empty")?.remove();
    results.prepend(h("li", { class: "frame" }, h("div", { class: "modal-form" }, node)));
    while (results.children.length > 10) results.lastChild.remove();
  };
  const reload = throttle(async () => {
    try {
      station = await get(`/api/v1/stations/${encodeURIComponent(id)}`);
      state.station = station;
      header();
      if (state.onStation) state.onStation(station);
    } catch {
      // the next event retries
    }
  }, 1000);
  // A status event changes the page at once; the throttled reload then confirms everything else.
  function patch(event) {
    const d = event.data || {};
    const evseId = d.evse_id ?? 0;
    const connectorId = d.connector_id ?? (evseId === 0 ? 0 : 1);
    let evse = station.evses.find((e) => e.evse_id === evseId);
    if (!evse) {
      evse = { evse_id: evseId, connectors: [], active_transaction_id: null };
      station.evses.push(evse);
      station.evses.sort((a, b) => a.evse_id - b.evse_id);
    }
    const plug = evse.connectors.find((c) => c.connector_id === connectorId);
    const next = { connector_id: connectorId, status: d.status, error_code: d.error_code, received_at: event.at };
    if (plug) Object.assign(plug, next);
    else evse.connectors.push({ info: null, vendor_id: null, vendor_error_code: null, station_time: null, ...next });
    header();
    if (state.onPatch) state.onPatch(station);
  }
  const off = live.on("*", (event) => {
    if (!live.sameStation(event.station_id, id)) return;
    if (event.type === "status") patch(event);
    if (event.type === "disconnected") {
      station.connected = false;
      station.last_disconnected_at = event.at;
      header();
    }
    if (["connected", "disconnected", "boot", "status", "transaction_started", "transaction_ended", "clock_skew"].includes(event.type)) reload();
    if (state.onEvent) state.onEvent(event);
  });
  return () => {
    off();
    reload.cancel();
    view.destroy();
  };
}
