// Modal dialogs on the native <dialog> (focus is trapped and Escape closes it): confirmations for
// destructive operations, forms, and results.

import { h, replace } from "../dom.js";

function shell(title, body, actions, { wide = false } = {}) {
  const dialog = h("dialog", { class: wide ? "modal modal-wide" : "modal", "aria-labelledby": "dialog-title" },
    h("form", { method: "dialog", class: "modal-form" },
      h("h2", { id: "dialog-title", text: title }),
      h("div", { class: "modal-body" }, body),
      h("div", { class: "modal-actions" }, actions)));
  document.body.append(dialog);
  dialog.addEventListener("close", () => setTimeout(() => dialog.remove(), 0));
  return dialog;
}

export function confirmDialog({ title, message, confirm = "Confirm", danger = false }) {
  return new Promise((resolve) => {
    const ok = h("button", { type: "submit", value: "ok", class: danger ? "btn btn-danger" : "btn btn-primary",
      text: confirm });
    const cancel = h("button", { type: "submit", value: "cancel", class: "btn", text: "Cancel" });
    const dialog = shell(title, h("p", {}, message), [cancel, ok]);
    dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"));
    dialog.showModal();
    cancel.focus();
  });
}

// A form in a dialog. `fields` is a node (the inputs); `submit(form)` returns a promise; its result is
// shown by `showResult(result, body)` in the same dialog, errors are shown inline and the form stays open.
export function formDialog({ title, fields, submitLabel = "Send", danger = false, submit, wide = false, note }) {
  return new Promise((resolve) => {
    const status = h("div", { class: "modal-status", role: "status", "aria-live": "polite" });
    const ok = h("button", { type: "button", class: danger ? "btn btn-danger" : "btn btn-primary", text: submitLabel });
    const close = h("button", { type: "submit", value: "close", class: "btn", text: "Close" });
    const body = h("div", {}, note ? h("p", { class: danger ? "warn" : "muted" }, note) : null, fields, status);
    const dialog = shell(title, body, [close, ok], { wide });
    let result = null;
    ok.addEventListener("click", async () => {
      const form = dialog.querySelector("form");
      if (!form.reportValidity()) return;
      ok.disabled = true;
      replace(status, h("span", { class: "spinner", "aria-hidden": "true" }), " Waiting for the answer…");
      try {
        result = await submit(form, status);
        if (result && result.keepOpen) {
          ok.disabled = false;
          return;
        }
        dialog.close("done");
      } catch (err) {
        replace(status, h("div", { class: "error-box", role: "alert" }, err.message || String(err)));
        ok.disabled = false;
      }
    });
    dialog.addEventListener("close", () => resolve(result));
    dialog.showModal();
    const first = dialog.querySelector("input, select, textarea");
    (first || ok).focus();
  });
}

export function infoDialog(title, content, { wide = true } = {}) {
  const close = h("button", { type: "submit", value: "close", class: "btn btn-primary", text: "Close" });
  const dialog = shell(title, content, [close], { wide });
  dialog.showModal();
  close.focus();
  return dialog;
}
