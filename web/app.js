// corsair's page: the core runs in this tab as WebAssembly (corsair_web.js carries its bytes);
// this file only moves text in and out of it and draws what it returns. Everything from the
// user (messages, HARs, policies) is set with textContent, never parsed as HTML.
"use strict";

const OP = { explain: 1, har: 2, policy: 3, decide: 4, snippets: 5 };
let core = null;

async function load() {
  const status = document.getElementById("status");
  try {
    if (typeof globalThis.CORSAIR_WASM !== "string") {
      throw new Error("corsair_web.js did not load: this corsair was built without the WebAssembly module (see docs/ui.md)");
    }
    const binary = atob(globalThis.CORSAIR_WASM);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    const { instance } = await WebAssembly.instantiate(bytes, {});
    core = instance.exports;
    status.textContent = `Ready: corsair's core, ${Math.round(bytes.length / 1024)} KiB of WebAssembly, running in this tab.`;
    status.dataset.ready = "true";
  } catch (e) {
    status.textContent = `The WebAssembly core could not start: ${e.message}`;
    status.classList.add("failed");
    return;
  }
  wire();
}

// One operation of the core: text in, JSON out (crates/corsair-web/src/abi.rs).
function call(op, text) {
  const input = new TextEncoder().encode(text);
  const ptr = core.corsair_input(input.length) >>> 0;
  new Uint8Array(core.memory.buffer, ptr, input.length).set(input);
  const n = core.corsair_call(op) >>> 0;
  const out = new Uint8Array(core.memory.buffer, core.corsair_output() >>> 0, n);
  return JSON.parse(new TextDecoder().decode(out));
}

// --- small DOM helpers ------------------------------------------------------------------------
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v; else if (k === "text") e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}
const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs = {}, text) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function debounce(f, ms) {
  let t = 0;
  return () => { clearTimeout(t); t = setTimeout(f, ms); };
}
function shorten(s, n) { return s.length > n ? s.slice(0, n - 1) + "\u2026" : s; }

// --- the sequence diagram ---------------------------------------------------------------------
// lanes: ["page ORIGIN", "SERVER ORIGIN", ...]; steps: {from, to, kind, label, details, failed}.
function diagram(d) {
  const laneGap = d.lanes.length > 2 ? 300 : 460, left = 110;
  const width = left * 2 + laneGap * (d.lanes.length - 1);
  const rows = d.steps.map(s => 34 + 14 * s.details.length);
  const height = 46 + rows.reduce((a, b) => a + b, 0) + 10;
  const root = svg("svg", { class: "diagram", viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
    "aria-label": "the exchange as a sequence diagram" });
  const x = i => left + i * laneGap;
  d.lanes.forEach((name, i) => {
    const lane = svg("g", { class: "lane", "data-lane": i });
    lane.append(svg("text", { class: "lane-label", x: x(i), y: 16, "text-anchor": "middle" }, shorten(name, 44)));
    lane.append(svg("line", { class: "lifeline", x1: x(i), y1: 24, x2: x(i), y2: height - 4 }));
    root.append(lane);
  });
  let y = 46;
  d.steps.forEach((s, n) => {
    const g = svg("g", { class: `step kind-${s.kind}${s.failed ? " failed" : ""}`, "data-kind": s.kind,
      "data-failed": String(s.failed), "data-index": n });
    g.append(svg("title", {}, [s.label, ...s.details].join("\n")));
    const x1 = x(s.from), x2 = x(s.to), dir = x2 > x1 ? 1 : -1, mid = (x1 + x2) / 2;
    g.append(svg("text", { x: mid, y: y + 12, "text-anchor": "middle" }, (s.failed ? "\u2717 " : "") + shorten(s.label, 64)));
    g.append(svg("line", { x1, y1: y + 18, x2: x2 - dir * 8, y2: y + 18 }));
    g.append(svg("polygon", { class: "arrowhead", points: `${x2},${y + 18} ${x2 - dir * 9},${y + 13} ${x2 - dir * 9},${y + 23}` }));
    s.details.forEach((line, k) => {
      g.append(svg("text", { class: "detail", x: mid, y: y + 32 + 14 * k, "text-anchor": "middle" }, shorten(line, 70)));
    });
    root.append(g);
    y += rows[n];
  });
  return root;
}

