// The "Operations" tab: a button for every remote operation the station's OCPP version supports,
// each opening a form generated from the operation's schema.

import { GROUPS, label, openForm, operations, resultView, supports } from "../../commands.js";
import { errorBox, h, replace } from "../../dom.js";
import { can, roleNote } from "../../session.js";

export async function operationsTab(panel, state) {
  let ops;
  try {
    ops = await operations();
  } catch (err) {
    replace(panel, errorBox(err));
    return null;
  }
  const version = state.station.connection ? state.station.connection.ocpp_version : state.station.ocpp_version;
  const byName = new Map(ops.map((o) => [o.name, o]));
  const grouped = new Set(GROUPS.flatMap(([, names]) => names));
  const groups = [...GROUPS, ["Other", ops.map((o) => o.name).filter((n) => !grouped.has(n))]];
  const report = (result) => state.addResult(resultView(result));

  const sections = groups.map(([title, names]) => {
    const available = names.map((n) => byName.get(n)).filter((op) => op && supports(op, version));
    if (!available.length) return null;
    return h("section", { class: "op-group", "aria-label": title }, h("h3", { text: title }),
      h("div", { class: "ops" }, available.map((op) => {
        const allowed = can(op.role);
        return h("button", { type: "button", class: "btn", dataset: { operation: op.name }, disabled: !allowed,
          title: allowed ? op.summary : roleNote(op.role),
          onclick: () => openForm(state.station.station_id, op, {}, { onResult: report }) }, label(op.name));
      })));
  });
  replace(panel,
    h("p", { class: "muted" }, version ? `Operations for OCPP ${version}. ` : "The station's OCPP version is not known yet; every operation is listed. ",
      "Operations that interrupt charging or change the station ask for a confirmation. ",
      can("operator") ? "" : roleNote("operator")),
    sections);
  return null;
}
