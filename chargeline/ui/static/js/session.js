// Who is logged in, and what the role allows (the server enforces it; the UI only hides what would fail).

const ORDER = ["viewer", "operator", "admin"];
let current = null;

export function setSession(info) {
  current = info;
}

export function getSession() {
  return current;
}

export function can(role) {
  return current !== null && ORDER.indexOf(current.role) >= ORDER.indexOf(role);
}

export function roleNote(role) {
  return `Needs the ${role} role; you are logged in as ${current ? current.role : "nobody"}.`;
}