// --- explaining -------------------------------------------------------------------------------
function fixBlock(fix) {
  if (!fix) return null;
  const box = el("div", { class: "fix" }, el("h4", { text: "Fix" }), el("p", { text: fix.summary }));
  const lines = fix.headers.map(([n, v]) => `${n}: ${v}`).concat(fix.remove.map(r => `remove ${r}`));
  if (lines.length) box.append(el("pre", { class: fix.headers.length ? "fix-headers" : "fix-remove", text: lines.join("\n") }));
  return box;
}

function showMessage(m, i, count) {
  const kind = m.error ? m.error.kind : m.other ? m.other.kind : null;
  const state = m.error ? "blocked" : m.other && m.other.warning ? "warning" : m.other ? "blocked" : "incomplete";
  const word = state === "blocked" ? "BLOCKED" : state === "warning" ? "WARNING" : "NOT RECOGNISED";
  const who = { chromium: "Chromium", firefox: "Firefox", webkit: "Safari (WebKit)" }[m.browser] || "A browser";
  const a = el("article", { class: `finding ${state}`, "data-kind": kind || "" });
  a.append(el("h3", {}, count > 1 ? `Message ${i + 1} of ${count}: ` : "", el("span", { class: "verdict", text: word }),
    ` ${who} ${state === "warning" ? "warns" : "reports"} `, el("code", { class: "kind", text: kind || (m.detail || "(cut off)") })));
  const facts = el("dl");
  for (const [k, v] of [["URL", m.url], ["Redirected from", m.initial_url], ["Redirect to", m.redirect_to],
    ["Origin", m.page_origin], ["Status", m.status], ["Firefox reason", m.error ? m.error.firefox_code : m.firefox_code]]) {
    if (v !== null && v !== undefined) facts.append(el("dt", { text: k }), el("dd", { text: String(v) }));
  }
  a.append(facts);
  if (m.error) {
    if (m.error.preflight) a.append(el("p", { class: "note", text: "It was the OPTIONS preflight, sent before the request itself, that failed." }));
    a.append(el("div", { class: "why" }, el("h4", { text: "Why" }), el("p", { text: m.error.explanation })));
    a.append(fixBlock(m.error.fix));
  } else if (m.other) {
    a.append(el("div", { class: "why" }, el("h4", { text: "Why" }), el("p", { text: m.other.explanation })));
    a.append(el("div", { class: "fix" }, el("h4", { text: "Fix" }), el("p", { text: m.other.advice })));
  } else {
    a.append(el("p", { text: "corsair does not recognise this failure; `corsair check URL --origin ORIGIN` shows what the server answers." }));
  }
  if (m.diagram) a.append(diagram(m.diagram));
  return a;
}

function explainMessage() {
  const out = document.getElementById("explanation");
  const text = document.getElementById("message").value;
  if (!text.trim()) { out.replaceChildren(); return; }
  const doc = call(OP.explain, JSON.stringify({
    text,
    origin: document.getElementById("origin").value,
    method: document.getElementById("method").value,
    credentials: document.getElementById("credentials").checked ? "include" : null,
  }));
  if (doc.error) { out.replaceChildren(el("p", { class: "error-text", text: doc.error })); return; }
  out.replaceChildren(...doc.messages.map((m, i) => showMessage(m, i, doc.messages.length)));
}

const FINDING_WORDS = { blocked: "BLOCKED", allowed: "ALLOWED", incomplete: "NOT JUDGED", blocked_not_in_har: "BLOCKED BY THE BROWSER" };

