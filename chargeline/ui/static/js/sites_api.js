// The sites API (smart charging) as the dashboard reads it. The contract:
//   GET /api/v1/sites, GET /api/v1/sites/{id} (with nodes), GET /api/v1/sites/{id}/load?since=&until=,
//   GET/PUT /api/v1/sites/{id}/prices, GET /api/v1/stations/{id}/charging-profiles,
//   GET /api/v1/stations/{id}/composite?evse_id=&duration=
// Every reader answers null when the route is not there (404), so pages show an empty state.

import { api, optional } from "./api.js";

export const items = (data) => (Array.isArray(data) ? data : (data && Array.isArray(data.items) ? data.items : []));

export async function listSites() {
  const data = await optional("/api/v1/sites");
  return data === null ? null : items(data);
}

export const getSite = (id) => optional(`/api/v1/sites/${encodeURIComponent(id)}`);

const points = (list) => (Array.isArray(list) ? list : [])
  .map((p) => ({ t: new Date(p.at).getTime() / 1000, v: p.w ?? null }))
  .filter((p) => !Number.isNaN(p.t))
  .sort((a, b) => a.t - b.t);

export async function getLoad(id, since, until) {
  const data = await optional(`/api/v1/sites/${encodeURIComponent(id)}/load`, {
    since: since.toISOString(), until: until.toISOString() });
  if (data === null) return null;
  return { planned: points(data.planned), measured: points(data.measured), limit: points(data.limit) };
}

// The value in force at `t` (seconds) of a step series.
export function valueAt(series, t) {
  let value = null;
  for (const p of series) {
    if (p.t > t) break;
    value = p.v;
  }
  return value;
}

export async function getPrices(id) {
  const data = await optional(`/api/v1/sites/${encodeURIComponent(id)}/prices`);
  return data === null ? null : items(data);
}

export const putPrices = (id, prices) => api(`/api/v1/sites/${encodeURIComponent(id)}/prices`, { method: "PUT", body: prices });

// {profiles: [...], checks: [...]} (a bare list is read as the profiles), or null without the route.
export async function getProfiles(stationId) {
  const data = await optional(`/api/v1/stations/${encodeURIComponent(stationId)}/charging-profiles`);
  if (data === null) return null;
  return { profiles: Array.isArray(data.profiles) ? data.profiles : items(data), checks: data.checks || [] };
}

// {expected, reported} as schedules (either may be null), or null without the route.
export async function getComposite(stationId, evseId, duration) {
  const data = await optional(`/api/v1/stations/${encodeURIComponent(stationId)}/composite`, { evse_id: evseId, duration });
  if (data === null) return null;
  if ("expected" in data || "reported" in data) return { expected: data.expected || null, reported: data.reported || null };
  return { expected: data, reported: null };
}

// Step points [{t (s), v}] of a schedule, ending at its duration.
export function schedulePoints(schedule) {
  const s = compositePeriods(schedule);
  if (!s) return [];
  const points = s.periods.map((p) => ({ t: (s.start + p.start * 1000) / 1000, v: p.limit }));
  if (s.duration && points.length) points.push({ t: (s.start + s.duration * 1000) / 1000, v: points[points.length - 1].v });
  return points;
}

// Several step series on one time axis, each holding its value until its next point.
export function alignSteps(seriesList) {
  const times = Array.from(new Set(seriesList.flatMap((s) => s.map((p) => p.t)))).sort((a, b) => a - b);
  return [times, ...seriesList.map((s) => times.map((t) => {
    if (!s.length || t < s[0].t || t > s[s.length - 1].t) return null;
    return valueAt(s, t);
  }))];
}

// A composite schedule in any of the shapes OCPP uses (2.x CompositeScheduleType, 1.6 nested
// chargingSchedule, snake_case), as {start (ms), unit, periods: [{start (s offset), limit}]} or null.
export function compositePeriods(data) {
  if (!data || typeof data !== "object") return null;
  const inner = data.schedule || data.composite || data.compositeSchedule || data.composite_schedule || data;
  const schedule = inner.chargingSchedule && !Array.isArray(inner.chargingSchedule) ? { ...inner, ...inner.chargingSchedule } : inner;
  const periods = schedule.chargingSchedulePeriod || schedule.charging_schedule_period || schedule.periods;
  if (!Array.isArray(periods)) return null;
  const startText = schedule.scheduleStart || schedule.schedule_start || inner.scheduleStart || schedule.startSchedule || schedule.start;
  const start = startText ? new Date(startText).getTime() : Date.now();
  return {
    start,
    duration: schedule.duration ?? null,
    unit: schedule.chargingRateUnit || schedule.charging_rate_unit || schedule.unit || "W",
    periods: periods.map((p) => ({ start: p.startPeriod ?? p.start_period ?? p.start ?? 0, limit: p.limit ?? null })),
  };
}
