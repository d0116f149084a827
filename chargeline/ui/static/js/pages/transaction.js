// A transaction: its facts, power and energy charts from the meter values, 2.x events, and the stop
// operations (remote stop through the station, or soft stop in the CSMS for a session the station lost).

import { api, get } from "../api.js";
import { badge } from "../components/badge.js";
import { run, resultView } from "../commands.js";
import { align, timeChart } from "../components/charts.js";
import { confirmDialog, infoDialog } from "../components/dialog.js";
import { simpleTable } from "../components/table.js";
import { toast } from "../components/toast.js";
import { emptyState, errorBox, h, replace, throttle } from "../dom.js";
import * as fmt from "../format.js";
import * as live from "../live.js";
import { href } from "../router.js";
import { can } from "../session.js";

const ENERGY = "Energy.Active.Import.Register";
const POWER = "Power.Active.Import";

// Whole-EVSE samples of a measurand; when only per-phase values exist, their sum per timestamp.
function series(samples, measurand) {
  const mine = samples.filter((s) => s.measurand === measurand && s.value !== null && (!s.location || s.location === "Outlet"));
  const whole = mine.filter((s) => !s.phase);
  const byTime = new Map();
  for (const s of whole.length ? whole : mine.filter((x) => /^L\d$/.test(x.phase || ""))) {
    const t = new Date(s.timestamp).getTime() / 1000;
    byTime.set(t, (whole.length ? 0 : byTime.get(t) || 0) + s.value);
  }
  return Array.from(byTime, ([t, v]) => ({ t, v })).sort((a, b) => a.t - b.t);
}

function facts(tx, register) {
  const last = register.length ? register[register.length - 1].v : null;
  const soFar = tx.energy_wh === null && last !== null && tx.meter_start_wh !== null ? last - tx.meter_start_wh : null;
  const end = tx.stopped_at ? new Date(tx.stopped_at) : new Date();
  const rows = [
    ["Station", h("a", { href: href(`/stations/${encodeURIComponent(tx.station_id)}`), text: tx.station_id })],
    ["Station's transaction id", tx.station_transaction_id],
    ["EVSE / connector", `${tx.evse_id ?? "–"} / ${tx.connector_id ?? "–"}`],
    ["Status", h("span", {}, badge(tx.status), tx.charging_state ? ` ${tx.charging_state}` : "")],
    ["Id token", tx.id_token || "–"],
    ["Started", fmt.time(tx.started_at)],
    ["Stopped", fmt.time(tx.stopped_at)],
    ["Duration", fmt.duration((end - new Date(tx.started_at)) / 1000)],
    ["Meter start / stop", `${fmt.kwh(tx.meter_start_wh, 3)} / ${fmt.kwh(tx.meter_stop_wh, 3)}`],
    ["Energy", soFar !== null ? `${fmt.kwh(soFar, 3)} so far` : fmt.kwh(tx.energy_wh, 3)],
    ["Stop reason", tx.stop_reason || "–"],
    ["Stopped by", tx.stopped_by || "–"],
  ];
  if (tx.energy_flags && tx.energy_flags.length) rows.push(["Energy flags", tx.energy_flags.join(", ")]);
  if (tx.reconciled) rows.push(["Reconciled", "yes: created from a stop or update without a start"]);
  if (tx.offline) rows.push(["Offline", "yes: reported after the fact"]);
  return h("dl", { class: "facts" }, rows.map(([k, v]) => [h("dt", { text: k }), h("dd", {}, v)]));
}

