// The "Message log" tab: every frame in and out, newest first, pretty-printed and filterable.
// While "Follow" is on, new frames arrive by polling the log (frames are stored in the next write
// batch, so a frame shows a moment after it crossed the wire) and at once after any event of the station.

import { get } from "../../api.js";
import { frameView } from "../../components/json.js";
import { debounce, emptyState, errorBox, h, replace, throttle } from "../../dom.js";
import * as fmt from "../../format.js";
import { can, roleNote } from "../../session.js";

const TYPES = { 2: "CALL", 3: "RESULT", 4: "ERROR", 5: "RESULTERROR", 6: "SEND" };
const PAGE = 200;
const MAX_FRAMES = 2000;

export async function messagesTab(panel, state) {
  if (!can("operator")) {
    replace(panel, emptyState("The message log is not available", roleNote("operator")));
    return null;
  }
  const stationId = state.station.station_id;
  const frames = new Map(); // id -> frame
  const actions = new Map(); // message id -> action of the CALL
  const list = h("ul", { class: "frames", id: "message-log", "aria-label": "Frames, newest first" });
  const direction = h("select", { id: "log-direction" }, h("option", { value: "", text: "In and out" }),
    h("option", { value: "in", text: "From the station" }), h("option", { value: "out", text: "To the station" }));
  const text = h("input", { type: "search", id: "log-filter", placeholder: "Action, message id or text in the frame" });
  const follow = h("input", { type: "checkbox", id: "log-follow", checked: true });
  const count = h("span", { class: "muted", role: "status" });
  const older = h("button", { type: "button", class: "btn", text: "Load older frames" });
  replace(panel,
    h("div", { class: "toolbar" },
      h("div", { class: "field" }, h("label", { for: "log-filter", text: "Filter" }), text),
      h("div", { class: "field" }, h("label", { for: "log-direction", text: "Direction" }), direction),
      h("label", { class: "segmented" }, follow, " Follow new frames"),
      count),
    list, h("div", { class: "actions" }, older));

  function actionOf(f) {
    return f.action || actions.get(f.message_id) || "";
  }
  function matches(f) {
    if (direction.value && f.direction !== direction.value) return false;
    const q = text.value.trim().toLowerCase();
    if (!q) return true;
    return actionOf(f).toLowerCase().includes(q) || (f.message_id || "").toLowerCase().includes(q) || f.frame.toLowerCase().includes(q);
  }
  function item(f) {
    const details = h("details", { class: "frame", dataset: { id: String(f.id), direction: f.direction } },
      h("summary", {},
        h("span", { class: f.direction === "in" ? "dir-in" : "dir-out", title: f.direction === "in" ? "from the station" : "to the station",
          text: f.direction === "in" ? "⇠ in" : "⇢ out" }),
        h("span", { class: "muted", text: fmt.clock(f.at), title: fmt.time(f.at) }),
        h("strong", { class: "action", text: actionOf(f) || "–" }),
        h("span", { class: "badge", text: TYPES[f.message_type] || "?" }),
        h("span", { class: "preview", text: f.frame.slice(0, 160) })));
    details.addEventListener("toggle", () => {
      if (details.open && !details.querySelector("pre")) details.append(frameView(f.frame));
    }, { once: false });
    return h("li", {}, details);
  }
  function draw() {
    const sorted = Array.from(frames.values()).sort((a, b) => (b.at < a.at ? -1 : b.at > a.at ? 1 : b.id - a.id));
    const shown = sorted.filter(matches);
    const open = new Set(Array.from(list.querySelectorAll("details[open]")).map((d) => d.dataset.id));
    replace(list, shown.length ? shown.map(item) : h("li", {}, emptyState("No frames", frames.size ? "Nothing matches the filter." : "The station has not exchanged any message yet.")));
    for (const d of list.querySelectorAll("details")) if (open.has(d.dataset.id)) d.open = true;
    replace(count, `${shown.length} of ${frames.size} frames`);
  }
  function add(items) {
    for (const f of items) {
      frames.set(f.id, f);
      if (f.action && f.message_type === 2) actions.set(f.message_id, f.action);
    }
    if (frames.size > MAX_FRAMES) {
      const keep = Array.from(frames.values()).sort((a, b) => b.id - a.id).slice(0, MAX_FRAMES);
      frames.clear();
      keep.forEach((f) => frames.set(f.id, f));
    }
  }
  async function fetchFrames(query) {
    const page = await get(`/api/v1/stations/${encodeURIComponent(stationId)}/messages`, { limit: PAGE, ...query });
    return page.items;
  }
  let newest = null;
  let stopped = false;
  async function poll() {
    if (stopped || !follow.checked) return;
    try {
      const items = await fetchFrames(newest ? { since: newest } : {});
      if (stopped) return;
      const fresh = items.filter((f) => !frames.has(f.id));
      if (fresh.length || newest === null) {
        add(items);
        newest = items.reduce((m, f) => (m === null || f.at > m ? f.at : m), newest);
        draw();
      }
    } catch (err) {
      if (!stopped) replace(count, errorBox(err));
    }
  }
  older.addEventListener("click", async () => {
    const oldest = Array.from(frames.values()).reduce((m, f) => (m === null || f.at < m ? f.at : m), null);
    older.disabled = true;
    try {
      const items = await fetchFrames(oldest ? { until: oldest } : {});
      add(items);
      draw();
      older.disabled = items.length < PAGE;
    } catch (err) {
      replace(count, errorBox(err));
      older.disabled = false;
    }
  });
  text.addEventListener("input", debounce(draw, 200));
  direction.addEventListener("change", draw);
  follow.addEventListener("change", poll);

  await poll();
  const soon = throttle(() => setTimeout(poll, 400), 400);
  state.onEvent = () => soon();
  const timer = setInterval(poll, 2000);
  return () => {
    stopped = true;
    clearInterval(timer);
    soon.cancel();
    state.onEvent = null;
  };
}
