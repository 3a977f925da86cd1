// What the real-browser tests (*.test.mjs, started by run.sh) share: the listener ports run.sh passes,
// a server for the test's page on its own loopback origin (on the port run.sh picked, when it did), a cuttable TCP proxy to herald's public
// listener (optionally counting WebSocket frames), publishing on the internal listener, Chromium
// launch and a tiny sequential runner that reports each test and exits with the overall result.
import http from 'node:http';
import net from 'node:net';
import { chromium } from 'playwright-core';

export const PUBLIC_PORT = Number(process.env.HERALD_PUBLIC_PORT);
export const INTERNAL_PORT = Number(process.env.HERALD_INTERNAL_PORT);
// The port run.sh picked for the page (with herald's, so herald-args can name the page origin:
// --allowed-origin $HERALD_PAGE_ORIGIN); 0 when not set: any free port.
export const PAGE_PORT = Number(process.env.HERALD_PAGE_PORT) || 0;
export const CHROMIUM = process.env.HERALD_CHROMIUM || '/usr/bin/chromium';
export const WAIT_MS = 10_000;  // bound for anything that should happen at once

// Exits with 2 and a usage line naming file unless every one of names is set to a non-zero number.
export function requireEnv(file, names) {
  if (names.every((n) => Number(process.env[n]))) return;
  const list = names.length > 1 ? `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}` : names[0];
  console.error(`${file}: set ${list} (run it through run.sh)`);
  process.exit(2);
}

// ---------------------------------------------------------------- the page

// Serves html at / (and /index.html) on loopback port (default PAGE_PORT, else a free one): an
// origin of its own, not herald's. Another server (port 0) makes another origin on the same host.
export function startPageServer(html, port = PAGE_PORT) {
  const server = http.createServer((req, res) => {
    if (req.url === '/' || req.url === '/index.html') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
      res.end(html);
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', (e) => reject(new Error(`cannot serve the page on 127.0.0.1:${port}: ${e.message}`)));
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

// ---------------------------------------------------------------- a cuttable TCP proxy to herald's public listener

// Counts the WebSocket frames in one direction by opcode (1 text, 2 binary, 8 close, 9 ping, 10 pong),
// after skipping the HTTP head when told to (the 101 response, server to client).
function frameCounter(skipHead) {
  let buf = Buffer.alloc(0);
  let inHead = skipHead;
  const counts = {};
  const feed = (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    if (inHead) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      buf = buf.subarray(end + 4);
      inHead = false;
    }
    for (;;) {
      if (buf.length < 2) return;
      const opcode = buf[0] & 0x0f;
      let len = buf[1] & 0x7f;
      let pos = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        pos = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        pos = 10;
      }
      if (buf[1] & 0x80) pos += 4;  // masking key (client frames)
      if (buf.length < pos + len) return;
      counts[opcode] = (counts[opcode] || 0) + 1;
      buf = buf.subarray(pos + len);
    }
  };
  return { counts, feed };
}

// Forwards each connection to herald (a raw TCP proxy, so a WebSocket upgrade passes through
// untouched). Records each request head in proxy.requests (to see the browser's Last-Event-ID or
// Origin), and in proxy.exchanges as {request, status} with herald's response status once it came
// (what the page itself may not see, e.g. behind a CORS failure), can rewrite it (proxy.rewrite:
// head => head), and cut() drops every live connection at
// once, like a network blip. proxy.url is scheme://127.0.0.1:port. With countWsFrames, each
// WebSocket upgrade is also pushed on proxy.conns as {head, toClient, toServer}, the last two
// counting the frames each way by opcode (.counts), to see server pings and browser pongs.
export function startProxy(targetPort, { scheme = 'http', countWsFrames = false } = {}) {
  const live = new Set();
  const proxy = { requests: [], exchanges: [], conns: [], rewrite: null, server: null };
  proxy.cut = () => {
    const n = live.size;
    for (const s of live) s.destroy();
    live.clear();
    return n;
  };
  proxy.server = net.createServer((client) => {
    live.add(client);
    client.on('close', () => live.delete(client));
    client.on('error', () => {});
    let head = Buffer.alloc(0);
    const onData = (chunk) => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > 64 * 1024) client.destroy();
        return;
      }
      client.off('data', onData);
      client.pause();
      let text = head.subarray(0, end + 4).toString('latin1');
      const rest = head.subarray(end + 4);
      if (proxy.rewrite) text = proxy.rewrite(text);
      proxy.requests.push(text);
      const exchange = { request: text, status: null };
      proxy.exchanges.push(exchange);
      const conn = countWsFrames && /^Upgrade:[ \t]*websocket[ \t]*$/im.test(text)
        ? { head: text, toClient: frameCounter(true), toServer: frameCounter(false) } : null;
      if (conn) proxy.conns.push(conn);
      const upstream = net.connect(targetPort, '127.0.0.1');
      live.add(upstream);
      upstream.on('close', () => { live.delete(upstream); client.destroy(); });
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('connect', () => {
        upstream.write(Buffer.from(text, 'latin1'));
        if (rest.length) {
          upstream.write(rest);
          if (conn) conn.toServer.feed(rest);
        }
        if (conn) {
          client.on('data', conn.toServer.feed);
          upstream.on('data', conn.toClient.feed);
        }
        upstream.once('data', (chunk) => {
          const m = chunk.toString('latin1').match(/^HTTP\/1\.[01] (\d{3})/);
          if (m) exchange.status = Number(m[1]);
        });
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      });
    };
    client.on('data', onData);
  });
  return new Promise((resolve) => proxy.server.listen(0, '127.0.0.1', () => {
    proxy.url = `${scheme}://127.0.0.1:${proxy.server.address().port}`;
    resolve(proxy);
  }));
}

