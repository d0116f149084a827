// The "Charging profiles" tab: the profiles the CSMS believes installed (smart-charging API) and a
// chart of an EVSE's composite schedule: the CSMS's prediction and the station's own answer.

import { resultView, send } from "../../commands.js";
import { badge } from "../../components/badge.js";
import { timeChart } from "../../components/charts.js";
import { jsonView } from "../../components/json.js";
import { emptyState, errorBox, h, replace } from "../../dom.js";
import * as fmt from "../../format.js";
import { can } from "../../session.js";
import { alignSteps, compositePeriods, getComposite, getProfiles, schedulePoints } from "../../sites_api.js";

function profileRow(p) {
  const profile = p.charging_profile || p.chargingProfile || p.profile || p;
  const id = profile.id ?? profile.chargingProfileId ?? p.id;
  return h("li", { class: "frame" }, h("details", {},
    h("summary", {}, h("span", { text: "▸" }), h("strong", { text: `#${id ?? "?"}` }),
      h("span", { text: p.purpose || profile.chargingProfilePurpose || "–" }),
      h("span", { class: "badge", text: `EVSE ${p.evse_id ?? p.evseId ?? "–"}` }),
      h("span", { class: "preview", text: `stack ${p.stack_level ?? profile.stackLevel ?? "–"}${p.source ? ` · ${p.source}` : ""}` })),
    jsonView(profile, { label: `profile ${id}` })));
}

function checkRow(c) {
  const ok = c.ok ?? (Array.isArray(c.differences) ? c.differences.length === 0 : null);
  return h("li", {}, badge(ok === null ? "unknown" : ok ? "accepted" : "failed", ok === null ? "?" : ok ? "matches" : "differs"),
    ` ${c.kind || "check"}${c.evse_id !== undefined && c.evse_id !== null ? ` EVSE ${c.evse_id}` : ""} · ${fmt.time(c.at || c.checked_at || c.created_at)}`);
}

function draw(host, schedules, title) {
  const unitOf = schedules.map((s) => compositePeriods(s.schedule)).find(Boolean);
  const all = schedules.map((s) => ({ ...s, points: schedulePoints(s.schedule) }));
  const series = all.filter((s) => s.points.some((p) => p.v !== null));
  const unlimited = all.filter((s) => s.points.length && !series.includes(s)).map((s) => s.label);
  const note = unlimited.length ? h("p", { class: "muted", text: `${unlimited.join(" and ")}: no limit applies (the station's own maximum).` }) : null;
  if (!series.length) {
    replace(host, note || emptyState("No schedule", "Neither the CSMS nor the station reported charging schedule periods."));
    return null;
  }
  const unit = unitOf ? unitOf.unit : "";
  replace(host, note);
  return timeChart(host, { title, yLabel: unit, height: 240,
    summary: `${title}: ${series.map((s) => `${s.label}: ${s.points.map((p) => `${fmt.clock(p.t * 1000)} ${p.v ?? "no limit"}`).join(", ")}`).join("; ")}`,
    series: series.map((s, i) => ({ label: `${s.label} (${unit})`, unit, stepped: true, fill: i === 0, dash: i ? [6, 4] : undefined,
      color: i ? "--c5" : "--c1" })),
    data: alignSteps(series.map((s) => s.points)) });
}

export async function chargingTab(panel, state) {
  const station = state.station;
  const profilesBox = h("div");
  const chartBox = h("div", { id: "composite-chart" });
  const evses = station.evses.filter((e) => e.evse_id > 0).map((e) => e.evse_id);
  const evse = h("select", { id: "composite-evse" }, [0, ...evses].map((n) => h("option", { value: String(n), selected: n === (evses[0] ?? 0),
    text: n === 0 ? "Whole station (0)" : `EVSE ${n}` })));
  const duration = h("select", { id: "composite-duration" }, [[3600, "1 hour"], [21600, "6 hours"], [86400, "24 hours"]]
    .map(([s, text]) => h("option", { value: String(s), text, selected: s === 86400 })));
  const ask = h("button", { type: "button", class: "btn", text: "Ask the station", disabled: !can("operator") || !station.connected,
    title: "Sends GetCompositeSchedule to the station" });
  let current = null;
  let expected = null; // the CSMS's prediction for the chosen EVSE and duration

  replace(panel, h("div", { class: "grid grid-2" },
    h("section", { class: "panel", "aria-labelledby": "profiles-title" }, h("h2", { id: "profiles-title", text: "Installed charging profiles" }), profilesBox),
    h("section", { class: "panel", "aria-labelledby": "composite-title" }, h("h2", { id: "composite-title", text: "Composite schedule" }),
      h("div", { class: "toolbar" },
        h("div", { class: "field" }, h("label", { for: "composite-evse", text: "EVSE" }), evse),
        h("div", { class: "field" }, h("label", { for: "composite-duration", text: "Duration" }), duration), ask),
      chartBox)));

  function show(reported, title) {
    if (current) current.destroy();
    const schedules = [];
    if (expected) schedules.push({ label: "CSMS expects", schedule: expected });
    if (reported) schedules.push({ label: "Station reports", schedule: reported });
    current = draw(chartBox, schedules, title);
  }
  async function loadComposite() {
    try {
      const data = await getComposite(station.station_id, evse.value, duration.value);
      if (data === null) {
        expected = null;
        if (current) current.destroy();
        current = null;
        replace(chartBox, emptyState("No composite schedule from the CSMS",
          "The smart-charging API is not available; use “Ask the station” to read the station's own schedule."));
        return;
      }
      expected = data.expected;
      show(data.reported, `EVSE ${evse.value}, next ${fmt.duration(Number(duration.value))}`);
    } catch (err) {
      replace(chartBox, errorBox(err));
    }
  }
  ask.addEventListener("click", async () => {
    ask.disabled = true;
    const result = await send(station.station_id, "get_composite_schedule",
      { evse_id: Number(evse.value), duration: Number(duration.value) });
    ask.disabled = false;
    state.addResult(resultView(result));
    if (result.record && result.record.response && result.record.outcome === "Accepted") {
      show(result.record.response, `EVSE ${evse.value} as reported by the station`);
    } else {
      replace(chartBox, result.record ? resultView(result) : errorBox(result.error));
    }
  });
  evse.addEventListener("change", loadComposite);
  duration.addEventListener("change", loadComposite);

  try {
    const data = await getProfiles(station.station_id);
    replace(profilesBox, data === null
      ? emptyState("Charging profiles are not available", "The smart-charging API of this CSMS does not answer.")
      : [data.profiles.length ? h("ul", { class: "frames" }, data.profiles.map(profileRow)) : emptyState("No charging profiles installed"),
        data.checks.length ? [h("h3", { text: "Checks against the station" }), h("ul", { class: "alerts" }, data.checks.map(checkRow))] : null]);
  } catch (err) {
    replace(profilesBox, errorBox(err));
  }
  await loadComposite();
  return () => {
    if (current) current.destroy();
  };
}
