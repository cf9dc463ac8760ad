import { createHash } from "node:crypto";

// The approval page: plain HTML, CSS and JavaScript, no build step. Untrusted text (tool names,
// arguments, reasons) reaches the page already made visible by src/display (the `display` fields
// of /api/state), only through textContent (never innerHTML), each field in a <bdi dir="ltr"> of
// its own and each JSON string in a value in one more: right-to-left text isolates itself, it never
// reorders the brackets, commas, keys and other strings around it. A row never moves under the
// pointer: a call that stops waiting keeps its place (buttons disabled) until the pointer leaves the list.

const STYLE = `
:root { color-scheme: light dark; font: 15px/1.4 system-ui, sans-serif; }
body { margin: 0 auto; max-width: 60rem; padding: 1rem; }
header { display: flex; align-items: baseline; gap: 1rem; }
h1 { font-size: 1.3rem; margin: 0; }
#status { color: GrayText; font-size: 0.9rem; }
#status.error { color: #c00; }
ul { list-style: none; padding: 0; }
li.pending { border: 1px solid GrayText; border-radius: 6px; padding: 0.75rem; margin: 0.75rem 0; overflow: hidden; }
.title { font-weight: 600; }
.meta { color: GrayText; font-size: 0.9rem; }
ul.args { background: color-mix(in srgb, GrayText 12%, transparent); padding: 0.5rem; margin: 0.5rem 0; font: 0.9rem/1.4 ui-monospace, monospace; }
ul.args li, .title, .whole-tool { white-space: pre-wrap; overflow-wrap: anywhere; overflow: hidden; }
.cut { color: #b60; font-weight: 600; }
details.whole summary { cursor: pointer; color: #b60; }
.actions { display: flex; gap: 0.5rem; align-items: center; flex-wrap: wrap; }
.actions input { flex: 1; min-width: 12rem; }
button { padding: 0.3rem 1rem; cursor: pointer; }
button.approve { font-weight: 600; }
.message { font-size: 0.9rem; }
li.pending.gone { opacity: 0.5; }
li.recent { padding: 0.25rem 0; border-bottom: 1px solid color-mix(in srgb, GrayText 30%, transparent); }
.approved { color: #080; } .denied { color: #c00; } .withdrawn { color: GrayText; }
`;

