// Transactions: filters (kept in the URL), a paged list, CSV/JSON export with the same filters.

import { get, url } from "../api.js";
import { badge } from "../components/badge.js";
import { simpleTable } from "../components/table.js";
import { errorBox, h, replace, throttle } from "../dom.js";
import * as fmt from "../format.js";
import * as live from "../live.js";
import { href } from "../router.js";

const PAGE = 50;
const FILTERS = ["station_id", "status", "id_token", "evse_id", "since", "until", "reconciled"];

function field(id, label, input) {
  return h("div", { class: "field" }, h("label", { for: id, text: label }), input);
}

function select(id, value, options) {
  return h("select", { id, name: id }, options.map(([v, text]) => h("option", { value: v, text, selected: v === (value || "") })));
}

export async function render(root, _params, query) {
  const offset = Number(query.offset || 0);
  const filters = Object.fromEntries(FILTERS.map((k) => [k, query[k] || ""]));
  const form = h("form", { class: "toolbar", "aria-label": "Filter transactions" },
    field("station_id", "Station", h("input", { id: "station_id", name: "station_id", value: filters.station_id, maxlength: 48 })),
    field("status", "Status", select("status", filters.status, [["", "Any"], ["active", "Active"], ["ended", "Ended"]])),
    field("id_token", "Id token", h("input", { id: "id_token", name: "id_token", value: filters.id_token, autocomplete: "off" })),
    field("evse_id", "EVSE", h("input", { id: "evse_id", name: "evse_id", type: "number", min: 0, value: filters.evse_id, class: "narrow" })),
    field("since", "Started from", h("input", { id: "since", name: "since", type: "datetime-local", value: fmt.toLocalInput(filters.since) })),
    field("until", "Started before", h("input", { id: "until", name: "until", type: "datetime-local", value: fmt.toLocalInput(filters.until) })),
    field("reconciled", "Reconciled", select("reconciled", filters.reconciled, [["", "Any"], ["true", "Yes"], ["false", "No"]])),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "btn btn-primary", text: "Apply" }),
      h("a", { class: "btn", href: "#/transactions", text: "Clear" })));
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    const next = Object.fromEntries(FILTERS.map((k) => [k, String(data.get(k) || "")]));
    next.since = fmt.fromLocalInput(next.since) || "";
    next.until = fmt.fromLocalInput(next.until) || "";
    window.location.hash = href("/transactions", next);
  });

  const api = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== ""));
  const exportLink = (format) => h("a", { class: "btn", href: url("/api/v1/transactions/export", { ...api, format }),
    download: `transactions.${format}`, text: `Export ${format.toUpperCase()}` });
  const list = h("div");
  replace(root, h("div", { class: "page-head" }, h("h1", { text: "Transactions" }),
    h("div", { class: "actions" }, exportLink("csv"), exportLink("json"))),
  h("section", { class: "panel" }, form), h("section", { class: "panel" }, list));

  async function load() {
    try {
      const page = await get("/api/v1/transactions", { ...api, limit: PAGE, offset });
      const pages = Math.ceil(page.total / PAGE);
      replace(list, simpleTable([
        { label: "Id", render: (t) => h("a", { href: `#/transactions/${t.id}`, text: `#${t.id}` }) },
        { label: "Station", render: (t) => h("a", { href: href(`/stations/${encodeURIComponent(t.station_id)}`), text: t.station_id }) },
        { label: "EVSE", key: "evse_id" },
        { label: "Status", render: (t) => h("span", {}, badge(t.status), t.reconciled ? [" ", badge("reconciled", "reconciled")] : null) },
        { label: "Id token", key: "id_token" },
        { label: "Started", render: (t) => fmt.time(t.started_at) },
        { label: "Duration", render: (t) => fmt.duration(((t.stopped_at ? new Date(t.stopped_at) : new Date()) - new Date(t.started_at)) / 1000) },
        { label: "Energy", numeric: true, render: (t) => fmt.kwh(t.energy_wh) },
        { label: "Stop reason", key: "stop_reason" },
      ], page.items, { empty: "No transactions match.", caption: "Transactions" }),
      h("div", { class: "table-foot" }, h("span", { class: "muted", text: `${page.total} transactions` }),
        pages > 1 ? h("div", { class: "pager" },
          h("a", { class: "btn btn-small", href: href("/transactions", { ...filters, offset: Math.max(0, offset - PAGE) }), text: "Previous",
            "aria-disabled": offset === 0 ? "true" : null }),
          h("span", { text: ` page ${Math.floor(offset / PAGE) + 1} of ${pages} ` }),
          h("a", { class: "btn btn-small", href: href("/transactions", { ...filters, offset: offset + PAGE }), text: "Next",
            "aria-disabled": offset + PAGE >= page.total ? "true" : null })) : null));
    } catch (err) {
      replace(list, errorBox(err));
    }
  }
  await load();
  const reload = throttle(load, 3000);
  const offs = ["transaction_started", "transaction_ended", "transaction_updated"].map((t) => live.on(t, reload));
  return () => {
    offs.forEach((off) => off());
    reload.cancel();
  };
}
