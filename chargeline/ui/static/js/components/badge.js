// Status badges: the colour comes from a class derived from a known status word, the text is the
// status as reported (text node), so an unexpected value shows as a neutral badge.

import { h } from "../dom.js";

const KNOWN = new Set(["available", "charging", "occupied", "preparing", "suspendedev", "suspendedevse", "finishing",
  "reserved", "unavailable", "faulted", "offline", "online", "unknown", "active", "ended", "accepted", "blocked",
  "expired", "invalid", "pending", "rejected", "completed", "failed", "timeout", "queued", "sent", "critical",
  "warning", "info", "cancelled", "connection_lost", "concurrenttx", "notatthistime", "notattthistype"]);

export function statusClass(status) {
  const key = String(status || "unknown").toLowerCase().replace(/[^a-z_]/g, "");
  return KNOWN.has(key) ? `badge st-${key}` : "badge";
}

export function badge(status, label) {
  return h("span", { class: statusClass(status), text: label ?? status ?? "unknown" });
}

export function dot(connected) {
  return h("span", { class: connected ? "dot dot-on" : "dot dot-off", role: "img",
    "aria-label": connected ? "connected" : "not connected", title: connected ? "connected" : "not connected" });
}
