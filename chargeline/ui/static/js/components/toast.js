// Short notices in a polite live region (screen readers announce them).

import { h } from "../dom.js";

export function toast(message, kind = "info", ms = 6000) {
  const region = document.getElementById("toasts");
  if (!region) return;
  const item = h("div", { class: `toast toast-${kind}` }, message,
    h("button", { type: "button", class: "link", "aria-label": "Dismiss", text: "×", onclick: () => item.remove() }));
  region.append(item);
  setTimeout(() => item.remove(), ms);
}
