// The "Boots and events" tab: BootNotifications, security events and the connector status history.

import { get } from "../../api.js";
import { badge } from "../../components/badge.js";
import { jsonView } from "../../components/json.js";
import { simpleTable } from "../../components/table.js";
import { errorBox, h, replace } from "../../dom.js";
import * as fmt from "../../format.js";

export async function historyTab(panel, state) {
  const base = `/api/v1/stations/${encodeURIComponent(state.station.station_id)}`;
  try {
    const [boots, events, statuses] = await Promise.all([get(`${base}/boots`, { limit: 20 }),
      get(`${base}/security-events`, { limit: 50 }), get(`${base}/status-history`, { limit: 100 })]);
    replace(panel,
      h("section", { class: "panel", "aria-labelledby": "boots-title" }, h("h2", { id: "boots-title", text: "Boots" }),
        simpleTable([
          { label: "Received", render: (b) => fmt.time(b.received_at) },
          { label: "Reason", key: "reason" },
          { label: "Answer", render: (b) => badge(b.status) },
          { label: "OCPP", key: "ocpp_version" },
          { label: "Payload", render: (b) => h("details", {}, h("summary", { text: "show" }), jsonView(b.payload)) },
        ], boots.items, { empty: "No boots yet.", caption: "Boots" })),
      h("section", { class: "panel", "aria-labelledby": "security-title" }, h("h2", { id: "security-title", text: "Security events" }),
        simpleTable([
          { label: "Time", render: (e) => fmt.time(e.timestamp) },
          { label: "Event", render: (e) => h("span", {}, e.critical ? badge("critical") : null, " ", e.event_type) },
          { label: "Tech info", render: (e) => h("span", { class: "tech-info", text: e.tech_info || "–" }) },
        ], events.items, { empty: "No security events.", caption: "Security events" })),
      h("section", { class: "panel", "aria-labelledby": "status-title" }, h("h2", { id: "status-title", text: "Status history" }),
        simpleTable([
          { label: "Received", render: (s) => fmt.time(s.received_at) },
          { label: "EVSE / connector", render: (s) => `${s.evse_id} / ${s.connector_id}` },
          { label: "Status", render: (s) => badge(s.status) },
          { label: "Error", key: "error_code" },
          { label: "Info", key: "info" },
        ], statuses.items, { empty: "No status reported yet.", caption: "Status history" })));
  } catch (err) {
    replace(panel, errorBox(err));
  }
  return null;
}