function showRequest(r, n) {
  const state = r.finding === "blocked_not_in_har" ? "blocked" : r.finding;
  const a = el("article", { class: `finding ${state}`, "data-finding": r.finding, "data-url": r.url });
  a.append(el("h3", {}, `[${n}] `, el("span", { class: "verdict", text: FINDING_WORDS[r.finding] }), " ",
    el("code", { text: `${r.method} ${r.url}` }), ` (entry ${r.entry})`));
  a.append(el("p", { class: "note", text: `Page origin ${r.page_origin} (from ${r.origin_from}).` }));
  for (const note of [r.credentials_note, r.sanitised_note]) if (note) a.append(el("p", { class: "note", text: note }));
  if (r.recorded_failure) a.append(el("p", { class: "note", text: `The browser recorded: ${r.recorded_failure}` }));
  if (r.browser_message) {
    a.append(el("h4", { text: "Chromium console" }), el("p", { class: "console", text: r.browser_message }));
    if (r.firefox && r.firefox.reason_code) a.append(el("p", { class: "note", text: `Firefox reason: ${r.firefox.reason_code}` }));
  }
  if (r.diagnosis) {
    a.append(el("div", { class: "why" }, el("h4", { text: r.diagnosis.why_from_answers ? "Why (from the answers)" : "Why" }),
      ...r.diagnosis.why.map(w => el("p", { text: w }))));
    if (r.diagnosis.fix_in_page) a.append(el("div", { class: "fix" }, el("h4", { text: "Fix (in the page, not on the server)" }), el("p", { text: r.diagnosis.fix_in_page })));
    else a.append(fixBlock(r.diagnosis.fix));
    for (const c of r.diagnosis.also) a.append(el("p", { class: "note", text: `Also: ${c.explanation} ${c.fix || ""}` }));
  }
  if (r.allowed) a.append(el("p", { text: `Script can read: ${r.allowed.readable_headers.join(", ") || "(no headers)"}` }));
  if (r.not_in_har) a.append(el("div", { class: "why" }, el("h4", { text: "Why" }), el("p", { text: r.not_in_har })));
  if (r.missing) a.append(el("div", { class: "why" }, el("h4", { text: "Missing" }), el("p", { text: r.missing })));
  if (r.fill_in) a.append(el("p", { text: "Fill it in with (asks the server now, as the browser would):" }), el("pre", { class: "fill-in", text: r.fill_in }));
  for (const w of r.warnings) a.append(el("p", { class: "note", text: `Warning: ${w}` }));
  a.append(diagram(r.diagram));
  return a;
}

function explainHar(text, name) {
  const out = document.getElementById("explanation");
  const doc = call(OP.har, text);
  if (doc.error) { out.replaceChildren(el("p", { class: "error-text", text: `${name}: ${doc.error}` })); return; }
  const head = el("div", { id: "har-report", "data-engine": doc.har.engine },
    el("p", { text: `${name}: HAR written by ${doc.har.creator || "an unnamed tool"} ${doc.har.version} (${doc.har.engine}).` }));
  if (doc.note) head.append(el("p", { class: "note", text: doc.note }));
  head.append(el("p", { id: "har-summary", text: doc.summary.text }));
  const showAll = el("input", { type: "checkbox", id: "show-all" });
  head.append(el("label", {}, showAll, " list the requests that passed too"));
  const list = el("div", { id: "har-requests" });
  const render = () => {
    const shown = doc.requests.filter(r => showAll.checked || r.finding !== "allowed");
    list.replaceChildren(...shown.map((r, i) => showRequest(r, i + 1)));
  };
  showAll.addEventListener("change", render);
  render();
  out.replaceChildren(head, list);
}

function readHar(file) {
  if (!file) return;
  file.text().then(text => explainHar(text, file.name), e => {
    document.getElementById("explanation").replaceChildren(el("p", { class: "error-text", text: `${file.name}: ${e}` }));
  });
}

