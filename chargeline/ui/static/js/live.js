// The CSMS event stream (/api/v1/events, Server-Sent Events): one connection for the whole app,
// fanned out to whichever page is showing. EventSource reconnects by itself; when the server has
// closed the stream for good (a 401, a restart) we open a new one after a pause.

import { get } from "./api.js";

const TYPES = ["connected", "disconnected", "boot", "status", "authorize", "transaction_started",
  "transaction_updated", "transaction_ended", "meter_values", "security_event", "notification", "command_result",
  "auth_failed", "duplicate_connection", "clock_skew", "station_deleted"];

const handlers = new Map(); // type or "*" -> Set(fn)
const stateListeners = new Set();
const recent = []; // newest first, for the overview's feed
const RECENT_MAX = 200;
let source = null;
let state = "off";
let retry = null;

function setState(next) {
  state = next;
  stateListeners.forEach((fn) => fn(next));
}

function dispatch(message) {
  let event;
  try {
    event = JSON.parse(message.data);
  } catch {
    return;
  }
  recent.unshift(event);
  if (recent.length > RECENT_MAX) recent.length = RECENT_MAX;
  for (const key of [event.type, "*"]) {
    const set = handlers.get(key);
    if (set) set.forEach((fn) => { try { fn(event); } catch (err) { console.error(err); } });
  }
}

export function start() {
  stop();
  setState("connecting");
  source = new EventSource("/api/v1/events", { withCredentials: true });
  source.onopen = () => setState("live");
  source.onerror = () => {
    if (source && source.readyState === EventSource.CLOSED) {
      setState("down");
      get("/ui/session").catch(() => {}); // a 401 here logs the page out instead of retrying for ever
      retry = setTimeout(start, 5000);
    } else {
      setState("connecting");
    }
  };
  for (const type of TYPES) source.addEventListener(type, dispatch);
  source.onmessage = dispatch; // event types we do not know by name
}

export function stop() {
  clearTimeout(retry);
  if (source) source.close();
  source = null;
  setState("off");
}

// Subscribe to one event type (or "*"); returns the unsubscribe function.
export function on(type, fn) {
  if (!handlers.has(type)) handlers.set(type, new Set());
  handlers.get(type).add(fn);
  return () => handlers.get(type).delete(fn);
}

export function onState(fn) {
  stateListeners.add(fn);
  fn(state);
  return () => stateListeners.delete(fn);
}

export function recentEvents() {
  return recent.slice();
}

export function sameStation(a, b) {
  return a !== null && b !== null && a !== undefined && b !== undefined && String(a).toLowerCase() === String(b).toLowerCase();
}
