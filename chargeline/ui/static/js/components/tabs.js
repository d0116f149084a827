// Accessible tabs (WAI-ARIA tabs pattern): arrow keys, Home and End move between tabs.

import { h } from "../dom.js";

// tabs: [{id, label, render(panel) -> cleanup?}] ; returns {element, select(id), destroy()}
export function tabs(items, { initial, onChange } = {}) {
  const list = h("div", { class: "tabs", role: "tablist" });
  const panels = h("div", { class: "tab-panels" });
  const entries = items.map((item) => {
    const tab = h("button", { type: "button", role: "tab", id: `tab-${item.id}`, "aria-controls": `panel-${item.id}`,
      "aria-selected": "false", tabindex: "-1", text: item.label });
    const panel = h("section", { role: "tabpanel", id: `panel-${item.id}`, "aria-labelledby": `tab-${item.id}`,
      tabindex: "0", hidden: true });
    list.append(tab);
    panels.append(panel);
    return { ...item, tab, panel, cleanup: null, rendered: false };
  });
  let current = null;

  function select(id, focus = false) {
    const entry = entries.find((e) => e.id === id) || entries[0];
    if (current === entry) return;
    if (current) {
      current.tab.setAttribute("aria-selected", "false");
      current.tab.tabIndex = -1;
      current.panel.hidden = true;
      if (current.cleanup) current.cleanup();
      current.cleanup = null;
      current.panel.replaceChildren();
    }
    current = entry;
    entry.tab.setAttribute("aria-selected", "true");
    entry.tab.tabIndex = 0;
    entry.panel.hidden = false;
    if (focus) entry.tab.focus();
    const cleanup = entry.render(entry.panel);
    Promise.resolve(cleanup).then((fn) => {
      if (current === entry && typeof fn === "function") entry.cleanup = fn;
      else if (typeof fn === "function") fn();
    });
    if (onChange) onChange(entry.id);
  }

  list.addEventListener("click", (ev) => {
    const tab = ev.target.closest("[role=tab]");
    if (tab) select(tab.id.slice(4));
  });
  list.addEventListener("keydown", (ev) => {
    const index = entries.indexOf(current);
    const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: entries.length - 1 };
    if (!(ev.key in moves)) return;
    ev.preventDefault();
    const next = entries[(moves[ev.key] + entries.length) % entries.length];
    select(next.id, true);
  });

  return {
    element: h("div", { class: "tabbed" }, list, panels),
    select,
    destroy() {
      if (current && current.cleanup) current.cleanup();
    },
  };
}
