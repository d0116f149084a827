// Id tokens and groups: list (masked unless an admin reveals), add, edit, delete, CSV import.
// Tokens are addressed by their full value, so editing starts from the value (or a revealed list).

import { ApiError, api, get } from "../api.js";
import { badge } from "../components/badge.js";
import { confirmDialog, formDialog } from "../components/dialog.js";
import { simpleTable } from "../components/table.js";
import { toast } from "../components/toast.js";
import { errorBox, h, replace } from "../dom.js";
import * as fmt from "../format.js";
import { href, setQuery } from "../router.js";
import { can, roleNote } from "../session.js";

const STATUSES = ["Accepted", "Blocked", "Expired", "Invalid"];
const TYPES = ["", "Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization"];
const PAGE = 100;
const enc = encodeURIComponent;

function input(id, label, attrs = {}, hint) {
  return h("div", { class: "field" }, h("label", { for: id, text: label }), h("input", { id, name: id, ...attrs }),
    hint ? h("small", { class: "muted", text: hint }) : null);
}

function choice(id, label, options, value) {
  return h("div", { class: "field" }, h("label", { for: id, text: label }),
    h("select", { id, name: id }, options.map((o) => h("option", { value: o, text: o || "any", selected: o === (value ?? "") }))));
}

function tokenFields(token = {}, { isNew }) {
  return h("div", { class: "fields" },
    isNew ? input("id_token", "Id token", { required: true, maxlength: 255, autocomplete: "off", spellcheck: "false" }) : null,
    choice("status", "Status", STATUSES, token.status || "Accepted"),
    choice("token_type", "Type (2.x)", TYPES, token.token_type),
    input("expires_at", "Expires", { type: "datetime-local", value: fmt.toLocalInput(token.expires_at) }, "Empty: never."),
    input("group_id", "Group", { maxlength: 36, value: token.group_id || "" }, "Created if it does not exist."),
    input("language", "Language", { maxlength: 8, value: token.language || "" }));
}

function tokenBody(form, isNew) {
  const data = new FormData(form);
  const body = {
    status: data.get("status"),
    token_type: data.get("token_type") || null,
    expires_at: fmt.fromLocalInput(data.get("expires_at")),
    group_id: String(data.get("group_id") || "").trim() || null,
    language: String(data.get("language") || "").trim() || null,
  };
  if (isNew) body.id_token = String(data.get("id_token")).trim();
  return body;
}

