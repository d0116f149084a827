// The overview's "site loads": the latest measured load of every site against its limit.

import { h, replace, emptyState, errorBox } from "../dom.js";
import * as fmt from "../format.js";
import { href } from "../router.js";
import { getLoad, listSites, valueAt } from "../sites_api.js";

const MAX_SITES = 12;

function row(site, load) {
  const now = Date.now() / 1000;
  const measured = site.measured_w ?? (load ? valueAt(load.measured, now) : null);
  const limit = site.current_limit_w ?? site.limit_w ?? (load ? valueAt(load.limit, now) : null);
  const share = measured !== null && limit ? measured / limit : null;
  const gauge = h("div", { class: share === null ? "gauge" : share > 1 ? "gauge over" : share > 0.85 ? "gauge high" : "gauge",
    role: "meter", "aria-label": `${site.name || site.id} load`, "aria-valuemin": "0", "aria-valuemax": String(limit ?? 0),
    "aria-valuenow": String(measured ?? 0) }, h("span", { dataset: { share: String(Math.min(share ?? 0, 1)) } }));
  return [h("a", { href: href(`/sites/${encodeURIComponent(site.id)}`), text: site.name || String(site.id) }), gauge,
    h("span", { class: "mono", text: `${fmt.kw(measured)} / ${fmt.kw(limit)}` })];
}

export function siteLoads(container) {
  const panel = h("section", { class: "panel", "aria-labelledby": "loads-title" }, h("h2", { id: "loads-title", text: "Site loads" }));
  const body = h("div");
  panel.append(body);
  container.append(panel);
  let stopped = false;
  async function load() {
    try {
      const sites = await listSites();
      if (stopped) return;
      if (sites === null || !sites.length) {
        replace(body, emptyState("No sites", sites === null
          ? "Site limits show here once smart charging is configured (the sites API is not available)."
          : "No sites are configured yet."));
        return;
      }
      const until = new Date();
      const since = new Date(until.getTime() - 3600e3);
      const summarised = (s) => "measured_w" in s && ("current_limit_w" in s || "limit_w" in s);
      const loads = await Promise.all(sites.slice(0, MAX_SITES).map((s) => (summarised(s) ? null
        : getLoad(s.id, since, until).catch(() => null))));
      if (stopped) return;
      replace(body, h("div", { class: "site-load" }, sites.slice(0, MAX_SITES).map((s, i) => row(s, loads[i]))),
        sites.length > MAX_SITES ? h("p", {}, h("a", { href: "#/sites", text: `All ${sites.length} sites` })) : null);
      for (const seg of body.querySelectorAll(".gauge > span")) seg.style.width = `${Number(seg.dataset.share) * 100}%`;
    } catch (err) {
      if (!stopped) replace(body, errorBox(err));
    }
  }
  load();
  const timer = setInterval(load, 30000);
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
