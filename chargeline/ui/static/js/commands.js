// Remote operations: the catalogue (GET /api/v1/operations), which ones need a confirmation, and
// running one with its result shown (POST /api/v1/stations/{id}/commands/{operation}).

import { ApiError, get, post } from "./api.js";
import { badge } from "./components/badge.js";
import { confirmDialog, formDialog } from "./components/dialog.js";
import { jsonView } from "./components/json.js";
import { collect, schemaFields } from "./components/schemaform.js";
import { toast } from "./components/toast.js";
import { h, replace } from "./dom.js";
import * as fmt from "./format.js";

export const GROUPS = [
  ["Sessions", ["remote_start", "remote_stop", "unlock", "reserve_now", "cancel_reservation", "get_transaction_status",
    "cost_updated", "change_transaction_tariff", "use_priority_charging", "notify_allowed_energy_transfer",
    "request_battery_swap"]],
  ["Availability and reset", ["reset", "change_availability", "trigger_message"]],
  ["Configuration", ["get_configuration", "change_configuration", "get_variables", "set_variables", "get_base_report",
    "get_report", "set_network_profile", "adjust_periodic_event_stream", "get_periodic_event_stream"]],
  ["Monitoring", ["set_variable_monitoring", "clear_variable_monitoring", "set_monitoring_base", "set_monitoring_level",
    "get_monitoring_report"]],
  ["Authorization", ["send_local_list", "get_local_list_version", "clear_cache"]],
  ["Smart charging", ["set_charging_profile", "clear_charging_profile", "get_charging_profiles", "get_composite_schedule",
    "update_dynamic_schedule", "afrr_signal", "set_der_control", "get_der_control", "clear_der_control"]],
  ["Tariffs", ["set_default_tariff", "get_tariffs", "clear_tariffs"]],
  ["Firmware and logs", ["update_firmware", "publish_firmware", "unpublish_firmware", "get_diagnostics", "get_log"]],
  ["Certificates", ["install_certificate", "delete_certificate", "get_installed_certificate_ids", "certificate_signed"]],
  ["Display, customer data and vendor messages", ["set_display_message", "get_display_messages", "clear_display_message",
    "customer_information", "data_transfer"]],
  ["Advanced", ["raw"]],
];

// Operations that interrupt charging, change the station's settings or security, or delete data.
export const DESTRUCTIVE = new Set(["remote_stop", "reset", "unlock", "change_availability", "clear_cache",
  "send_local_list", "clear_charging_profile", "update_firmware", "unpublish_firmware", "install_certificate",
  "delete_certificate", "certificate_signed", "set_network_profile", "customer_information", "clear_display_message",
  "clear_variable_monitoring", "clear_tariffs", "clear_der_control", "set_der_control", "change_configuration",
  "set_variables", "cancel_reservation", "raw"]);

export const label = (name) => name.replace(/_/g, " ").replace(/^./, (c) => c.toUpperCase());

let catalogue = null;
export async function operations() {
  if (!catalogue) catalogue = get("/api/v1/operations").catch((err) => { catalogue = null; throw err; });
  return catalogue;
}

export function supports(op, version) {
  return !version || op.versions.includes(version);
}

// The command record, also when the station refused or did not answer (error answers carry it).
export async function send(stationId, operation, body) {
  try {
    return { record: await post(`/api/v1/stations/${encodeURIComponent(stationId)}/commands/${operation}`, body) };
  } catch (err) {
    if (err instanceof ApiError && err.details && err.details.command) return { record: err.details.command, error: err };
    return { error: err };
  }
}

function answer(response) {
  const view = jsonView(response, { label: "the station's answer" });
  if (JSON.stringify(response).length < 120) return view;
  return h("details", {}, h("summary", { text: "The station's answer" }), view);
}

export function resultView({ record, error }) {
  if (!record) return h("div", { class: "error-box", role: "alert" }, error.message);
  return h("div", { class: "result" },
    h("div", { class: "actions" }, h("strong", { text: label(record.operation) }), badge(record.status),
      record.outcome ? badge(record.outcome) : null,
      h("span", { class: "muted", text: `command ${record.id} · ${record.action} · ${fmt.clock(record.completed_at || record.created_at)}` })),
    error ? h("div", { class: "error-box", text: error.message }) : null,
    record.response ? answer(record.response) : null);
}

function summary(result) {
  if (!result.record) return [`failed: ${result.error.message}`, "error"];
  const r = result.record;
  const text = `${label(r.operation)}: ${r.status}${r.outcome ? ` → ${r.outcome}` : ""}${r.error_code ? ` (${r.error_code})` : ""}`;
  const ok = r.status === "completed" && (!r.outcome || ["Accepted", "Unlocked", "Scheduled"].includes(r.outcome));
  return [text, ok ? "ok" : r.status === "completed" ? "info" : "error"];
}

// Run with a confirmation for destructive operations; reports to `onResult(result)` and a toast.
export async function run(stationId, operation, body, { confirm, onResult } = {}) {
  if (DESTRUCTIVE.has(operation)) {
    const ok = await confirmDialog({ title: `${label(operation)} on ${stationId}?`,
      message: confirm || `This sends ${label(operation).toLowerCase()} to station ${stationId}.`,
      confirm: label(operation), danger: true });
    if (!ok) return null;
  }
  const result = await send(stationId, operation, body);
  const [text, kind] = summary(result);
  toast(`${stationId}: ${text}`, kind);
  if (onResult) onResult(result);
  return result;
}

// The form for any operation, generated from its schema; the result stays in the dialog.
export async function openForm(stationId, op, preset = {}, { onResult } = {}) {
  const fields = schemaFields(op.request_schema, preset);
  const danger = DESTRUCTIVE.has(op.name);
  return formDialog({
    title: `${label(op.name)} · ${stationId}`, fields, wide: true, danger,
    note: danger ? "This changes the station or interrupts charging; you will be asked to confirm." : op.summary,
    submitLabel: label(op.name),
    submit: async (form, status) => {
      const body = collect(form);
      const result = await run(stationId, op.name, body, { onResult });
      if (result === null) {
        replace(status);
        return { keepOpen: true };
      }
      replace(status, resultView(result));
      return { keepOpen: true };
    },
  });
}