export async function render(root, [id]) {
  const factsBox = h("div");
  const charts = h("div", { id: "tx-charts" });
  const extra = h("div");
  const actions = h("div", { class: "actions" });
  const title = h("h1", { text: `Transaction #${id}` });
  replace(root, h("nav", { "aria-label": "Breadcrumb", class: "muted" }, h("a", { href: "#/transactions", text: "Transactions" }), ` / #${id}`),
    h("div", { class: "page-head" }, title, actions),
    h("div", { class: "grid grid-2" }, h("section", { class: "panel", "aria-label": "Transaction facts" }, factsBox),
      h("section", { class: "panel", "aria-label": "Charts" }, charts)), extra);
  let plots = [];
  let tx = null;

  function drawActions() {
    replace(actions);
    if (!tx || tx.status !== "active" || !can("operator")) return;
    actions.append(
      h("button", { type: "button", class: "btn btn-danger", id: "tx-remote-stop", text: "Stop charging", onclick: async () => {
        const result = await run(tx.station_id, "remote_stop", { transaction_id: tx.station_transaction_id },
          { confirm: `The station ends session ${tx.station_transaction_id}.` });
        if (result) infoDialog("Remote stop", resultView(result), { wide: false });
      } }),
      h("button", { type: "button", class: "btn btn-danger-outline", text: "Soft stop", onclick: async () => {
        const ok = await confirmDialog({ title: "Close this session in the CSMS?", danger: true, confirm: "Soft stop",
          message: "Use this for a session the station will never stop (lost, replaced): it is closed here with the last meter reading. Nothing is sent to the station." });
        if (!ok) return;
        try {
          await api(`/api/v1/transactions/${id}/soft-stop`, { method: "POST", body: {} });
          toast(`Transaction #${id} closed in the CSMS`, "ok");
          load();
        } catch (err) {
          toast(err.message, "error");
        }
      } }));
  }

  async function load() {
    try {
      tx = await get(`/api/v1/transactions/${id}`);
    } catch (err) {
      replace(factsBox, errorBox(err));
      return;
    }
    const register = series(tx.meter_values, ENERGY);
    replace(factsBox, facts(tx, register));
    drawActions();
    plots.forEach((p) => p.destroy());
    plots = [];
    replace(charts);
    const power = series(tx.meter_values, POWER).map((p) => ({ t: p.t, v: p.v / 1000 }));
    const start = tx.meter_start_wh ?? (register[0] ? register[0].v : 0);
    const energy = register.map((p) => ({ t: p.t, v: Math.max(0, (p.v - start) / 1000) }));
    if (tx.started_at && tx.meter_start_wh !== null) energy.unshift({ t: new Date(tx.started_at).getTime() / 1000, v: 0 });
    if (!power.length && energy.length < 2) {
      charts.append(emptyState("No meter values", "The station has not reported power or energy for this session."));
    } else {
      if (power.length) {
        plots.push(timeChart(charts, { title: "Power", yLabel: "kW", height: 220, data: align([power]),
          summary: `Power: ${power.length} samples, peak ${Math.max(...power.map((p) => p.v)).toFixed(1)} kW`,
          series: [{ label: "Power (kW)", unit: "kW", fill: true, format: (v) => `${v.toFixed(2)} kW` }] }));
      }
      if (energy.length) {
        plots.push(timeChart(charts, { title: "Energy", yLabel: "kWh", height: 220, data: align([energy]),
          summary: `Energy: ${energy[energy.length - 1].v.toFixed(2)} kWh delivered`,
          series: [{ label: "Energy (kWh)", unit: "kWh", color: "--c2", format: (v) => `${v.toFixed(3)} kWh` }] }));
      }
    }
    replace(extra,
      tx.events && tx.events.length ? h("section", { class: "panel", "aria-labelledby": "tx-events" }, h("h2", { id: "tx-events", text: "Transaction events" }),
        simpleTable([{ label: "Seq", key: "seq_no", numeric: true }, { label: "Event", key: "event_type" },
          { label: "Trigger", key: "trigger_reason" }, { label: "Time", render: (e) => fmt.time(e.timestamp) },
          { label: "Offline", render: (e) => (e.offline ? "yes" : "") }], tx.events)) : null,
      h("section", { class: "panel", "aria-labelledby": "tx-samples" }, h("details", {},
        h("summary", {}, h("h2", { id: "tx-samples", class: "inline", text: `Meter values (${tx.meter_values.length})` })),
        simpleTable([{ label: "Time", render: (m) => fmt.time(m.timestamp) }, { label: "Measurand", key: "measurand" },
          { label: "Phase", key: "phase" }, { label: "Context", key: "context" },
          { label: "Value", numeric: true, render: (m) => `${m.value ?? m.raw_value} ${m.unit || ""}` }],
        tx.meter_values.slice(-1000).reverse(), { empty: "No meter values." }))));
  }
  await load();
  const reload = throttle(load, 2000);
  const offs = ["meter_values", "transaction_updated", "transaction_ended"].map((type) => live.on(type, (event) => {
    if (tx && live.sameStation(event.station_id, tx.station_id) && String(event.data.transaction_id) === String(id)) reload();
  }));
  return () => {
    offs.forEach((off) => off());
    reload.cancel();
    plots.forEach((p) => p.destroy());
  };
}