// --- the policy editor ------------------------------------------------------------------------
function checkPolicy() {
  const text = document.getElementById("policy").value;
  const doc = call(OP.policy, text);
  const errors = document.getElementById("policy-errors");
  errors.replaceChildren(...doc.errors.map(e => {
    const where = e.line ? `line ${e.line}, column ${e.column}` : "the file";
    return el("li", { class: "error", "data-line": e.line ?? "", "data-column": e.column ?? "" }, `${where}: ${e.message}`);
  }));
  document.getElementById("policy-ok").hidden = !doc.ok;
  document.getElementById("policy-warnings").replaceChildren(...doc.warnings.map(w => el("li", { text: w })));
  decideRequest();
  renderSnippets(doc.ok ? text : null);
}

function decideRequest() {
  const out = document.getElementById("decision");
  const doc = call(OP.decide, JSON.stringify({
    policy: document.getElementById("policy").value,
    method: document.getElementById("req-method").value,
    headers: document.getElementById("req-headers").value,
  }));
  if (doc.error) { out.replaceChildren(el("p", { class: "error-text", text: doc.error })); return; }
  const words = { not_cors: "not a CORS request (no Origin): CORS has nothing to say", preflight: "a preflight", actual: "a CORS request" };
  const verdict = doc.allowed ? "ALLOWED" : "REFUSED";
  const box = el("div", { class: `finding ${doc.allowed ? "allowed" : "blocked"}`, "data-allowed": String(doc.allowed), "data-kind": doc.kind },
    el("p", {}, el("span", { class: "verdict", text: verdict }), ` ${words[doc.kind]}`,
      doc.refusal ? `: ${doc.refusal.reason}` : ""),
    el("p", { class: "note", text: doc.action.forward ? "The server passes it on to the application and adds these headers to the answer:" : `The server answers it itself, ${doc.action.status}, with these headers:` }));
  const table = el("table", { class: "headers" });
  for (const [n, v] of doc.headers) table.append(el("tr", {}, el("td", { text: `${n}:` }), el("td", { text: v })));
  if (!doc.headers.length) table.append(el("tr", {}, el("td", { text: "(no CORS headers)" })));
  box.append(table);
  out.replaceChildren(box);
}

let snippets = [];
function renderSnippets(text) {
  const select = document.getElementById("stack");
  if (text === null) {
    document.getElementById("snippet").textContent = "(fix the policy's errors first)";
    return;
  }
  const doc = call(OP.snippets, text);
  if (doc.error) return;
  snippets = doc.snippets;
  if (select.options.length !== snippets.length) {
    select.replaceChildren(...snippets.map(s => el("option", { value: s.stack, text: s.stack })));
  }
  showSnippet();
}
function showSnippet() {
  const s = snippets.find(s => s.stack === document.getElementById("stack").value) || snippets[0];
  if (!s) return;
  document.getElementById("stack-description").textContent = s.description;
  document.getElementById("snippet").textContent = s.text;
}

function wire() {
  const message = debounce(explainMessage, 120);
  for (const id of ["message", "origin", "method"]) document.getElementById(id).addEventListener("input", message);
  document.getElementById("credentials").addEventListener("change", message);
  document.getElementById("har-file").addEventListener("change", e => readHar(e.target.files[0]));
  const drop = document.getElementById("drop");
  drop.addEventListener("dragover", e => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", e => { e.preventDefault(); drop.classList.remove("over"); readHar(e.dataTransfer.files[0]); });
  const policy = debounce(checkPolicy, 120);
  document.getElementById("policy").addEventListener("input", policy);
  const decide = debounce(decideRequest, 120);
  for (const id of ["req-method", "req-headers"]) document.getElementById(id).addEventListener("input", decide);
  document.getElementById("stack").addEventListener("change", showSnippet);
  checkPolicy();
  if (document.getElementById("message").value.trim()) explainMessage();
}

load();
