// What the clients/js tests (client_*.test.mjs) share: a page server that serves a recording test
// page and the client module itself (/herald.js, read from clients/js/herald.js on each request),
// Chromium launch with one context (its pages are tabs of one origin: they share Web Locks and
// BroadcastChannel), JSON over herald's internal listener on any port, a herald of the test's own
// (to kill and restart), and small waiting helpers.
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { CHROMIUM, WAIT_MS } from './harness.mjs';

// HERALD_CLIENT_JS may name another copy (to check that the tests catch a broken client).
export const CLIENT_JS = process.env.HERALD_CLIENT_JS || new URL('../../clients/js/herald.js', import.meta.url);

// The test page: ?cfg=<JSON options> (url, channels, transport, since, shared, ...) makes a client
// at once; what it sees is recorded in window.rec for the test to read. window.tokenCalls counts the
// token hook's calls when cfg.tokenHook (the token the hook returns) or cfg.tokenList is set.
const PAGE = String.raw`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>herald client test</title><link rel="icon" href="data:,"></head>
<body><h1>herald client</h1><pre id="log"></pre>
<script type="module">
import { HeraldClient } from '/herald.js';
const cfg = JSON.parse(new URLSearchParams(location.search).get('cfg') || '{}');
const rec = { events: [], resets: [], gaps: [], disconnects: [], roles: [], opens: 0, closes: 0, keyed: [], errors: [], expiring: [] };
window.rec = rec;
window.tokenCalls = 0;
const opts = { ...cfg };
// cfg.noLocks: a browser without Web Locks (the client must fall back to a stream of its own).
if (cfg.noLocks) {
  delete opts.noLocks;
  Object.defineProperty(Navigator.prototype, 'locks', { get: () => undefined, configurable: true });
}
if (cfg.tokenHook !== undefined) {
  delete opts.tokenHook;
  opts.token = async () => { window.tokenCalls++; return cfg.tokenHook; };
}
// cfg.tokenList: the hook returns these in turn (the last one from then on).
if (cfg.tokenList !== undefined) {
  delete opts.tokenList;
  opts.token = async () => cfg.tokenList[Math.min(window.tokenCalls++, cfg.tokenList.length - 1)];
}
const log = (line) => { document.getElementById('log').textContent += line + '\n'; };
try {
  const client = new HeraldClient(opts);
  window.client = client;
  client.addEventListener('message', (e) => { rec.events.push(e.detail); log(e.detail.channel + ' #' + e.detail.offset); });
  client.addEventListener('reset', (e) => { rec.resets.push(e.detail); log('reset ' + JSON.stringify(e.detail)); });
  client.addEventListener('gap', (e) => rec.gaps.push(e.detail));
  client.addEventListener('disconnect', (e) => { rec.disconnects.push(e.detail); log('disconnect ' + JSON.stringify(e.detail)); });
  client.addEventListener('open', () => { rec.opens++; log('open'); });
  client.addEventListener('close', () => { rec.closes++; log('close'); });
  client.addEventListener('keyed', (e) => rec.keyed.push(e.detail));
  client.addEventListener('role', (e) => { rec.roles.push(e.detail.leader); log('leader ' + e.detail.leader); });
  client.addEventListener('error', (e) => rec.errors.push(e.detail));
  client.addEventListener('expiring', (e) => rec.expiring.push(e.detail));
  client.start();
} catch (e) {
  window.startError = String(e.message || e);
  log('error: ' + window.startError);
}
</script></body></html>`;

// Serves the page at / and the client at /herald.js on a free loopback port: an origin of its own.
export function startClientServer() {
  const server = http.createServer((req, res) => {
    const path = req.url.split('?')[0];
    if (path === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(PAGE);
    } else if (path === '/herald.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(readFileSync(CLIENT_JS));
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.origin = `http://127.0.0.1:${server.address().port}`;
      resolve(server);
    });
  });
}

export async function launch() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
           '--no-first-run', '--disable-component-update', '--disable-sync',
           // Background tabs must keep their timers: the test's tabs are all "background" but one.
           '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
           '--disable-backgrounding-occluded-windows'],
  });
  return browser;
}

