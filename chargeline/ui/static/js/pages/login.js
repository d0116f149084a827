// Login: a user account (name and password) or an API key; both give a session cookie.

import { ApiError, post } from "../api.js";
import { h, replace } from "../dom.js";

export function renderLogin(root, { message, onSuccess }) {
  let mode = "user";
  const error = h("div", { class: "login-error", role: "alert" });
  const userFields = h("div", { class: "fields" },
    h("div", { class: "field" }, h("label", { for: "login-user", text: "User name" }),
      h("input", { id: "login-user", name: "username", autocomplete: "username", required: true, spellcheck: "false" })),
    h("div", { class: "field" }, h("label", { for: "login-password", text: "Password" }),
      h("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password",
        required: true })));
  const keyFields = h("div", { class: "fields", hidden: true },
    h("div", { class: "field" }, h("label", { for: "login-key", text: "Your API key" }),
      h("input", { id: "login-key", name: "api_key", type: "password", autocomplete: "off", spellcheck: "false",
        placeholder: "clk_…" }),
      h("small", { class: "muted", text: "Created with: chargeline api-keys create --role viewer|operator|admin" })));
  const submit = h("button", { type: "submit", class: "btn btn-primary btn-block", text: "Log in" });

  function choose(next) {
    mode = next;
    userFields.hidden = next !== "user";
    keyFields.hidden = next !== "key";
    for (const input of userFields.querySelectorAll("input")) input.required = next === "user";
    keyFields.querySelector("input").required = next === "key";
  }

  const form = h("form", { class: "login-card", "aria-labelledby": "login-title", novalidate: false },
    h("h1", { id: "login-title", text: "Chargeline" }),
    h("p", { class: "muted", text: "Charging station management — log in to the dashboard." }),
    message ? h("p", { class: "notice", role: "status", text: message }) : null,
    h("fieldset", { class: "segmented" }, h("legend", { class: "sr-only", text: "Log in with" }),
      h("label", {}, h("input", { type: "radio", name: "mode", value: "user", checked: true, onchange: () => choose("user") }),
        " User account"),
      h("label", {}, h("input", { type: "radio", name: "mode", value: "key", onchange: () => choose("key") }), " API key")),
    userFields, keyFields, error, submit);

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    replace(error);
    const data = new FormData(form);
    const body = mode === "key" ? { api_key: String(data.get("api_key") || "").trim() }
      : { username: String(data.get("username") || "").trim(), password: String(data.get("password") || "") };
    submit.disabled = true;
    try {
      const session = await post("/ui/login", body);
      form.reset();
      onSuccess(session);
    } catch (err) {
      const text = err instanceof ApiError && err.status === 401 ? "Wrong user name and password, or unknown API key."
        : err.message;
      replace(error, text);
      submit.disabled = false;
    }
  });
  replace(root, h("div", { class: "login-page" }, form));
  form.querySelector("input:not([type=radio])").focus();
}