// The value of header name in an HTTP request head, or null.
export function header(requestHead, name) {
  const m = requestHead.match(new RegExp(`^${name}:[ \\t]*(.*?)[ \\t]*$`, 'im'));
  return m ? m[1] : null;
}

// ---------------------------------------------------------------- publishing (internal listener)

function post(path, body, contentType) {
  return new Promise((resolve, reject) => {
    const payload = Buffer.from(body);
    const req = http.request({
      host: '127.0.0.1', port: INTERNAL_PORT, path, method: 'POST', timeout: WAIT_MS,
      headers: { 'Content-Type': contentType, 'Content-Length': payload.length },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { text += c; });
      res.on('end', () => {
        if (res.statusCode !== 200) {
          reject(new Error(`POST ${path} -> ${res.statusCode}: ${text}`));
          return;
        }
        try { resolve(JSON.parse(text)); } catch (e) { reject(new Error(`POST ${path}: reply is not JSON: ${text}`)); }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`POST ${path}: no reply in ${WAIT_MS} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}

// GET path on the internal listener (no Origin: what a server or curl sends): {status, headers, body}.
export function getInternal(path) {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: INTERNAL_PORT, path, timeout: WAIT_MS }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no reply in ${WAIT_MS} ms`)));
    req.on('error', reject);
  });
}

// herald_auth_refusals_total{reason="..."} from the internal listener's /metrics (0 when absent).
export async function authRefusals(reason) {
  const r = await getInternal('/metrics');
  if (r.status !== 200) throw new Error(`GET /metrics -> ${r.status}: ${r.body}`);
  const m = r.body.match(new RegExp(`^herald_auth_refusals_total\\{reason="${reason}"\\}\\s+(\\d+)`, 'm'));
  return m ? Number(m[1]) : 0;
}

export const publishJson = (event) => post('/v1/publish', JSON.stringify(event), 'application/json');
export const publishText = (channel, text) =>
  post(`/v1/channels/${encodeURIComponent(channel)}/events`, text, 'text/plain; charset=utf-8');

// ---------------------------------------------------------------- a tiny sequential runner

const results = [];
export async function test(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   - ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`FAIL - ${name} (${Date.now() - t0} ms)`);
    console.log(String(err && err.stack ? err.stack : err).split('\n').map((l) => '       ' + l).join('\n'));
  }
}

// ---------------------------------------------------------------- setting up and finishing

// Starts the page server for html and the proxy (proxyOptions as startProxy takes them), then
// Chromium with one page of the given viewport loaded from the page server. Returns the session
// {pageServer, proxy, pageUrl, browser, page, consoleLines, ok}; ok is false (and a failed 'setup'
// is recorded) when Chromium or the page did not come up: then run no tests, only finish().
// The banner line names herald (its public URL) and ends with extra when given.
export async function startSession({ html, viewport, herald, proxy: proxyOptions, extra = '' }) {
  const pageServer = await startPageServer(html);
  const proxy = await startProxy(PUBLIC_PORT, proxyOptions);
  const pageUrl = `http://127.0.0.1:${pageServer.address().port}/`;
  const session = { pageServer, proxy, pageUrl, browser: null, page: null, consoleLines: [], ok: true };
  try {
    session.browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic',
             '--no-first-run', '--disable-component-update', '--disable-sync'],
    });
    // A context of its own (not browser.newPage's), so a test can open more pages that share its
    // cookies: page.context().newPage().
    const context = await session.browser.newContext({ viewport });
    const page = await context.newPage();
    session.page = page;
    page.on('console', (m) => session.consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => session.consoleLines.push(`pageerror: ${e.message}`));
    await page.goto(pageUrl, { timeout: WAIT_MS });
    console.log(`browser: ${session.browser.version()}, page ${pageUrl}, herald ${herald}, proxy ${proxy.url}` +
                (extra ? `, ${extra}` : ''));
  } catch (e) {
    console.log(`FAIL - setup: cannot start Chromium at ${CHROMIUM} or load the page: ${e.message}`);
    results.push({ name: 'setup', ok: false });
    session.ok = false;
  }
  return session;
}

// After the tests: a full-page screenshot (when setup went well), the page console when anything
// failed, everything closed, the summary line "name: N passed, M failed", and the exit status.
export async function finish(session, name, screenshot) {
  const { browser, page, proxy, pageServer, consoleLines } = session;
  if (session.ok) {
    try {
      await page.screenshot({ path: screenshot, fullPage: true });
      console.log(`screenshot: ${screenshot}`);
    } catch (e) {
      console.log(`(no screenshot: ${e.message})`);
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  if (failed && consoleLines.length) console.log('page console:\n' + consoleLines.map((l) => '  ' + l).join('\n'));
  if (browser) await browser.close().catch(() => {});
  proxy.cut();
  proxy.server.close();
  pageServer.close();
  console.log(`${name}: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
