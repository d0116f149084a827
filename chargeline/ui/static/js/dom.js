// Building DOM safely: every value becomes a text node or an attribute set with setAttribute.
// Nothing here (nor anywhere in the app) assigns innerHTML, so station-supplied strings
// (vendor names, techInfo, frames...) are always shown as text, never parsed as markup.

const PROPS = new Set(["value", "checked", "disabled", "selected", "hidden", "open", "indeterminate"]);

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "text") el.textContent = String(value);
      else if (name === "class") el.className = Array.isArray(value) ? value.filter(Boolean).join(" ") : value;
      else if (name === "dataset") Object.assign(el.dataset, value);
      else if (name.startsWith("on") && typeof value === "function") el.addEventListener(name.slice(2), value);
      else if (PROPS.has(name)) el[name] = value;
      else if (name === "href") el.setAttribute("href", safeHref(value));
      else el.setAttribute(name, value === true ? "" : String(value));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// Links stay inside the app (fragment routes) or on this origin; anything else is dropped.
export function safeHref(value) {
  const text = String(value);
  if (text.startsWith("#") || (text.startsWith("/") && !text.startsWith("//"))) return text;
  return "#";
}

export function link(route, ...children) {
  return h("a", { href: route }, ...children);
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => Array.from(root.querySelectorAll(selector));

export function debounce(fn, ms) {
  let timer = null;
  const wrapped = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}

export function emptyState(title, detail) {
  return h("div", { class: "empty", role: "note" }, h("p", { class: "empty-title", text: title }),
    detail ? h("p", { class: "muted", text: detail }) : null);
}

export function errorBox(err) {
  return h("div", { class: "error-box", role: "alert" }, h("strong", { text: "Could not load: " }),
    err && err.message ? err.message : String(err));
}

// Run `fn` at most once every `ms` (the last call in a burst is not lost).
export function throttle(fn, ms) {
  let last = 0;
  let timer = null;
  const wrapped = () => {
    const wait = last + ms - Date.now();
    if (wait <= 0) {
      last = Date.now();
      fn();
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        fn();
      }, wait);
    }
  };
  wrapped.cancel = () => clearTimeout(timer);
  return wrapped;
}