export async function render(root, _params, query) {
  const reveal = query.reveal === "true" && can("admin");
  const offset = Number(query.offset || 0);
  const tokensBox = h("div");
  const groupsBox = h("div");
  const importBox = h("div", { role: "status", "aria-live": "polite" });
  const operator = can("operator");
  const filter = { status: query.status || "", group_id: query.group_id || "" };

  async function editToken(value) {
    let token;
    try {
      token = await get(`/api/v1/id-tokens/${enc(value)}`);
    } catch (err) {
      toast(err.status === 404 ? "No such id token." : err.message, "error");
      return;
    }
    await formDialog({ title: `Id token ${token.id_token}`, fields: tokenFields(token, { isNew: false }), submitLabel: "Save",
      submit: async (form) => {
        await api(`/api/v1/id-tokens/${enc(value)}`, { method: "PATCH", body: tokenBody(form, false) });
        toast("Id token saved", "ok");
        loadTokens();
      } });
  }
  async function deleteToken(value, shown) {
    if (!(await confirmDialog({ title: "Delete this id token?", danger: true, confirm: "Delete",
      message: `${shown}: stations asking the CSMS will no longer get it authorized.` }))) return;
    try {
      await api(`/api/v1/id-tokens/${enc(value)}`, { method: "DELETE" });
      toast("Id token deleted", "ok");
      loadTokens();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  async function loadTokens() {
    try {
      const page = await get("/api/v1/id-tokens", { ...filter, reveal: reveal || null, limit: PAGE, offset });
      replace(tokensBox, simpleTable([
        { label: "Id token", render: (t) => h("code", { text: t.id_token }) },
        { label: "Status", render: (t) => badge(t.status) },
        { label: "Type", key: "token_type" },
        { label: "Group", key: "group_id" },
        { label: "Expires", render: (t) => (t.expires_at ? fmt.time(t.expires_at) : "never") },
        { label: "Added", render: (t) => fmt.time(t.created_at) },
        ...(reveal && operator ? [{ label: "", render: (t) => h("span", { class: "actions" },
          h("button", { type: "button", class: "btn btn-small", text: "Edit", onclick: () => editToken(t.id_token) }),
          h("button", { type: "button", class: "btn btn-small btn-danger-outline", text: "Delete", onclick: () => deleteToken(t.id_token, t.id_token) })) }] : []),
      ], page.items, { empty: "No id tokens.", caption: "Id tokens" }),
      h("div", { class: "table-foot" }, h("span", { class: "muted", text: `${page.total} id tokens${reveal ? "" : " (masked)"}` }),
        page.total > PAGE ? h("div", { class: "pager" },
          h("a", { class: "btn btn-small", href: href("/tokens", { ...query, offset: Math.max(0, offset - PAGE) }), text: "Previous" }),
          h("span", { text: ` ${offset + 1}–${Math.min(offset + PAGE, page.total)} ` }),
          h("a", { class: "btn btn-small", href: href("/tokens", { ...query, offset: offset + PAGE }), text: "Next" })) : null));
    } catch (err) {
      replace(tokensBox, errorBox(err));
    }
  }

  async function loadGroups() {
    try {
      const page = await get("/api/v1/id-token-groups", { limit: 1000 });
      replace(groupsBox, simpleTable([
        { label: "Group", render: (g) => h("a", { href: href("/tokens", { group_id: g.group_id }), text: g.name }) },
        { label: "Status", render: (g) => badge(g.status) },
        { label: "Expires", render: (g) => (g.expires_at ? fmt.time(g.expires_at) : "never") },
        { label: "", render: (g) => h("span", { class: "actions" },
          operator ? h("button", { type: "button", class: "btn btn-small", text: "Edit", onclick: () => editGroup(g) }) : null,
          can("admin") ? h("button", { type: "button", class: "btn btn-small btn-danger-outline", text: "Delete", onclick: () => deleteGroup(g) }) : null) },
      ], page.items, { empty: "No groups.", caption: "Groups" }));
    } catch (err) {
      replace(groupsBox, errorBox(err));
    }
  }

  async function editGroup(group) {
    const isNew = !group;
    await formDialog({ title: isNew ? "Add a group" : `Group ${group.name}`, submitLabel: isNew ? "Add" : "Save",
      fields: h("div", { class: "fields" },
        isNew ? input("group_id", "Group id", { required: true, maxlength: 36 }) : null,
        choice("status", "Status", STATUSES, group ? group.status : "Accepted"),
        input("expires_at", "Expires", { type: "datetime-local", value: fmt.toLocalInput(group && group.expires_at) })),
      submit: async (form) => {
        const data = new FormData(form);
        const body = { status: data.get("status"), expires_at: fmt.fromLocalInput(data.get("expires_at")) };
        if (isNew) await api("/api/v1/id-token-groups", { method: "POST", body: { ...body, group_id: String(data.get("group_id")).trim() } });
        else await api(`/api/v1/id-token-groups/${enc(group.group_id)}`, { method: "PATCH", body });
        toast(isNew ? "Group added" : "Group saved", "ok");
        loadGroups();
      } });
  }
  async function deleteGroup(group) {
    if (!(await confirmDialog({ title: `Delete group ${group.name}?`, danger: true, confirm: "Delete",
      message: "Its tokens stay, without a group." }))) return;
    try {
      await api(`/api/v1/id-token-groups/${enc(group.group_id)}`, { method: "DELETE" });
      loadGroups();
      loadTokens();
    } catch (err) {
      toast(err.message, "error");
    }
  }

  const file = h("input", { type: "file", id: "csv-file", accept: ".csv,text/csv", disabled: !operator });
  const importButton = h("button", { type: "button", class: "btn", text: "Import", disabled: !operator, onclick: async () => {
    if (!file.files.length) {
      replace(importBox, h("p", { class: "warn", text: "Choose a CSV file first." }));
      return;
    }
    const text = await file.files[0].text();
    replace(importBox, h("span", { class: "spinner", "aria-hidden": "true" }), " Importing…");
    try {
      const result = await api("/api/v1/id-tokens/import", { method: "POST", body: text, contentType: "text/csv" });
      replace(importBox, h("p", { class: "notice", text: `Imported: ${result.created} created, ${result.updated} updated.` }));
      loadTokens();
      loadGroups();
    } catch (err) {
      const lines = err instanceof ApiError && Array.isArray(err.details) ? err.details : [];
      replace(importBox, h("div", { class: "error-box", role: "alert" }, err.message,
        lines.length ? h("ul", {}, lines.slice(0, 50).map((l) => h("li", { text: `line ${l.line ?? "?"}: ${l.error || l.message || JSON.stringify(l)}` }))) : null));
    }
  } });
  const find = h("input", { type: "search", id: "token-find", placeholder: "Full id token value", autocomplete: "off" });

  replace(root,
    h("div", { class: "page-head" }, h("h1", { text: "Id tokens" }), h("div", { class: "actions" },
      can("admin") ? h("a", { class: "btn", href: href("/tokens", { ...query, reveal: reveal ? "" : "true", offset: "" }),
        text: reveal ? "Mask values" : "Reveal full values" }) : null,
      h("button", { type: "button", class: "btn btn-primary", text: "Add id token", disabled: !operator,
        title: operator ? null : roleNote("operator"), onclick: () => formDialog({ title: "Add an id token", submitLabel: "Add",
          fields: tokenFields({}, { isNew: true }), submit: async (form) => {
            await api("/api/v1/id-tokens", { method: "POST", body: tokenBody(form, true) });
            toast("Id token added", "ok");
            loadTokens();
            loadGroups();
          } }) }))),
    h("div", { class: "grid grid-2" },
      h("section", { class: "panel", "aria-labelledby": "find-title" }, h("h2", { id: "find-title", text: "Find and edit a token" }),
        h("form", { class: "toolbar", onsubmit: (ev) => { ev.preventDefault(); if (find.value.trim()) editToken(find.value.trim()); } },
          h("div", { class: "field" }, h("label", { for: "token-find", text: "Id token" }), find),
          h("button", { type: "submit", class: "btn", text: "Open", disabled: !operator })),
        h("p", { class: "muted", text: "Lists show tokens masked; open one by its full value to change or delete it." })),
      h("section", { class: "panel", "aria-labelledby": "import-title" }, h("h2", { id: "import-title", text: "Import from CSV" }),
        h("div", { class: "toolbar" }, h("div", { class: "field" }, h("label", { for: "csv-file", text: "CSV file" }), file), importButton),
        h("p", { class: "muted" }, "Header ", h("code", { text: "id_token,status,expires_at,group_id,token_type,language" }),
          "; existing tokens are updated; one bad line rejects the whole file."), importBox)),
    h("section", { class: "panel", "aria-labelledby": "tokens-title" },
      h("div", { class: "page-head" }, h("h2", { id: "tokens-title", text: "Tokens" }),
        h("div", { class: "toolbar actions" },
          choice("filter-status", "Status", ["", ...STATUSES], filter.status),
          filter.group_id ? h("span", {}, "group ", h("strong", { text: filter.group_id }), " ",
            h("a", { href: href("/tokens", { ...query, group_id: "" }), text: "(all groups)" })) : null)),
      tokensBox),
    h("section", { class: "panel", "aria-labelledby": "groups-title" },
      h("div", { class: "page-head" }, h("h2", { id: "groups-title", text: "Groups" }),
        h("button", { type: "button", class: "btn actions", text: "Add group", disabled: !operator, onclick: () => editGroup(null) })),
      groupsBox));
  root.querySelector("#filter-status").addEventListener("change", (ev) => {
    filter.status = ev.target.value;
    setQuery({ ...query, status: filter.status });
    loadTokens();
  });
  await Promise.all([loadTokens(), loadGroups()]);
  return null;
}
