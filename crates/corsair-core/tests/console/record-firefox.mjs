// Records Firefox's CORS console messages for the console corpus: a page on 127.0.0.1 fetches
// scripted answers from 127.0.0.2 (and 127.0.0.3 for redirects) in headless Firefox, driven over
// WebDriver BiDi; every `log.entryAdded` about a scenario's URL is printed in the corpus format
// (era, expected kind, URL, origin, message). Loopback only.
//
// Run (Node 18+, `npm install ws`; Debian's firefox-esr):
//   FIREFOX_VERSION=$(firefox-esr --version | awk '{print $3}') \
//     node record-firefox.mjs /usr/bin/firefox-esr > firefox-153-recorded.txt

import http from 'node:http';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

const firefox = process.argv[2] ?? '/usr/bin/firefox-esr';

// Each scenario: the fetch, how the API answers OPTIONS and the request, and the kind the corpus
// expects for each console line, in order (Chromium's enum name where the catalogue maps
// Firefox's reason to one). Firefox names no preflight in its reasons: a preflight without
// Access-Control-Allow-Origin reads as CORSMissingAllowOrigin. A line the scenario does not
// expect is written with the kind UNEXPECTED, which fails the corpus test until reviewed.
// The last scenario records that Firefox 153 prints no warning for Authorization and `*`.
const scenarios = [
  { kinds: ['kMissingAllowOriginHeader'], init: {}, actual: { status: 200, headers: [] } },
  { kinds: ['kMissingAllowOriginHeader'], init: {}, actual: { status: 404, headers: [] } },
  { kinds: ['kAllowOriginMismatch=http://127.0.0.9:1'], init: {}, actual: { status: 200, headers: [['Access-Control-Allow-Origin', 'http://127.0.0.9:1']] } },
  { kinds: ['kMultipleAllowOriginValues='], init: {}, actual: { status: 200, headers: [['Access-Control-Allow-Origin', '{page}'], ['Access-Control-Allow-Origin', '{page}']] } },
  { kinds: ['kWildcardOriginNotAllowed'], init: { credentials: 'include' }, actual: { status: 200, headers: [['Access-Control-Allow-Origin', '*']] } },
  { kinds: ['kInvalidAllowCredentials='], init: { credentials: 'include' }, actual: { status: 200, headers: [['Access-Control-Allow-Origin', '{page}']] } },
  { kinds: ['kPreflightInvalidStatus=404', 'CORSDidNotSucceed'], init: { method: 'PUT' }, preflight: { status: 404, headers: [['Access-Control-Allow-Origin', '{page}']] } },
  { kinds: ['kMethodDisallowedByPreflightResponse=', 'CORSDidNotSucceed'], init: { method: 'PUT' }, preflight: { status: 204, headers: [['Access-Control-Allow-Origin', '{page}']] } },
  { kinds: ['kInvalidAllowMethodsPreflightResponse', 'CORSDidNotSucceed'], init: { method: 'PUT' }, preflight: { status: 204, headers: [['Access-Control-Allow-Origin', '{page}'], ['Access-Control-Allow-Methods', 'PUT DELETE']] } },
  { kinds: ['kHeaderDisallowedByPreflightResponse=x-custom', 'CORSDidNotSucceed'], init: { headers: { 'X-Custom': '1' } }, preflight: { status: 204, headers: [['Access-Control-Allow-Origin', '{page}']] } },
  { kinds: ['kInvalidAllowHeadersPreflightResponse', 'CORSDidNotSucceed'], init: { headers: { 'X-Custom': '1' } }, preflight: { status: 204, headers: [['Access-Control-Allow-Origin', '{page}'], ['Access-Control-Allow-Headers', 'x-custom;x-other']] } },
  { kinds: ['kPreflightDisallowedRedirect', 'kAllowOriginMismatch={page}', 'CORSDidNotSucceed'], init: { method: 'PUT' }, preflight: { status: 301, headers: [['Access-Control-Allow-Origin', '{page}'], ['Location', '{other}/elsewhere']] } },
  { kinds: ['kMissingAllowOriginHeader', 'CORSDidNotSucceed'], init: { method: 'DELETE' }, preflight: { status: 204, headers: [] } },
  { kinds: ['kMissingAllowOriginHeader'], init: {}, actual: { status: 302, headers: [['Access-Control-Allow-Origin', '{page}'], ['Location', '{other}/{s}/target']] }, other: { status: 200, headers: [] } },
  { kinds: ['CORSDidNotSucceed'], init: {}, refused: true },
  { kinds: [], init: { headers: { Authorization: 'Bearer x' } }, preflight: { status: 204, headers: [['Access-Control-Allow-Origin', '{page}'], ['Access-Control-Allow-Headers', '*']] }, actual: { status: 200, headers: [['Access-Control-Allow-Origin', '{page}']] } },
];

