// The station summary status, as the server computes it (chargeline/ui/fleet.py), so that live
// events can update a row at once; the next refresh from the server confirms it.

const BUSY = new Set(["Occupied", "Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing"]);
export const STATUSES = ["Faulted", "Offline", "Unavailable", "Charging", "Occupied", "Reserved", "Available", "Unknown"];

export function summaryStatus(row) {
  if (!row.connected) return "Offline";
  const plugs = row.connectors || [];
  if (plugs.some((p) => p.status === "Faulted")) return "Faulted";
  if (row.active_transactions) return "Charging";
  const outlets = plugs.filter((p) => p.evse_id > 0);
  if (outlets.some((p) => BUSY.has(p.status))) return "Occupied";
  if (outlets.some((p) => p.status === "Reserved")) return "Reserved";
  const down = plugs.some((p) => p.evse_id === 0 && p.status === "Unavailable");
  if (down || (outlets.length && outlets.every((p) => p.status === "Unavailable"))) return "Unavailable";
  return outlets.length ? "Available" : "Unknown";
}

// Apply one event to a station row in place; true when something visible changed.
export function applyEvent(row, event) {
  const d = event.data || {};
  if (event.type === "connected") {
    row.connected = true;
    row.ocpp_version = d.version || row.ocpp_version;
    row.last_seen_at = event.at;
  } else if (event.type === "disconnected") {
    row.connected = false;
  } else if (event.type === "status") {
    const evse = d.evse_id ?? 0;
    const connector = d.connector_id ?? (evse === 0 ? 0 : 1);
    const plugs = row.connectors || (row.connectors = []);
    const plug = plugs.find((p) => p.evse_id === evse && p.connector_id === connector);
    if (plug) Object.assign(plug, { status: d.status, error_code: d.error_code, since: event.at });
    else {
      plugs.push({ evse_id: evse, connector_id: connector, status: d.status, error_code: d.error_code, since: event.at });
      plugs.sort((a, b) => a.evse_id - b.evse_id || a.connector_id - b.connector_id);
    }
    row.last_seen_at = event.at;
  } else if (event.type === "transaction_started") {
    row.active_transactions = (row.active_transactions || 0) + 1;
  } else if (event.type === "transaction_ended") {
    row.active_transactions = Math.max(0, (row.active_transactions || 0) - 1);
  } else {
    row.last_seen_at = event.at;
    return false;
  }
  row.status = summaryStatus(row);
  return true;
}
