// Forms generated from an operation's JSON schema (GET /api/v1/operations): one labelled input per
// top-level field; nested structures (objects, lists) are edited as JSON text.

import { h } from "../dom.js";

let counter = 0;

function unwrap(prop) {
  if (prop.anyOf) {
    const inner = prop.anyOf.find((p) => p.type !== "null");
    return { ...prop, ...inner, anyOf: undefined, nullable: true };
  }
  return prop;
}

function kind(prop) {
  if (prop.enum) return "enum";
  if (prop.$ref || prop.type === "object" || prop.type === "array") return "json";
  return prop.type || "json";
}

function fieldFor(name, raw, required, preset) {
  const prop = unwrap(raw);
  const id = `f${++counter}-${name}`;
  const hintId = `${id}-hint`;
  const type = kind(prop);
  const initial = preset !== undefined ? preset : (prop.default ?? null);
  const common = { id, name, required: required || null, "aria-describedby": prop.description ? hintId : null,
    dataset: { kind: type } };
  let input;
  if (type === "enum") {
    input = h("select", common, required ? null : h("option", { value: "", text: "—" }),
      prop.enum.map((v) => h("option", { value: v, text: v, selected: initial === v })));
  } else if (type === "boolean") {
    input = h("select", common, required ? null : h("option", { value: "", text: "—" }),
      h("option", { value: "true", text: "true", selected: initial === true }),
      h("option", { value: "false", text: "false", selected: initial === false }));
  } else if (type === "integer" || type === "number") {
    input = h("input", { ...common, type: "number", step: type === "integer" ? "1" : "any", min: prop.minimum ?? null,
      max: prop.maximum ?? null, value: initial ?? "" });
  } else if (type === "string") {
    input = h("input", { ...common, type: "text", maxlength: prop.maxLength ?? null, minlength: prop.minLength ?? null,
      value: initial ?? "", autocomplete: "off", spellcheck: "false" });
  } else {
    const skeleton = prop.type === "array" ? [] : {};
    const value = initial ?? (required ? skeleton : null);
    input = h("textarea", { ...common, rows: 5, spellcheck: "false", class: "mono",
      value: value === null ? "" : JSON.stringify(value, null, 2) });
  }
  const label = `${prop.title || name}${required ? " *" : ""}`;
  return h("div", { class: "field" }, h("label", { for: id, text: label }), input,
    prop.description ? h("small", { id: hintId, class: "muted", text: prop.description }) : null);
}

// schema: the request model's JSON schema; preset: {field: value} to prefill
export function schemaFields(schema, preset = {}) {
  const props = schema.properties || {};
  const required = new Set(schema.required || []);
  const names = Object.keys(props);
  if (!names.length) return h("p", { class: "muted", text: "This operation takes no parameters." });
  return h("div", { class: "fields" }, names.map((name) => fieldFor(name, props[name], required.has(name), preset[name])));
}

// The request body from a generated form; throws with a readable message on bad JSON.
export function collect(form) {
  const body = {};
  for (const el of form.querySelectorAll("[data-kind]")) {
    const value = el.value.trim();
    if (value === "") continue;
    const type = el.dataset.kind;
    if (type === "integer") body[el.name] = parseInt(value, 10);
    else if (type === "number") body[el.name] = Number(value);
    else if (type === "boolean") body[el.name] = value === "true";
    else if (type === "json") {
      try {
        body[el.name] = JSON.parse(value);
      } catch {
        throw new Error(`${el.name}: not valid JSON`);
      }
    } else body[el.name] = value;
  }
  return body;
}
