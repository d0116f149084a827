// Fragment routing (#/stations/CP-1?tab=log): pages are ES modules loaded on demand. A page's
// render(root, params, query) may return a cleanup function, called when the operator leaves.

const routes = [];
let cleanup = null;
let token = 0;

export function route(pattern, load, title) {
  routes.push({ pattern, load, title });
}

export function parse(hash = window.location.hash) {
  const raw = hash.replace(/^#/, "") || "/";
  const [path, search = ""] = raw.split("?");
  return { path: path || "/", query: Object.fromEntries(new URLSearchParams(search)) };
}

export function href(path, query) {
  const search = new URLSearchParams(Object.entries(query || {}).filter(([, v]) => v !== null && v !== undefined && v !== "")).toString();
  return `#${path}${search ? `?${search}` : ""}`;
}

// Change the query of the current route without re-rendering the page (tabs, filters).
export function setQuery(query) {
  const { path } = parse();
  history.replaceState(null, "", href(path, query));
}

export function leave() {
  if (cleanup) {
    try { cleanup(); } catch (err) { console.error(err); }
  }
  cleanup = null;
}

export async function render(root, { onTitle } = {}) {
  const { path, query } = parse();
  const mine = ++token;
  leave();
  for (const r of routes) {
    const match = path.match(r.pattern);
    if (!match) continue;
    const params = match.slice(1).map((p) => decodeURIComponent(p));
    const title = typeof r.title === "function" ? r.title(...params) : r.title;
    if (onTitle) onTitle(title, path);
    root.replaceChildren();
    const page = await r.load();
    if (mine !== token) return;
    const result = await page.render(root, params, query);
    if (mine !== token) {
      if (typeof result === "function") result();
      return;
    }
    cleanup = typeof result === "function" ? result : null;
    return;
  }
  if (onTitle) onTitle("Not found", path);
  const { h } = await import("./dom.js");
  root.replaceChildren(h("h1", { text: "Page not found" }), h("p", {}, h("a", { href: "#/", text: "Back to the overview" })));
}
