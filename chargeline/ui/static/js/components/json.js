// Pretty-printed JSON with light syntax colouring, built from text nodes (never markup).

import { h } from "../dom.js";

function render(value, indent, out) {
  const pad = "  ".repeat(indent);
  if (value === null) out.push(h("span", { class: "j-null", text: "null" }));
  else if (Array.isArray(value)) {
    if (!value.length) { out.push("[]"); return; }
    out.push("[\n");
    value.forEach((item, i) => {
      out.push(pad + "  ");
      render(item, indent + 1, out);
      out.push(i < value.length - 1 ? ",\n" : "\n");
    });
    out.push(pad + "]");
  } else if (typeof value === "object") {
    const keys = Object.keys(value);
    if (!keys.length) { out.push("{}"); return; }
    out.push("{\n");
    keys.forEach((key, i) => {
      out.push(pad + "  ", h("span", { class: "j-key", text: JSON.stringify(key) }), ": ");
      render(value[key], indent + 1, out);
      out.push(i < keys.length - 1 ? ",\n" : "\n");
    });
    out.push(pad + "}");
  } else if (typeof value === "string") out.push(h("span", { class: "j-str", text: JSON.stringify(value) }));
  else if (typeof value === "number") out.push(h("span", { class: "j-num", text: String(value) }));
  else out.push(h("span", { class: "j-bool", text: String(value) }));
}

export function jsonView(value, { label } = {}) {
  const parts = [];
  render(value, 0, parts);
  return h("pre", { class: "json", tabindex: "0", "aria-label": label || "JSON" }, parts);
}

// A raw frame as the station or the CSMS sent it: parsed and indented when it is JSON.
export function frameView(text) {
  try {
    return jsonView(JSON.parse(text), { label: "frame" });
  } catch {
    return h("pre", { class: "json", tabindex: "0", text });
  }
}
