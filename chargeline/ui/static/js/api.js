// The only place that talks HTTP. The session cookie travels by itself (same origin); requests that
// change state carry the CSRF token the login answer gave us.

let csrfHeader = "X-CSRF-Token";
let csrfToken = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, reason, message, details) {
    super(message || reason || `HTTP ${status}`);
    this.status = status;
    this.reason = reason;
    this.details = details;
  }
}

export function setCsrf(header, token) {
  csrfHeader = header || csrfHeader;
  csrfToken = token;
}

// Called with no arguments whenever the server says we are not (or no longer) logged in.
export function onUnauthenticated(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function url(path, query) {
  const target = new URL(path, window.location.origin);
  for (const [name, value] of Object.entries(query || {})) {
    if (value === null || value === undefined || value === "") continue;
    for (const v of Array.isArray(value) ? value : [value]) target.searchParams.append(name, String(v));
  }
  return target.pathname + target.search;
}

export async function api(path, { method = "GET", body, query, contentType, signal, quiet401 = false } = {}) {
  const headers = { Accept: "application/json" };
  let payload;
  if (body !== undefined) {
    if (typeof body === "string") {
      payload = body;
      headers["Content-Type"] = contentType || "text/plain";
    } else {
      payload = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
  }
  if (method !== "GET" && method !== "HEAD" && csrfToken) headers[csrfHeader] = csrfToken;
  let response;
  try {
    response = await fetch(url(path, query), { method, headers, body: payload, credentials: "same-origin", signal });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "network", "the CSMS cannot be reached");
  }
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const error = data && typeof data === "object" ? data : {};
    if (response.status === 401 && !quiet401) listeners.forEach((fn) => fn());
    throw new ApiError(response.status, error.error, error.message || `HTTP ${response.status}`, error.details);
  }
  return data;
}

export const get = (path, query, options) => api(path, { ...options, query });
export const post = (path, body, query) => api(path, { method: "POST", body, query });

// A GET that answers null on 404: for routes that may not exist on this CSMS yet (sites, profiles).
export async function optional(path, query) {
  try {
    return await get(path, query);
  } catch (err) {
    if (err.status === 404 || err.status === 405) return null;
    throw err;
  }
}

// Every page of a paged list (limit 1000 each), at most `max` items.
export async function all(path, query = {}, max = 20000) {
  const items = [];
  for (let offset = 0; offset < max; offset += 1000) {
    const page = await get(path, { ...query, limit: 1000, offset });
    items.push(...page.items);
    if (items.length >= page.total || page.items.length === 0) break;
  }
  return items;
}
