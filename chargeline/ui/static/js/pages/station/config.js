// The "Configuration" / "Device model" tab: what the station last reported (1.6 keys, 2.x variables).

import { get } from "../../api.js";
import { run, resultView } from "../../commands.js";
import { DataTable } from "../../components/table.js";
import { emptyState, errorBox, h, replace } from "../../dom.js";
import * as fmt from "../../format.js";
import { can } from "../../session.js";

function rowsV16(items) {
  return items.map((i) => ({ name: i.key, value: i.value ?? "", mode: i.readonly ? "read-only" : "read-write", at: i.reported_at }));
}

function rowsV2(items) {
  return items.map((i) => {
    const c = i.component || {};
    const v = i.variable || {};
    const evse = c.evse ? ` (EVSE ${c.evse.id}${c.evse.connectorId ? `/${c.evse.connectorId}` : ""})` : "";
    const attrs = i.variableAttribute || [];
    const actual = attrs.find((a) => !a.type || a.type === "Actual") || attrs[0] || {};
    return { name: `${c.name}${c.instance ? `[${c.instance}]` : ""}${evse} · ${v.name}${v.instance ? `[${v.instance}]` : ""}`,
      value: actual.value ?? "", mode: actual.mutability || "", at: i.reported_at };
  });
}

export async function configTab(panel, state) {
  const station = state.station;
  const v16 = (station.connection ? station.connection.ocpp_version : station.ocpp_version) === "1.6";
  const search = h("input", { type: "search", id: "config-search", placeholder: "Key or value" });
  const refresh = h("button", { type: "button", class: "btn", text: v16 ? "Read configuration from the station" : "Ask for a full report",
    disabled: !can("operator") || !station.connected });
  const table = new DataTable({ caption: "Configuration", pageSize: 200, empty: "Nothing reported yet.", columns: [
    { key: "name", label: v16 ? "Key" : "Component · variable", render: (r) => h("code", { text: r.name }) },
    { key: "value", label: "Value", render: (r) => h("code", { text: r.value }) },
    { key: "mode", label: "Access" },
    { key: "at", label: "Reported", render: (r) => fmt.time(r.at) },
  ] });
  const body = h("div");
  replace(panel, h("div", { class: "toolbar" },
    h("div", { class: "field" }, h("label", { for: "config-search", text: "Search" }), search), refresh), body);
  search.addEventListener("input", () => table.setQuery(search.value));

  async function load() {
    try {
      const data = await get(`/api/v1/stations/${encodeURIComponent(station.station_id)}/configuration`);
      if (!data.items.length) {
        replace(body, emptyState("No configuration reported yet",
          v16 ? "Read it with GetConfiguration (button above)." : "Ask the station for a base report (button above)."));
        return;
      }
      table.setRows(data.ocpp_version === "1.6" ? rowsV16(data.items) : rowsV2(data.items));
      replace(body, table.element);
    } catch (err) {
      replace(body, errorBox(err));
    }
  }
  refresh.addEventListener("click", async () => {
    const result = await run(station.station_id, v16 ? "get_configuration" : "get_base_report",
      v16 ? {} : { report_base: "FullInventory" }, { onResult: (r) => state.addResult(resultView(r)) });
    if (result) setTimeout(load, v16 ? 0 : 2000);
  });
  await load();
  return null;
}