const SCRIPT = `
"use strict";
const pendingList = document.getElementById("pending");
const emptyNote = document.getElementById("empty");
const recentList = document.getElementById("recent");
const statusLine = document.getElementById("status");
const rows = new Map();

function node(tag, className, text) {
  const element = document.createElement(tag);
  if (tag === "bdi") element.dir = "ltr";
  if (className) element.className = className;
  if (text !== undefined) element.textContent = text;
  return element;
}

const BACKSLASH = String.fromCharCode(92);

// JSON text (a key or a value, perhaps cut short) laid out left to right, each string in it isolated.
function jsonNode(className, text) {
  const element = node("bdi", className);
  let at = 0;
  while (at < text.length) {
    const quote = text.indexOf('"', at);
    if (quote === -1) {
      element.append(document.createTextNode(text.slice(at)));
      break;
    }
    if (quote > at) element.append(document.createTextNode(text.slice(at, quote)));
    let end = quote + 1;
    while (end < text.length && text[end] !== '"') end += text[end] === BACKSLASH ? 2 : 1;
    end = Math.min(end + 1, text.length);
    element.append(node("bdi", "", text.slice(quote, end)));
    at = end;
  }
  return element;
}

function duration(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return seconds + " s";
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return minutes + " min " + String(seconds % 60).padStart(2, "0") + " s";
  return Math.floor(minutes / 60) + " h " + String(minutes % 60).padStart(2, "0") + " min";
}

function argumentList(entries) {
  const list = node("ul", "args");
  if (entries.length === 0) list.append(node("li", "", "no arguments"));
  for (const entry of entries) {
    const item = node("li");
    if (entry.key) {
      item.append(jsonNode("key", entry.key));
      if (entry.keyOmittedChars > 0) item.append(node("span", "cut", "…⟨" + entry.keyOmittedChars + " more characters⟩"));
      item.append(document.createTextNode(": "));
    }
    item.append(jsonNode("value", entry.value));
    if (entry.omittedChars > 0) item.append(node("span", "cut", "…⟨" + entry.omittedChars + " more characters⟩"));
    list.append(item);
  }
  return list;
}

function argumentsBlock(entry) {
  const view = entry.display;
  const parts = [argumentList(view.arguments)];
  if (view.shortened) {
    const whole = node("details", "whole");
    whole.append(node("summary", "", "Show the tool name, every key and value whole (those marked …⟨N more characters⟩ are shortened above)"));
    if (entry.wholeTool !== view.tool) {
      const tool = node("div", "whole-tool", "tool: ");
      tool.append(node("bdi", "tool", entry.wholeTool));
      whole.append(tool);
    }
    whole.append(argumentList(entry.wholeArguments));
    parts.push(whole);
  }
  if (view.argumentsIncomplete)
    parts.push(node("div", "cut", "…⟨the inbox keeps the first 64 KiB of the arguments; the wrap process holds them whole⟩"));
  return parts;
}

async function api(path, init) {
  // The session cookie (HttpOnly, set when the one-time address was opened) goes with every request.
  const response = await fetch(path, Object.assign({}, init, { cache: "no-store", credentials: "same-origin" }));
  const body = await response.json().catch(() => ({}));
  if (!response.ok && response.status !== 409) throw new Error(body.message || "the server answered " + response.status);
  return body;
}

async function answer(id, approved, row) {
  for (const button of row.buttons) button.disabled = true;
  row.message.textContent = approved ? "approving…" : "denying…";
  try {
    const body = await api("/api/decisions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ id, approved, reason: row.reasonInput.value }),
    });
    row.message.textContent = body.message || body.result;
    if (body.result !== "decided" && !row.gone) for (const button of row.buttons) button.disabled = false;
  } catch (error) {
    row.message.textContent = "failed: " + error.message;
    if (!row.gone) for (const button of row.buttons) button.disabled = false;
  }
  refresh();
}

function pendingRow(entry) {
  const item = node("li", "pending");
  item.dataset.id = entry.id;
  const view = entry.display;
  const title = node("div", "title");
  title.append(node("bdi", "", view.server), document.createTextNode(" › "), node("bdi", "tool", view.tool));
  const meta = node("div", "meta");
  const facts = node("div", "meta");
  facts.append(node("bdi", "", view.category + ", " + view.risk + " risk"), document.createTextNode(" · "),
    node("bdi", "", view.rule || "policy default"), document.createTextNode(" · id " + view.id));
  const why = node("div", "why", "Why: ");
  why.append(node("bdi", "", view.reason));
  const actions = node("div", "actions");
  const approve = node("button", "approve", "Approve");
  const reasonInput = node("input");
  reasonInput.placeholder = "reason for denying (optional, the agent sees it)";
  reasonInput.setAttribute("aria-label", "Reason for denying " + view.tool);
  reasonInput.maxLength = 2000;
  const deny = node("button", "deny", "Deny");
  const message = node("span", "message");
  actions.append(approve, reasonInput, deny, message);
  item.append(title, facts, why, ...argumentsBlock(entry), meta, actions);
  const row = { item, meta, message, reasonInput, buttons: [approve, deny], gone: false };
  approve.addEventListener("click", () => answer(entry.id, true, row));
  deny.addEventListener("click", () => answer(entry.id, false, row));
  return row;
}

function retire(row) {
  row.gone = true;
  row.item.classList.add("gone");
  for (const button of row.buttons) button.disabled = true;
  row.meta.textContent = "no longer waiting";
}

function revive(row) {
  row.gone = false;
  row.item.classList.remove("gone");
  for (const button of row.buttons) button.disabled = false;
}

function collapseRetired() {
  for (const [id, row] of rows) if (row.gone) { row.item.remove(); rows.delete(id); }
  emptyNote.hidden = rows.size > 0;
}
pendingList.addEventListener("pointerleave", collapseRetired);

function render(state) {
  const seen = new Set();
  for (const entry of state.pending) {
    seen.add(entry.id);
    let row = rows.get(entry.id);
    if (!row) {
      row = pendingRow(entry);
      rows.set(entry.id, row);
      pendingList.append(row.item);
    }
    row.meta.textContent = "waiting " + duration(entry.ageMs) + " · " + duration(entry.timeLeftMs) + " left";
  }
  // A call that no longer waits keeps its place, its buttons disabled, while the pointer is over the
  // list: removing it then would move the next call's buttons under a click aimed at this one's.
  const holdPlaces = pendingList.matches(":hover");
  for (const [id, row] of rows) {
    if (seen.has(id)) {
      if (row.gone) revive(row);
    } else if (holdPlaces) {
      if (!row.gone) retire(row);
    } else {
      row.item.remove();
      rows.delete(id);
    }
  }
  emptyNote.hidden = rows.size > 0;
  recentList.replaceChildren(...state.recent.map((decision) => {
    const view = decision.display;
    const item = node("li", "recent");
    item.dataset.id = decision.id;
    item.append(
      node("span", decision.outcome, decision.outcome), document.createTextNode(" "),
      node("bdi", "", view.server), document.createTextNode(" › "), node("bdi", "tool", view.tool),
      document.createTextNode(" by "), node("bdi", "", view.decidedBy),
      document.createTextNode(", " + duration(state.now - decision.decidedAt) + " ago after " + duration(decision.waitedMs)),
    );
    if (view.reason) item.append(document.createTextNode(": "), node("bdi", "", view.reason));
    return item;
  }));
  statusLine.className = "";
  statusLine.textContent = "live · updated " + new Date(state.now).toLocaleTimeString();
}

let timer = null;
async function refresh() {
  clearTimeout(timer);
  try {
    render(await api("/api/state"));
  } catch (error) {
    statusLine.className = "error";
    statusLine.textContent = "cannot reach policylayer approvals --web (" + error.message + "); retrying";
  }
  timer = setTimeout(refresh, 1000);
}
refresh();
`;

/** The page's HTML, referring to its inline style and script by hash in the CSP. */
export const APPROVAL_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>policylayer approvals</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>policylayer approvals</h1><span id="status" role="status">connecting…</span></header>
<main>
<section>
<h2>Waiting for approval</h2>
<p id="empty">No calls are waiting for approval.</p>
<ul id="pending"></ul>
</section>
<section>
<h2>Recent decisions</h2>
<ul id="recent"></ul>
</section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

function sha256Source(text: string): string {
  return `'sha256-${createHash("sha256").update(text, "utf8").digest("base64")}'`;
}

/** Allows exactly the page's own inline style and script and requests to its own origin; nothing else. */
export const APPROVAL_PAGE_CSP = [
  "default-src 'none'",
  `script-src ${sha256Source(SCRIPT)}`,
  `style-src ${sha256Source(STYLE)}`,
  "connect-src 'self'",
  "img-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");
