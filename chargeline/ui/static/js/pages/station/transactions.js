// The station's recent transactions.

import { get } from "../../api.js";
import { badge } from "../../components/badge.js";
import { simpleTable } from "../../components/table.js";
import { errorBox, h, replace } from "../../dom.js";
import * as fmt from "../../format.js";

export async function transactionsTab(panel, state) {
  async function load() {
    try {
      const page = await get("/api/v1/transactions", { station_id: state.station.station_id, limit: 50 });
      replace(panel, h("div", { class: "page-head" }, h("h2", { text: "Recent transactions" }),
        h("a", { class: "actions", href: `#/transactions?station_id=${encodeURIComponent(state.station.station_id)}`, text: "All transactions of this station" })),
      simpleTable([
        { label: "Id", render: (t) => h("a", { href: `#/transactions/${t.id}`, text: `#${t.id}` }) },
        { label: "Status", render: (t) => badge(t.status) },
        { label: "EVSE", key: "evse_id" },
        { label: "Id token", key: "id_token" },
        { label: "Started", render: (t) => fmt.time(t.started_at) },
        { label: "Stopped", render: (t) => fmt.time(t.stopped_at) },
        { label: "Energy", numeric: true, render: (t) => fmt.kwh(t.energy_wh) },
        { label: "Stop reason", key: "stop_reason" },
      ], page.items, { empty: "No transactions yet.", caption: "Recent transactions" }));
    } catch (err) {
      replace(panel, errorBox(err));
    }
  }
  await load();
  state.onEvent = (event) => {
    if (event.type.startsWith("transaction_")) load();
  };
  return () => { state.onEvent = null; };
}
