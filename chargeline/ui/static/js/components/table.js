// A sortable, searchable, paged table. Column headers are buttons (keyboard and screen readers
// get aria-sort); rows are rebuilt from data, so live updates keep the sort, the filter and the page.
//
// columns: [{key, label, value?(row) -> sortable value, render?(row) -> node|string, numeric?, class?}]

import { h, replace } from "../dom.js";

function compare(a, b) {
  if (a === b) return 0;
  if (a === null || a === undefined || a === "") return 1;
  if (b === null || b === undefined || b === "") return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a).localeCompare(String(b), undefined, { numeric: true, sensitivity: "base" });
}

export class DataTable {
  constructor({ columns, caption, pageSize = 100, rowKey, searchText, empty = "Nothing to show.", sort, onRow }) {
    this.columns = columns;
    this.pageSize = pageSize;
    this.rowKey = rowKey;
    this.searchText = searchText || ((row) => columns.map((c) => (c.value ? c.value(row) : row[c.key]) ?? "").join(" "));
    this.emptyText = empty;
    this.sort = sort || { key: columns[0].key, dir: 1 };
    this.query = "";
    this.filter = null;
    this.page = 0;
    this.rows = [];
    this.onRow = onRow;
    this.body = h("tbody");
    this.head = h("tr");
    this.pager = h("div", { class: "pager" });
    this.count = h("span", { class: "muted", role: "status", "aria-live": "polite" });
    this.element = h("div", { class: "table-wrap" },
      h("table", { class: "data" }, caption ? h("caption", { class: "sr-only", text: caption }) : null,
        h("thead", {}, this.head), this.body),
      h("div", { class: "table-foot" }, this.count, this.pager));
    this.renderHead();
  }

  renderHead() {
    replace(this.head, this.columns.map((col) => {
      if (col.sortable === false) return h("th", { scope: "col", class: col.class, text: col.label });
      const active = this.sort.key === col.key;
      const button = h("button", { type: "button", class: "sort", onclick: () => this.sortBy(col.key) }, col.label,
        h("span", { class: "sort-icon", "aria-hidden": "true", text: active ? (this.sort.dir > 0 ? "▲" : "▼") : "↕" }));
      return h("th", { scope: "col", class: [col.class, col.numeric ? "num" : ""],
        "aria-sort": active ? (this.sort.dir > 0 ? "ascending" : "descending") : "none" }, button);
    }));
  }

  sortBy(key) {
    this.sort = this.sort.key === key ? { key, dir: -this.sort.dir } : { key, dir: 1 };
    this.renderHead();
    this.render();
    const th = this.head.querySelector("[aria-sort]:not([aria-sort=none]) button");
    if (th) th.focus();
  }

  setQuery(query) {
    this.query = query.trim().toLowerCase();
    this.page = 0;
    this.render();
  }

  setFilter(fn) {
    this.filter = fn;
    this.page = 0;
    this.render();
  }

  setRows(rows) {
    this.rows = rows;
    this.render();
  }

  visible() {
    const col = this.columns.find((c) => c.key === this.sort.key) || this.columns[0];
    const value = col.value || ((row) => row[col.key]);
    let rows = this.rows;
    if (this.filter) rows = rows.filter(this.filter);
    if (this.query) rows = rows.filter((row) => this.searchText(row).toLowerCase().includes(this.query));
    return rows.slice().sort((a, b) => compare(value(a), value(b)) * this.sort.dir);
  }

  render() {
    const rows = this.visible();
    const pages = Math.max(1, Math.ceil(rows.length / this.pageSize));
    this.page = Math.min(this.page, pages - 1);
    const shown = rows.slice(this.page * this.pageSize, (this.page + 1) * this.pageSize);
    if (!shown.length) {
      replace(this.body, h("tr", {}, h("td", { colspan: this.columns.length, class: "empty-cell", text: this.emptyText })));
    } else {
      replace(this.body, shown.map((row) => {
        const tr = h("tr", this.rowKey ? { dataset: { key: this.rowKey(row) } } : {},
          this.columns.map((col) => h("td", { class: [col.class, col.numeric ? "num" : ""] },
            col.render ? col.render(row) : (row[col.key] ?? "–"))));
        if (this.onRow) this.onRow(tr, row);
        return tr;
      }));
    }
    replace(this.count, `${rows.length} of ${this.rows.length}`);
    replace(this.pager, pages > 1 ? [
      h("button", { type: "button", class: "btn btn-small", disabled: this.page === 0, text: "Previous",
        onclick: () => { this.page -= 1; this.render(); } }),
      h("span", { text: ` page ${this.page + 1} of ${pages} ` }),
      h("button", { type: "button", class: "btn btn-small", disabled: this.page >= pages - 1, text: "Next",
        onclick: () => { this.page += 1; this.render(); } }),
    ] : []);
  }
}

// A plain (non-interactive) table for small lists.
export function simpleTable(columns, rows, { empty = "Nothing to show.", caption } = {}) {
  return h("div", { class: "table-wrap" }, h("table", { class: "data" },
    caption ? h("caption", { class: "sr-only", text: caption }) : null,
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.numeric ? "num" : "", text: c.label })))),
    h("tbody", {}, rows.length ? rows.map((row) => h("tr", {}, columns.map((c) =>
      h("td", { class: c.numeric ? "num" : "" }, c.render ? c.render(row) : (row[c.key] ?? "–")))))
      : h("tr", {}, h("td", { colspan: columns.length, class: "empty-cell", text: empty })))));
}
