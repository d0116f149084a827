// The dashboard's entry point: session check, login, the page frame and the routes.

import { ApiError, get, onUnauthenticated, post, setCsrf } from "./api.js";
import { $, h, replace } from "./dom.js";
import * as live from "./live.js";
import { render as renderRoute, route } from "./router.js";
import { getSession, setSession } from "./session.js";
import { renderLogin } from "./pages/login.js";

const NAV = [
  ["#/", "Overview", (p) => p === "/"],
  ["#/stations", "Stations", (p) => p.startsWith("/stations")],
  ["#/transactions", "Transactions", (p) => p.startsWith("/transactions")],
  ["#/tokens", "Id tokens", (p) => p.startsWith("/tokens")],
  ["#/sites", "Sites", (p) => p.startsWith("/sites")],
];

route(/^\/$/, () => import("./pages/overview.js"), "Overview");
route(/^\/stations$/, () => import("./pages/stations.js"), "Stations");
route(/^\/stations\/([^/]+)$/, () => import("./pages/station.js"), (id) => `Station ${id}`);
route(/^\/transactions$/, () => import("./pages/transactions.js"), "Transactions");
route(/^\/transactions\/(\d+)$/, () => import("./pages/transaction.js"), (id) => `Transaction ${id}`);
route(/^\/tokens$/, () => import("./pages/tokens.js"), "Id tokens");
route(/^\/sites$/, () => import("./pages/sites.js"), "Sites");
route(/^\/sites\/([^/]+)$/, () => import("./pages/sites.js"), (id) => `Site ${id}`);

const main = $("#main");
const nav = $("#nav");
const user = $("#user");
const liveState = $("#live");

function setTitle(title, path) {
  document.title = `${title} · Chargeline`;
  for (const link of nav.querySelectorAll("a")) {
    const entry = NAV.find(([href]) => href === link.getAttribute("href"));
    if (entry && entry[2](path)) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function show() {
  if (!getSession()) return;
  await renderRoute(main, { onTitle: setTitle });
  const heading = main.querySelector("h1");
  const active = document.activeElement;
  const typing = active && active !== main && main.contains(active); // the operator is already at work in the page
  if (heading && !typing) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

function frame(session) {
  replace(nav, NAV.map(([href, label]) => h("a", { href, text: label })));
  replace(user, h("span", { class: "user-name", text: session.name }), " ",
    h("span", { class: "badge role", text: session.role }), " ",
    h("button", { type: "button", class: "btn btn-small", text: "Log out", onclick: logout }));
  document.body.classList.add("signed-in");
}

function loggedIn(session) {
  setSession(session);
  setCsrf(session.csrf_header, session.csrf_token);
  frame(session);
  live.start();
  show();
}

function loggedOut(message) {
  live.stop();
  setSession(null);
  setCsrf(null, null);
  document.body.classList.remove("signed-in");
  replace(nav);
  replace(user);
  document.title = "Log in · Chargeline";
  renderLogin(main, { message, onSuccess: loggedIn });
}

async function logout() {
  try {
    await post("/ui/logout");
  } finally {
    loggedOut("You have logged out.");
  }
}

live.onState((state) => {
  const labels = { live: "Live", connecting: "Connecting…", down: "Updates paused", off: "Off" };
  liveState.className = `live live-${state}`;
  replace(liveState, h("span", { class: "dot", "aria-hidden": "true" }), labels[state] || state);
});

onUnauthenticated(() => {
  if (getSession()) loggedOut("Your session has ended. Log in again.");
});

window.addEventListener("hashchange", show);
$("#skip").addEventListener("click", () => main.focus());

(async () => {
  try {
    loggedIn(await get("/ui/session", null, { quiet401: true }));
  } catch (err) {
    loggedOut(err instanceof ApiError && err.status === 401 ? null : err.message);
  }
})();
