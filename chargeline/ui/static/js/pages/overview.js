// Overview: the fleet at a glance, refreshed from the event stream (and every 30 s for ages).

import { get } from "../api.js";
import { badge } from "../components/badge.js";
import { describe } from "../describe.js";
import { debounce, emptyState, errorBox, h, replace } from "../dom.js";
import * as fmt from "../format.js";
import * as live from "../live.js";
import { href } from "../router.js";
import { siteLoads } from "./site_loads.js";

const STATUS_COLOURS = { Available: "available", Charging: "charging", Occupied: "occupied", Reserved: "reserved",
  Faulted: "faulted", Offline: "offline", Unavailable: "unavailable", Unknown: "unknown" };
const REFRESH_ON = new Set(["connected", "disconnected", "boot", "status", "transaction_started", "transaction_ended",
  "security_event", "station_deleted"]);

function kpi(label, value, sub, id) {
  return h("div", { class: "kpi", id }, h("div", { class: "kpi-label", text: label }),
    h("div", { class: "kpi-value", text: value }), sub ? h("div", { class: "kpi-sub", text: sub }) : null);
}

function distribution(title, counts, linkFor) {
  const total = Object.values(counts).reduce((a, b) => a + b, 0);
  const entries = Object.entries(counts).filter(([, n]) => n > 0);
  return h("section", { class: "panel", "aria-label": title }, h("h2", { text: title }),
    total ? h("div", { class: "bar", role: "img", "aria-label": entries.map(([s, n]) => `${s}: ${n}`).join(", ") },
      entries.map(([status, n]) => h("span", { class: `sw-${STATUS_COLOURS[status] || "other"}`,
        title: `${status}: ${n}`, dataset: { share: String(n / total) } }))) : null,
    h("ul", { class: "legend" }, Object.entries(counts).map(([status, n]) => h("li", {},
      h("span", { class: `swatch sw-${STATUS_COLOURS[status] || "other"}`, "aria-hidden": "true" }),
      linkFor ? h("a", { href: linkFor(status), text: status }) : h("span", { text: status }),
      h("strong", { text: fmt.number(n) })))),
    total ? null : h("p", { class: "muted", text: "Nothing reported yet." }));
}

// Bar segment widths are set through the CSSOM (allowed by the page's CSP, unlike style attributes).
function sizeBars(root) {
  for (const seg of root.querySelectorAll(".bar > span[data-share]")) seg.style.width = `${Number(seg.dataset.share) * 100}%`;
}

function alertText(a) {
  switch (a.kind) {
    case "offline": return `offline — last seen ${fmt.ago(a.last_seen_at)}`;
    case "faulted": return `EVSE ${a.evse_id}${a.connector_id ? ` connector ${a.connector_id}` : ""} faulted${a.error_code && a.error_code !== "NoError" ? `: ${a.error_code}` : ""}`;
    case "security": return `security event ${a.event_type}${a.count > 1 ? ` (${a.count}× today)` : ""}${a.tech_info ? ` — ${a.tech_info}` : ""}`;
    case "stale_transaction": return `transaction ${a.transaction_id} looks stale (${{ station_offline: "station offline",
      no_meter_values: "no meter values for a while", long_session: "running for over a day" }[a.reason] || a.reason})`;
    default: return a.kind;
  }
}

function alertsPanel(alerts) {
  const items = alerts.items || [];
  return h("section", { class: "panel", "aria-labelledby": "alerts-title" },
    h("h2", { id: "alerts-title" }, "Alerts ", h("span", { class: "badge", text: String(alerts.total) })),
    items.length ? h("ul", { class: "alerts", id: "alerts" }, items.map((a) => h("li", { dataset: { kind: a.kind } },
      badge(a.severity),
      h("div", { class: "alert-text" }, h("a", { href: href(`/stations/${encodeURIComponent(a.station_id)}`), text: a.station_id }),
        " ", a.transaction_id ? h("a", { href: `#/transactions/${a.transaction_id}`, text: alertText(a) }) : alertText(a)),
      h("span", { class: "when", text: fmt.ago(a.at) }))))
      : emptyState("No alerts", "Offline stations, faults, security events and stale sessions show up here."));
}

function feedItem(event) {
  return h("li", {}, h("span", { class: "muted", text: fmt.clock(event.at) }),
    event.station_id ? h("a", { class: "feed-station", href: href(`/stations/${encodeURIComponent(event.station_id)}`), text: event.station_id })
      : h("span", { class: "feed-station muted", text: "—" }),
    h("span", { text: describe(event) }));
}

export async function render(root) {
  const body = h("div", { id: "overview" });
  const feedList = h("ul", { class: "feed", id: "feed", "aria-live": "off" });
  const showMeter = h("input", { type: "checkbox", id: "feed-meter" });
  const feedPanel = h("section", { class: "panel", "aria-labelledby": "feed-title" },
    h("div", { class: "page-head" }, h("h2", { id: "feed-title", text: "Live events" }),
      h("label", { class: "actions muted" }, showMeter, "meter values")), feedList);
  const sites = h("div");
  replace(root, h("div", { class: "page-head" }, h("h1", { text: "Overview" }),
    h("span", { class: "muted", id: "overview-at" })), body, h("div", { class: "grid grid-2" }, sites, feedPanel));

  const feedFilter = (e) => showMeter.checked || e.type !== "meter_values";
  const fillFeed = () => {
    const events = live.recentEvents().filter(feedFilter).slice(0, 100);
    replace(feedList, events.length ? events.map(feedItem) : h("li", { class: "muted" }, "Waiting for events…"));
  };
  showMeter.addEventListener("change", fillFeed);
  fillFeed();

  let stopped = false;
  async function load() {
    try {
      const data = await get("/ui/api/overview", { since: fmt.startOfToday().toISOString() });
      if (stopped) return;
      const s = data.stations;
      const critical = (data.alerts.items || []).filter((a) => a.severity === "critical").length;
      replace(body,
        h("div", { class: "kpis" },
          kpi("Stations connected", `${fmt.number(s.connected)} / ${fmt.number(s.total)}`,
            s.total ? `${Math.round((100 * s.connected) / s.total)} % online` : "no stations yet", "kpi-connected"),
          kpi("Active transactions", fmt.number(data.transactions.active), null, "kpi-transactions"),
          kpi("Energy today", fmt.kwh(data.energy_today_wh, 1), "ended today + running sessions", "kpi-energy"),
          kpi("Charging power", fmt.kw(data.power_w), "latest samples of running sessions", "kpi-power"),
          kpi("Alerts", fmt.number(data.alerts.total), critical ? `${critical} critical` : "none critical", "kpi-alerts")),
        h("div", { class: "grid grid-2" },
          distribution("Stations by status", s.by_status, (status) => href("/stations", { status })),
          distribution("Connectors by status", data.connectors.by_status)),
        alertsPanel(data.alerts));
      sizeBars(body);
      replace(root.querySelector("#overview-at"), `updated ${fmt.clock(data.at)}`);
    } catch (err) {
      if (!stopped) replace(body, errorBox(err));
    }
  }
  const refresh = debounce(load, 800);
  await load();
  const loads = siteLoads(sites);
  const offAll = live.on("*", (event) => {
    if (feedFilter(event)) {
      feedList.querySelector("li.muted")?.remove();
      feedList.prepend(feedItem(event));
      while (feedList.children.length > 100) feedList.lastChild.remove();
    }
    if (REFRESH_ON.has(event.type)) refresh();
  });
  const timer = setInterval(load, 30000);
  return () => {
    stopped = true;
    offAll();
    refresh.cancel();
    clearInterval(timer);
    loads();
  };
}