function listen(host, handler) {
  return new Promise((resolve) => {
    const server = http.createServer(handler);
    server.listen(0, host, () => resolve(server));
  });
}

const origins = {};
const fill = (v, s) => v.replaceAll('{page}', origins.page).replaceAll('{other}', origins.other).replaceAll('{s}', s);

function answer(res, spec, s) {
  const lines = [];
  for (const [n, v] of spec.headers) lines.push(n, fill(v, s));
  res.writeHead(spec.status, lines);
  res.end('x');
}

const page = await listen('127.0.0.1', (req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html' });
  res.end('<!doctype html><title>page</title>');
});
const api = await listen('127.0.0.2', (req, res) => {
  const m = /^\/(f\d\d)\//.exec(req.url);
  const sc = m && scenarios[Number(m[1].slice(1))];
  if (!sc) return answer(res, { status: 404, headers: [] }, '');
  if (req.method === 'OPTIONS' && sc.preflight) return answer(res, sc.preflight, m[1]);
  return answer(res, sc.actual ?? { status: 200, headers: [] }, m[1]);
});
const other = await listen('127.0.0.3', (req, res) => {
  const m = /^\/(f\d\d)\//.exec(req.url);
  const sc = m && scenarios[Number(m[1].slice(1))];
  answer(res, (sc && sc.other) ?? { status: 200, headers: [] }, m ? m[1] : '');
});
origins.page = `http://127.0.0.1:${page.address().port}`;
origins.api = `http://127.0.0.2:${api.address().port}`;
origins.other = `http://127.0.0.3:${other.address().port}`;
// A port nothing listens on, for the refused connection.
const closed = await listen('127.0.0.2', () => {});
const closedPort = closed.address().port;
closed.close();

const profile = mkdtempSync(join(tmpdir(), 'corsair-ff-'));
const ff = spawn(firefox, ['--headless', '--no-remote', '--profile', profile, '--remote-debugging-port', '0', 'about:blank'], { stdio: ['ignore', 'pipe', 'pipe'] });
const wsUrl = await new Promise((resolve, reject) => {
  const onData = (d) => {
    const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(d.toString());
    if (m) resolve(m[1]);
  };
  ff.stderr.on('data', onData);
  ff.stdout.on('data', onData);
  setTimeout(() => reject(new Error('Firefox did not start')), 30000);
});

const ws = new WebSocket(`${wsUrl}/session`);
await new Promise((r) => ws.on('open', r));
let nextId = 1;
const pending = new Map();
const entries = [];
ws.on('message', (data) => {
  const msg = JSON.parse(data.toString());
  if (msg.type === 'event' && msg.method === 'log.entryAdded') entries.push(msg.params);
  else if (msg.id && pending.has(msg.id)) {
    pending.get(msg.id)(msg);
    pending.delete(msg.id);
  }
});
const send = (method, params) => new Promise((resolve, reject) => {
  const id = nextId++;
  pending.set(id, (m) => (m.type === 'error' ? reject(new Error(`${method}: ${m.error} ${m.message}`)) : resolve(m.result)));
  ws.send(JSON.stringify({ id, method, params }));
});

await send('session.new', { capabilities: {} });
await send('session.subscribe', { events: ['log.entryAdded'] });
const tree = await send('browsingContext.getTree', {});
const context = tree.contexts[0].context;
await send('browsingContext.navigate', { context, url: `${origins.page}/page`, wait: 'complete' });

const era = `Firefox ${process.env.FIREFOX_VERSION ?? 'ESR'}`;
console.log(`# Firefox's console lines for scripted failures (record-firefox.mjs), with the kind the`);
console.log(`# corpus expects. Ports are the run's.`);
for (const [i, sc] of scenarios.entries()) {
  const s = `f${String(i).padStart(2, '0')}`;
  const base = sc.refused ? `http://127.0.0.2:${closedPort}` : origins.api;
  const url = `${base}/${s}/a`;
  const expression = `fetch(${JSON.stringify(url)}, ${JSON.stringify(sc.init)}).then(() => 'ok', (e) => String(e))`;
  const before = entries.length;
  await send('script.evaluate', { expression, target: { context }, awaitPromise: true });
  await new Promise((r) => setTimeout(r, 400));
  const mine = entries.slice(before).filter((e) => e.text.includes(`/${s}/`));
  for (const e of mine) {
    // The URL is the one the message names (after a redirect, the target).
    const kind = fill(sc.kinds[mine.indexOf(e)] ?? 'UNEXPECTED', s);
    const named = /remote resource at ‘?(\S+?)’?\. /.exec(e.text);
    console.log([era, kind, named ? named[1] : '-', '-', e.text].join('\t'));
  }
}
ws.close();
ff.kill();
for (const s of [page, api, other]) s.close();
await new Promise((r) => setTimeout(r, 500));
rmSync(profile, { recursive: true, force: true });
process.exit(0);
