// The "Connectors" tab: each EVSE with its connectors' live status, its running session and the
// operations an operator reaches for first. Power comes live from meter_values events.

import { get } from "../../api.js";
import { badge } from "../../components/badge.js";
import { operations, openForm, resultView, run } from "../../commands.js";
import { emptyState, errorBox, h, replace } from "../../dom.js";
import * as fmt from "../../format.js";
import { can, roleNote } from "../../session.js";

const POWER = "Power.Active.Import";

function opButton(text, handler, { danger = false, disabled = false, id } = {}) {
  return h("button", { type: "button", class: danger ? "btn btn-small btn-danger-outline" : "btn btn-small", text,
    disabled: disabled || !can("operator"), title: can("operator") ? null : roleNote("operator"), onclick: handler, id });
}

export async function evsesTab(panel, state) {
  const body = h("div");
  const stationActions = h("div", { class: "actions" });
  replace(panel, h("div", { class: "page-head" }, h("h2", { text: "EVSEs and connectors" }), stationActions), body);
  const power = new Map(); // evse_id -> {w, at}
  let active = [];
  let stopped = false;

  const report = (result) => state.addResult(resultView(result));
  const runOp = (operation, params, confirm) => run(state.station.station_id, operation, params, { confirm, onResult: report });
  async function form(name, preset) {
    const op = (await operations()).find((o) => o.name === name);
    if (op) openForm(state.station.station_id, op, preset, { onResult: report });
  }

  replace(stationActions,
    opButton("Start charging…", () => form("remote_start", {})),
    opButton("Soft reset", () => runOp("reset", { type: "Soft" }, "The station restarts when it is idle; running sessions may end."), { danger: true }),
    opButton("Hard reset", () => runOp("reset", { type: "Hard" }, "The station reboots now; running sessions end."), { danger: true }),
    opButton("Ask for status", () => runOp("trigger_message", { message: "StatusNotification" })));

  function card(evse) {
    const tx = active.find((t) => t.evse_id === evse.evse_id);
    const p = power.get(evse.evse_id);
    const station = state.station.station_id;
    return h("article", { class: "evse", "aria-labelledby": `evse-${evse.evse_id}`, dataset: { evse: String(evse.evse_id) } },
      h("h3", { id: `evse-${evse.evse_id}` }, evse.evse_id === 0 ? "Station (EVSE 0)" : `EVSE ${evse.evse_id}`,
        tx ? badge("Charging") : null),
      evse.connectors.map((c) => h("div", { class: "connector" },
        h("span", {}, `Connector ${c.connector_id} `, badge(c.status)),
        h("span", { class: "muted", text: `${c.error_code && c.error_code !== "NoError" ? `${c.error_code} · ` : ""}${fmt.ago(c.received_at)}` }),
        c.info || c.vendor_error_code ? h("div", { class: "muted", text: [c.info, c.vendor_id, c.vendor_error_code].filter(Boolean).join(" · ") }) : null)),
      tx ? h("dl", { class: "facts" },
        h("dt", { text: "Session" }), h("dd", {}, h("a", { href: `#/transactions/${tx.id}`, text: `#${tx.id}` }),
          ` (station id ${tx.station_transaction_id})`),
        h("dt", { text: "Since" }), h("dd", { text: `${fmt.time(tx.started_at)} · ${fmt.duration((Date.now() - new Date(tx.started_at)) / 1000)}` }),
        h("dt", { text: "Id token" }), h("dd", { text: tx.id_token || "–" }),
        h("dt", { text: "Power" }), h("dd", { class: "power", text: p ? `${fmt.kw(p.w)} at ${fmt.clock(p.at)}` : "–" })) : null,
      evse.evse_id > 0 ? h("div", { class: "actions" },
        tx ? opButton("Stop charging", () => runOp("remote_stop", { transaction_id: tx.station_transaction_id },
          `The session ${tx.station_transaction_id} on EVSE ${evse.evse_id} stops.`), { danger: true, id: `stop-${evse.evse_id}` })
          : opButton("Start…", () => form("remote_start", { evse_id: evse.evse_id })),
        opButton("Unlock", () => runOp("unlock", { evse_id: evse.evse_id, connector_id: 1 },
          `The connector of EVSE ${evse.evse_id} unlocks; a cable in it can be pulled out.`), { danger: true }),
        opButton(evse.connectors.some((c) => c.status === "Unavailable") ? "Make operative" : "Make inoperative", () => {
          const operational = evse.connectors.some((c) => c.status === "Unavailable");
          runOp("change_availability", { operational, evse_id: evse.evse_id },
            operational ? `EVSE ${evse.evse_id} becomes available.` : `EVSE ${evse.evse_id} stops accepting sessions.`);
        }, { danger: true })) : null);
  }

  function draw() {
    const evses = state.station.evses;
    replace(body, evses.length ? h("div", { class: "evses" }, evses.map(card))
      : emptyState("No connector status yet", "The station has not sent a StatusNotification."));
    if (!can("operator")) body.append(h("p", { class: "muted", text: roleNote("operator") }));
  }

  async function loadActive() {
    try {
      const page = await get("/api/v1/transactions", { station_id: state.station.station_id, status: "active", limit: 100 });
      if (!stopped) active = page.items;
    } catch (err) {
      body.append(errorBox(err));
    }
  }
  await loadActive();
  draw();
  state.onStation = async () => {
    await loadActive();
    if (!stopped) draw();
  };
  state.onPatch = () => {
    if (!stopped) draw();
  };
  state.onEvent = (event) => {
    if (event.type !== "meter_values") return;
    const sample = (event.data.samples || []).find((s) => s.measurand === POWER && !s.phase && s.value !== null);
    if (!sample) return;
    power.set(event.data.evse_id, { w: sample.value, at: sample.timestamp });
    const cell = body.querySelector(`[data-evse="${event.data.evse_id}"] .power`);
    if (cell) cell.textContent = `${fmt.kw(sample.value)} at ${fmt.clock(sample.timestamp)}`;
  };
  return () => {
    stopped = true;
    state.onStation = null;
    state.onPatch = null;
    state.onEvent = null;
  };
}
