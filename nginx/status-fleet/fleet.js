// A fleet's status page: lists the members (fleet.json, rendered for this node by the stack: their
// names, this node's, the shared name) and each one's health, read from https://<member>/healthz.
// Cross-origin: every node's nginx lets the fleet's names read its /healthz. Loaded after status.js,
// whose describeHealth it uses. No dependencies.
"use strict";

/** A member that has not answered by then reads "not answering", like one that refuses. */
const MEMBER_TIMEOUT_MS = 8000;

/** {state, summary} of one name's /healthz: "down" when nothing answered at all. */
async function nameHealth(name) {
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), MEMBER_TIMEOUT_MS);
  try {
    let r;
    try {
      r = await fetch(`https://${name}/healthz`, { cache: "no-store", signal: ctl.signal });
    } catch {
      // Refused, reset, unresolvable, timed out, or (the browser does not tell) refused by CORS.
      return { state: "down", summary: "not answering" };
    }
    let h;
    try {
      h = await r.json();
    } catch {
      if (ctl.signal.aborted) return { state: "down", summary: "not answering" };
    }
    if (!h || typeof h !== "object")
      return { state: "fail", summary: `HTTP ${r.status}, not a /healthz answer` };
    const v = describeHealth(r.status, h, Date.now() / 1000);
    return { state: v.state, summary: v.lines.sync ? `${v.summary}; ${v.lines.sync}` : v.summary };
  } finally {
    clearTimeout(timer);
  }
}

function span(className, text) {
  const s = document.createElement("span");
  s.className = className;
  s.textContent = text;
  return s;
}

/** One list item: the name, its role (this node, the shared name), its health once known. */
function item(name, role) {
  const li = document.createElement("li");
  li.dataset.state = "pending";
  li.appendChild(span("name", name));
  if (role) li.appendChild(span("role", ` (${role})`));
  li.appendChild(document.createTextNode(": "));
  const health = li.appendChild(span("health", "…"));
  return {
    li,
    show(v) {
      li.dataset.state = v.state;
      health.textContent = v.summary;
    },
  };
}

async function fleet() {
  const section = document.getElementById("fleet");
  const summary = document.getElementById("fleet-summary");
  const list = document.getElementById("fleet-members");
  let f;
  try {
    const r = await fetch("fleet.json", { cache: "no-cache" });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    f = await r.json();
  } catch (e) {
    section.dataset.state = "fail";
    summary.textContent = `no member list (fleet.json): ${e.message || e}`;
    return;
  }
  const rows = f.members.map((name) => ({
    name,
    member: true,
    ...item(name, name === f.self ? "this node, serving this page" : ""),
  }));
  if (f.publicName)
    rows.push({ name: f.publicName, member: false, ...item(f.publicName, "shared name") });
  for (const r of rows) list.appendChild(r.li);
  const views = await Promise.all(
    rows.map(async (r) => {
      const v = await nameHealth(r.name);
      r.show(v);
      return { member: r.member, ok: v.state === "ok" };
    }),
  );
  const members = views.filter((v) => v.member);
  const healthy = members.filter((v) => v.ok).length;
  section.dataset.state = views.every((v) => v.ok) ? "ok" : healthy > 0 ? "degraded" : "fail";
  summary.textContent = `${healthy} of ${members.length} ${members.length === 1 ? "node" : "nodes"} healthy`;
}

window.addEventListener("DOMContentLoaded", async () => {
  await fleet();
  document.body.dataset.fleetDone = "true";
});