// Opens a tab in context on the test page with the client options cfg; its console goes to lines.
export async function openTab(context, origin, cfg, lines = []) {
  const page = await context.newPage();
  const n = context.pages().length;
  page.on('console', (m) => lines.push(`tab${n} ${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => lines.push(`tab${n} pageerror: ${e.message}`));
  await page.goto(`${origin}/?cfg=${encodeURIComponent(JSON.stringify(cfg))}`, { timeout: WAIT_MS });
  const err = await page.evaluate(() => window.startError || null);
  if (err) throw new Error(`the page could not start its client: ${err}`);
  return page;
}

// Polls fn (async) until it returns a truthy value, or fails after ms with what describe() says.
export async function waitFor(fn, what, ms = WAIT_MS, describe = async () => '') {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what} ${await describe()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The offsets a tab's client delivered for channel, in order.
export const offsetsOf = (page, channel) =>
  page.evaluate((c) => window.rec.events.filter((e) => e.channel === c).map((e) => e.offset), channel);

export const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

// ---------------------------------------------------------------- herald's internal listener

export function request(port, method, path, body) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? null : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
    const req = http.request({
      host: '127.0.0.1', port, path, method, timeout: WAIT_MS,
      headers: payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {},
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch (e) { /* not JSON */ }
        if (res.statusCode !== 200) reject(new Error(`${method} ${path} -> ${res.statusCode}: ${text}`));
        else if (json === null) reject(new Error(`${method} ${path}: reply is not JSON: ${text}`));
        else resolve(json);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no reply in ${WAIT_MS} ms`)));
    req.on('error', reject);
    req.end(payload || undefined);
  });
}

export const publish = (port, event) => request(port, 'POST', '/v1/publish', event);

// herald's connections on its internal listener whose channels are exactly channels (any order).
export async function connectionsFor(port, channels) {
  const r = await request(port, 'GET', '/v1/connections?limit=1000');
  const want = [...channels].sort().join(',');
  return r.connections.filter((c) => [...c.channels].sort().join(',') === want);
}

// ---------------------------------------------------------------- a herald of the test's own

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

// Starts `binary serve` on the given loopback ports with extra args and waits for /healthz;
// returns {proc, log()}. stop() sends SIGKILL (a crash: no goodbye to the clients) or SIGTERM.
export async function startHerald(binary, publicPort, internalPort, args = []) {
  let out = '';
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('HERALD_')) delete env[k];
  const proc = spawn(binary, ['serve', '--public', `127.0.0.1:${publicPort}`, '--internal', `127.0.0.1:${internalPort}`,
                              '--log-level', 'warn', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (c) => { out += c; });
  proc.stderr.on('data', (c) => { out += c; });
  const h = { proc, log: () => out, exited: false };
  proc.on('exit', () => { h.exited = true; });
  await waitFor(async () => {
    if (h.exited) throw new Error(`herald exited at start: ${out}`);
    try { return (await request(internalPort, 'GET', '/healthz')).status === 'ok'; } catch (e) { return false; }
  }, `herald on 127.0.0.1:${internalPort}`, 15_000);
  return h;
}

export function stopHerald(h, signal = 'SIGKILL') {
  if (h.exited) return Promise.resolve();
  return new Promise((resolve) => {
    h.proc.once('exit', () => resolve());
    h.proc.kill(signal);
  });
}

// ---------------------------------------------------------------- a proxy that can hold new connections

// A raw TCP proxy to 127.0.0.1:targetPort. hold() makes new connections wait (accepted, nothing
// forwarded) until release(); cut() drops every live connection, like a network blip. proxy.url
// is http://127.0.0.1:PORT; proxy.accepted counts connections.
export function startGateProxy(targetPort) {
  const live = new Set();
  let held = [];
  let holding = false;
  const proxy = { accepted: 0, server: null, url: '' };
  const forward = (client) => {
    if (client.destroyed) return;
    const upstream = net.connect(targetPort, '127.0.0.1');
    live.add(upstream);
    upstream.on('close', () => { live.delete(upstream); client.destroy(); });
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    client.pipe(upstream);
    upstream.pipe(client);
  };
  proxy.server = net.createServer((client) => {
    proxy.accepted++;
    live.add(client);
    client.on('close', () => live.delete(client));
    client.on('error', () => {});
    if (holding) held.push(client);
    else forward(client);
  });
  proxy.hold = () => { holding = true; };
  proxy.release = () => {
    holding = false;
    const h = held;
    held = [];
    for (const c of h) forward(c);
  };
  proxy.cut = () => {
    const n = live.size;
    for (const s of live) s.destroy();
    live.clear();
    return n;
  };
  proxy.close = () => { proxy.cut(); proxy.server.close(); };
  return new Promise((resolve) => proxy.server.listen(0, '127.0.0.1', () => {
    proxy.url = `http://127.0.0.1:${proxy.server.address().port}`;
    resolve(proxy);
  }));
}
