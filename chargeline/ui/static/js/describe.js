// One line of text per CSMS event, for feeds and toasts (plain text: shown with textContent).

export function describe(event) {
  const d = event.data || {};
  const evse = d.evse_id !== undefined && d.evse_id !== null ? `EVSE ${d.evse_id}` : "";
  switch (event.type) {
    case "connected": return `connected (OCPP ${d.version || "?"})`;
    case "disconnected": return "disconnected";
    case "boot": return `boot ${d.status || ""}`.trim();
    case "status": return `${evse || "station"}${d.connector_id ? ` connector ${d.connector_id}` : ""} → ${d.status}${d.error_code && d.error_code !== "NoError" ? ` (${d.error_code})` : ""}`;
    case "authorize": return `authorize: ${d.status}`;
    case "transaction_started": return `transaction ${d.transaction_id ?? ""} started ${evse ? `on ${evse}` : ""}`.trim();
    case "transaction_updated": return `transaction ${d.transaction_id ?? ""} updated${d.trigger_reason ? ` (${d.trigger_reason})` : ""}`;
    case "transaction_ended": return `transaction ${d.transaction_id ?? ""} ended${d.reason ? ` (${d.reason})` : ""}${d.trigger_reason ? ` (${d.trigger_reason})` : ""}`;
    case "meter_values": return `meter values ${evse}`.trim();
    case "security_event": return `security event ${d.type || ""}${d.critical ? " (critical)" : ""}`;
    case "notification": return `${d.action || "notification"}`;
    case "command_result": return `${d.operation || d.action}: ${d.status}${d.outcome ? ` → ${d.outcome}` : ""}`;
    case "auth_failed": return `authentication failed (${d.reason || "?"}) from ${d.remote || "?"}`;
    case "duplicate_connection": return "replaced by a newer connection";
    case "clock_skew": return `clock off by ${Math.round(d.skew_s || 0)} s`;
    case "station_deleted": return "station removed";
    default: return event.type;
  }
}
