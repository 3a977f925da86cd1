// herald in a real Chromium with subscriber auth (JWT): the page's native EventSource and WebSocket
// with tokens in ?token= and in a cookie, per-user channels, tampered tokens, expiry (a notice,
// then the end of the stream or close 4002) and its WebSocket cure, refresh; and origins: the cookie
// works for the listed page origin only (another origin the browser sends it from gets SSE 403 and
// WebSocket close 4103 origin_not_allowed), and a page's fetch() cannot use the internal listener.
// Started by run.sh, which gives this file a herald of its own with the arguments of the line below
// ($HERALD_JWT_SECRET becomes a secret made for the run, $HERALD_PAGE_ORIGIN the origin the page is
// served from, on the port run.sh picked) and passes HERALD_JWT_SECRET and HERALD_BINARY:
// the test signs its tokens with `herald token create --secret`. The notice time and the cookie name
// are read from that line too, so the test and its herald cannot disagree.
// herald-args: --jwt-secret $HERALD_JWT_SECRET --public-channels news --auth-expiring-notice 2000 --token-cookie herald_token --allowed-origin $HERALD_PAGE_ORIGIN
// Same layout as the other *.test.mjs on harness.mjs: the page is on its own origin (another loopback
// port), so every stream is cross-origin; some go through the harness proxy, which records the
// request heads (to see the browser's Cookie and Last-Event-ID headers).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  PUBLIC_PORT, INTERNAL_PORT, PAGE_PORT, WAIT_MS, requireEnv, header, publishJson, getInternal, authRefusals,
  startPageServer, test, startSession, finish,
} from './harness.mjs';

requireEnv('auth.test.mjs', ['HERALD_PUBLIC_PORT', 'HERALD_INTERNAL_PORT', 'HERALD_PAGE_PORT']);
const SECRET = process.env.HERALD_JWT_SECRET || '';
const BINARY = process.env.HERALD_BINARY || '';
if (!SECRET || !BINARY) {
  console.error('auth.test.mjs: set HERALD_JWT_SECRET and HERALD_BINARY (run it through run.sh)');
  process.exit(2);
}
const SCREENSHOT = process.env.HERALD_SCREENSHOT_AUTH || '/tmp/herald-browser-auth.png';
const HERALD = `http://127.0.0.1:${PUBLIC_PORT}`;
const HERALD_WS = `ws://127.0.0.1:${PUBLIC_PORT}`;
const RECONNECT_MS = 15_000;  // herald's retry is 2 s; generous for a loaded CI machine
const SWEEP_MS = 1_000;       // herald checks expiry on a sweep of at most this period

// This file's herald-args line, as run.sh reads it.
const HERALD_ARGS = (readFileSync(new URL(import.meta.url), 'utf8').match(/^\s*\/\/\s*herald-args:(.*)$/m) || ['', ''])[1]
  .trim().split(/\s+/);
const argValue = (name) => {
  const i = HERALD_ARGS.indexOf(name);
  assert.ok(i >= 0 && i + 1 < HERALD_ARGS.length, `the herald-args line has ${name} VALUE`);
  return HERALD_ARGS[i + 1];
};
const NOTICE_MS = Number(argValue('--auth-expiring-notice'));
const COOKIE = argValue('--token-cookie');

// A token signed like the app would: `herald token create ... --json`; returns {token, exp} (exp in s).
function mint({ sub, channels = [], ttl = '1h' }) {
  const args = ['token', 'create', '--secret', SECRET, '--ttl', ttl, '--json'];
  if (sub) args.push('--sub', sub);
  for (const c of channels) args.push('--channel', c);
  const env = { ...process.env };
  delete env.HERALD_JWT_PRIVATE_KEY;  // --secret it is
  const out = execFileSync(BINARY, args, { encoding: 'utf8', env, timeout: WAIT_MS });
  const j = JSON.parse(out);
  assert.equal(typeof j.token, 'string', `herald token create printed ${out}`);
  return { token: j.token, exp: j.expires_at };
}

// ---------------------------------------------------------------- the page

const PAGE = String.raw`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>herald auth test</title>
<link rel="icon" href="data:,">
<style>
  body { font: 13px/1.4 system-ui, sans-serif; margin: 12px; background: #f6f7f9; }
  h1 { font-size: 16px; margin: 0 0 8px; }
  #boxes { display: grid; grid-template-columns: repeat(4, 1fr); gap: 8px; }
  section { background: #fff; border: 1px solid #ccd; border-radius: 4px; padding: 6px 8px; min-width: 0; }
  h2 { font-size: 13px; margin: 0; }
  .url { color: #555; font: 11px monospace; word-break: break-all; max-height: 3.2em; overflow: hidden; }
  .state { font-size: 11px; margin: 2px 0 4px; }
  .state.open { color: #080; } .state.connecting { color: #b60; } .state.closed, .state.closing { color: #888; }
  ol { margin: 0; padding-left: 22px; }
  li { font: 11px/1.35 monospace; border-top: 1px dotted #dde; padding: 1px 0; word-break: break-all; }
  .type { font-weight: bold; color: #036; } .err { color: #b00; } .out { color: #777; }
  .data { white-space: pre-wrap; background: #eef3ff; }
  table { font: 11px monospace; border-collapse: collapse; margin-top: 8px; background: #fff; }
  td, th { border: 1px solid #dde; padding: 1px 6px; text-align: left; }
  .ok { color: #080; } .bad { color: #b00; font-weight: bold; }
</style></head>
<body>
<h1>herald &middot; subscriber auth in Chromium &middot; page origin <span id="origin"></span></h1>
<div id="boxes"></div>
<table id="probes"><thead><tr><th>tampered token</th><th>EventSource</th><th>WebSocket close</th></tr></thead><tbody></tbody></table>
<script>
  document.getElementById('origin').textContent = location.origin;
  const ES_STATES = ['connecting', 'open', 'closed'];
  const WS_STATES = ['connecting', 'open', 'closing', 'closed'];
  window.streams = {};
  window.sockets = {};

  function box(key, url) {
    const el = document.createElement('section');
    el.innerHTML = '<h2></h2><div class="url"></div><div class="state"></div><ol></ol>';
    el.querySelector('h2').textContent = key;
    el.querySelector('.url').textContent = url.replace(/token=[^&]*/, (t) => t.slice(0, 24) + '...');
    document.getElementById('boxes').appendChild(el);
    return el;
  }
  function line(el, cls, label, text) {
    const li = document.createElement('li');
    const a = document.createElement('span');
    a.className = cls;
    a.textContent = label;
    const b = document.createElement('span');
    b.className = 'data';
    b.textContent = text.length > 200 ? text.slice(0, 100) + '... (' + text.length + ' chars)' : text;
    li.append(a, ' ', b);
    el.querySelector('ol').appendChild(li);
  }

  // One EventSource; every event (message and the named ones) is kept in arrival order with the
  // page's clock (at), as are the open and error events (states).
  window.openStream = (key, url, names, withCredentials) => {
    const el = box(key, url);
    const s = { events: [], opens: 0, errors: 0, states: [] };
    const es = new EventSource(url, { withCredentials: !!withCredentials });
    s.es = es;
    window.streams[key] = s;
    const showState = () => {
      const st = el.querySelector('.state');
      st.className = 'state ' + ES_STATES[es.readyState];
      st.textContent = 'EventSource ' + ES_STATES[es.readyState] + ' \u00b7 opens ' + s.opens + ' \u00b7 errors ' + s.errors +
                       (withCredentials ? ' \u00b7 withCredentials' : '');
    };
    showState();
    es.addEventListener('open', () => { s.opens++; s.states.push('open'); showState(); });
    es.addEventListener('error', () => {
      s.errors++;
      s.states.push('error:' + ES_STATES[es.readyState]);
      showState();
      if (es.readyState === 2) line(el, 'err', 'error', 'closed by the browser');
    });
    for (const name of ['message', ...names]) {
      es.addEventListener(name, (e) => {
        s.events.push({ type: e.type, data: e.data, lastEventId: e.lastEventId, at: Date.now() });
        line(el, e.type.startsWith('herald.') ? 'type err' : 'type', e.type, e.data);
      });
    }
  };
  window.snapshot = (key) => {
    const s = window.streams[key];
    return { events: s.events, opens: s.opens, errors: s.errors, states: s.states, readyState: s.es.readyState };
  };

  // One WebSocket; msgs: every frame received, parsed, with the page's clock (at). With refreshWith,
  // the page answers auth_expiring at once with {op: 'refresh', id: 1, token: refreshWith}.
  window.connect = (key, url, refreshWith) => {
    const el = box(key, url);
    const s = { msgs: [], opens: 0, closes: [], errors: 0, sent: [] };
    const ws = new WebSocket(url);
    s.ws = ws;
    window.sockets[key] = s;
    const showState = () => {
      const st = el.querySelector('.state');
      st.className = 'state ' + WS_STATES[ws.readyState];
      st.textContent = 'WebSocket ' + WS_STATES[ws.readyState] + (refreshWith ? ' \u00b7 refreshes on auth_expiring' : '');
    };
    showState();
    ws.onopen = () => { s.opens++; showState(); };
    ws.onerror = () => { s.errors++; showState(); };
    ws.onclose = (e) => {
      s.closes.push({ code: e.code, reason: e.reason, wasClean: e.wasClean, at: Date.now() });
      line(el, 'err', 'close', e.code + ' ' + e.reason);
      showState();
    };
    ws.onmessage = (e) => {
      let m;
      try { m = JSON.parse(e.data); } catch (err) { m = { unparsed: String(e.data) }; }
      s.msgs.push({ m, at: Date.now() });
      line(el, m.op === 'error' || m.op === 'auth_expiring' ? 'type err' : 'type',
           m.op === 'event' ? m.channel + ' #' + m.offset : String(m.op), m.op === 'event' ? JSON.stringify(m.data) : e.data);
      if (m.op === 'auth_expiring' && refreshWith) {
        const cmd = JSON.stringify({ op: 'refresh', id: 1, token: refreshWith });
        ws.send(cmd);
        s.sent.push({ op: 'refresh', at: Date.now() });
        line(el, 'out', 'sent', '{"op":"refresh","id":1,"token":"..."}');
      }
    };
  };
  window.findMsg = (key, pattern) => window.sockets[key].msgs.findIndex(
    (x) => Object.keys(pattern).every((k) => JSON.stringify(x.m[k]) === JSON.stringify(pattern[k])));
  window.wsSnapshot = (key) => {
    const s = window.sockets[key];
    return { msgs: s.msgs, opens: s.opens, closes: s.closes, errors: s.errors, sent: s.sent, readyState: s.ws.readyState };
  };

  window.closeAll = () => {
    for (const s of Object.values(window.streams)) s.es.close();
    for (const s of Object.values(window.sockets)) if (s.ws.readyState < 2) s.ws.close(1000, 'test done');
  };

  // One fetch() as the page makes it: {ok: true, status, type, body} when it resolved (an opaque
  // no-cors answer has status 0 and no body), {ok: false, error} when the browser refused it.
  window.tryFetch = async (url, init) => {
    try {
      const r = await fetch(url, init);
      return { ok: true, status: r.status, type: r.type, body: r.type === 'opaque' ? null : await r.text() };
    } catch (e) {
      return { ok: false, error: String(e) };
    }
  };

  // Tries one token on both transports at once and settles when each has: the EventSource opened or
  // was closed by the browser (a 401/403 is fatal for EventSource), the WebSocket got its first
  // message or was closed. Whatever opened is closed again. Shown as a row of the probes table,
  // red where it went otherwise than expectOpen says.
  window.probeToken = (label, sseUrl, wsUrl, timeoutMs, expectOpen) => {
    const sse = new Promise((resolve) => {
      const es = new EventSource(sseUrl);
      const r = { opened: false, errors: 0, readyState: null };
      const done = () => { r.readyState = es.readyState; es.close(); resolve(r); };
      const timer = setTimeout(() => { r.timeout = true; done(); }, timeoutMs);
      es.onopen = () => { r.opened = true; clearTimeout(timer); done(); };
      es.onerror = () => { r.errors++; if (es.readyState === 2) { clearTimeout(timer); done(); } };
    });
    const ws = new Promise((resolve) => {
      const sock = new WebSocket(wsUrl);
      const r = { opened: false, first: null, code: null, reason: null };
      const timer = setTimeout(() => { r.timeout = true; sock.close(); resolve(r); }, timeoutMs);
      sock.onopen = () => { r.opened = true; };
      sock.onmessage = (e) => {
        if (r.first === null) r.first = e.data;
        clearTimeout(timer);
        sock.close(1000, 'probe done');
        resolve(r);
      };
      sock.onclose = (e) => { r.code = e.code; r.reason = e.reason; clearTimeout(timer); resolve(r); };
    });
    return Promise.all([sse, ws]).then(([s, w]) => {
      const tr = document.createElement('tr');
      const sseText = s.opened ? 'OPENED' : s.timeout ? 'timeout' : 'closed (' + s.errors + ' error)';
      const wsText = w.first !== null ? 'MESSAGE ' + w.first.slice(0, 60) : w.code + ' ' + w.reason;
      const sseGood = expectOpen ? s.opened : !s.opened && !s.timeout;
      const wsGood = expectOpen ? w.first !== null : w.code === 4100;
      for (const [text, good] of [[label, true], [sseText, sseGood], [wsText, wsGood]]) {
        const td = document.createElement('td');
        td.textContent = text;
        td.className = good ? 'ok' : 'bad';
        tr.appendChild(td);
      }
      document.querySelector('#probes tbody').appendChild(tr);
      return { sse: s, ws: w };
    });
  };
</script>
</body></html>`;

// ---------------------------------------------------------------- main

const session = await startSession({
  html: PAGE, viewport: { width: 1400, height: 1100 }, herald: HERALD,
  extra: `auth: notice ${NOTICE_MS} ms, cookie ${COOKIE}`,
});
const { page, proxy, pageUrl: PAGE_URL } = session;
const PAGE_ORIGIN = new URL(PAGE_URL).origin;

// Every response the page gets (EventSource's too), to see statuses and CORS headers.
const responses = [];
if (session.ok) {
  page.on('response', (r) => responses.push({ url: r.url(), status: r.status(), headers: r.headers() }));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// exp is whole seconds (iat rounded down, plus the ttl): minted just after a second starts, a
// short-lived token lives its full ttl, which leaves the page time to connect before the notice.
async function mintShortLived(opts) {
  await sleep(1000 - (Date.now() % 1000) + 20);
  return mint(opts);
}
const open = (key, url, names = [], withCredentials = false) =>
  page.evaluate(([k, u, n, c]) => window.openStream(k, u, n, c), [key, url, names, withCredentials]);
const snap = (key) => page.evaluate((k) => window.snapshot(k), key);
const connect = (key, url, refreshWith = null) =>
  page.evaluate(([k, u, r]) => window.connect(k, u, r), [key, url, refreshWith]);
const wsSnap = (key) => page.evaluate((k) => window.wsSnapshot(k), key);
const sendWs = (key, x) => page.evaluate(([k, v]) => window.sockets[k].ws.send(JSON.stringify(v)), [key, x]);
const brief = (events) => events.map((e) => {
  if (e.type !== 'message') return [e.type, JSON.parse(e.data)];
  const env = JSON.parse(e.data);  // envelope=json, or plain JSON data
  return 'channel' in env ? [env.channel, env.data] : ['message', env];
});

async function until(what, fn, arg, timeout, describe, p = page) {
  try {
    await p.waitForFunction(fn, arg, { timeout, polling: 20 });
  } catch (e) {
    throw new Error(`${what} did not happen in ${timeout} ms: ${JSON.stringify(await describe())}`);
  }
}
const waitOpen = (key, timeout = WAIT_MS) =>
  until(`stream '${key}' open`, (k) => window.streams[k].opens >= 1, key, timeout, () => snap(key));
const waitEvents = async (key, n, timeout = WAIT_MS) => {
  await until(`stream '${key}' with ${n} event(s)`, ([k, c]) => window.streams[k].events.length >= c, [key, n], timeout,
              () => snap(key));
  return snap(key);
};
// Closed by the browser for good (what a 401 or 403 does to an EventSource).
const waitRefused = async (key, timeout = WAIT_MS) => {
  await until(`stream '${key}' closed by the browser`, (k) => window.streams[k].es.readyState === 2, key, timeout,
              () => snap(key));
  return snap(key);
};
const waitMsg = async (key, pattern, timeout = WAIT_MS) => {
  await until(`socket '${key}': a message like ${JSON.stringify(pattern)}`, ([k, p]) => window.findMsg(k, p) >= 0,
              [key, pattern], timeout, () => wsSnap(key));
  const s = await wsSnap(key);
  return s.msgs[await page.evaluate(([k, p]) => window.findMsg(k, p), [key, pattern])];
};
const waitClose = async (key, timeout = WAIT_MS) => {
  await until(`socket '${key}' closed`, (k) => window.sockets[k].closes.length >= 1, key, timeout, () => wsSnap(key));
  return wsSnap(key);
};
const closeAll = () => page.evaluate(() => window.closeAll());

if (session.ok) {
  await test('per-user channels: 42 gets user:42 and news, 43 gets news and user:43 but nothing of 42\'s', async () => {
    const t42 = mint({ sub: '42', channels: ['stocks.*'] });
    const t43 = mint({ sub: '43' });
    await open('sse 42', `${HERALD}/v1/sse?channel=news&channel=stocks.acme&envelope=json&token=${t42.token}`);
    await open('sse 43', `${HERALD}/v1/sse?channel=news&envelope=json&token=${t43.token}`);
    await open('sse anonymous', `${HERALD}/v1/sse?channel=news&envelope=json`);
    await connect('ws 43', `${HERALD_WS}/v1/ws?token=${t43.token}`);
    for (const k of ['sse 42', 'sse 43', 'sse anonymous']) await waitOpen(k);
    const { m: auto43 } = await waitMsg('ws 43', { op: 'subscribed' });
    assert.equal(auto43.channel, 'user:43', `the socket is subscribed to its user's channel: ${JSON.stringify(auto43)}`);
    await sendWs('ws 43', { op: 'subscribe', channel: 'user:42', id: 'steal' });
    const { m: refusedSub } = await waitMsg('ws 43', { id: 'steal' });
    assert.deepEqual([refusedSub.op, refusedSub.code], ['error', 'forbidden'], JSON.stringify(refusedSub));

    // What the token does not grant is refused: the browser gets 401/403 and gives up.
    await open('sse 43 asks user:42', `${HERALD}/v1/sse?channel=user:42&token=${t43.token}`);
    await open('sse 43 asks stocks.acme', `${HERALD}/v1/sse?channel=stocks.acme&token=${t43.token}`);
    await open('sse anonymous asks user:42', `${HERALD}/v1/sse?channel=user:42`);
    for (const k of ['sse 43 asks user:42', 'sse 43 asks stocks.acme', 'sse anonymous asks user:42']) {
      const s = await waitRefused(k);
      assert.equal(s.opens, 0, `'${k}' never opened: ${JSON.stringify(s)}`);
      assert.deepEqual(s.events, []);
    }
    const status = (q) => responses.filter((r) => r.url === `${HERALD}/v1/sse?${q}`).map((r) => r.status);
    assert.deepEqual(status(`channel=user:42&token=${t43.token}`), [403], '43 asking for user:42');
    assert.deepEqual(status(`channel=stocks.acme&token=${t43.token}`), [403], '43 asking for stocks.acme');
    assert.deepEqual(status('channel=user:42'), [401], 'no token asking for user:42');

    const news = await publishJson({ channel: 'news', data: 'news for all' });
    assert.equal(news.delivered_local, 3, `news (public): both users' streams and the anonymous one: ${JSON.stringify(news)}`);
    const stocks = await publishJson({ channel: 'stocks.acme', data: { p: 1 } });
    assert.equal(stocks.delivered_local, 1, 'stocks.acme: only 42 (granted stocks.*)');
    for (let i = 1; i <= 3; i++) {
      const r = await publishJson({ channel: 'user:42', data: { secret: i } });
      assert.equal(r.delivered_local, 1, `user:42 #${i} goes to 42's stream only: ${JSON.stringify(r)}`);
    }
    const m43 = await publishJson({ channel: 'user:43', data: 'marker for 43' });
    assert.equal(m43.delivered_local, 2, '43\'s stream and socket');
    const m42 = await publishJson({ channel: 'user:42', data: 'marker for 42' });
    assert.equal(m42.delivered_local, 1);

    const s42 = await waitEvents('sse 42', 6);
    const s43 = await waitEvents('sse 43', 2);
    const anon = await waitEvents('sse anonymous', 1);
    await waitMsg('ws 43', { op: 'event', channel: 'user:43' });
    await sleep(300);  // anything 43 should not get would show up by now
    assert.deepEqual(brief((await snap('sse 42')).events), [
      ['news', 'news for all'], ['stocks.acme', { p: 1 }],
      ['user:42', { secret: 1 }], ['user:42', { secret: 2 }], ['user:42', { secret: 3 }], ['user:42', 'marker for 42'],
    ]);
    assert.deepEqual(brief((await snap('sse 43')).events), [['news', 'news for all'], ['user:43', 'marker for 43']]);
    assert.deepEqual(brief((await snap('sse anonymous')).events), [['news', 'news for all']]);
    const ws43 = await wsSnap('ws 43');
    assert.deepEqual(ws43.msgs.filter((x) => x.m.op === 'event').map((x) => [x.m.channel, x.m.data]),
                     [['user:43', 'marker for 43']]);
    for (const s of [s42, s43, anon]) assert.equal(s.errors, 0, JSON.stringify(s));
    await closeAll();
  });

  await test('tampered tokens: EventSource never opens (401) and WebSocket closes 4100, at every sampled byte', async () => {
    const good = mint({ sub: '42' }).token;
    const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const dots = [good.indexOf('.'), good.lastIndexOf('.')];
    assert.ok(dots[0] > 0 && dots[1] > dots[0], `a JWS compact token: ${good}`);
    const part = (i) => (i < dots[0] ? 'header' : i < dots[1] ? 'payload' : 'signature');
    const flip = (i, mask) => good.slice(0, i) + A[A.indexOf(good[i]) ^ mask] + good.slice(i + 1);
    const positions = new Set([0, good.length - 1]);
    for (let i = 0; i < good.length; i += 7) positions.add(good[i] === '.' ? i + 1 : i);
    // Flipping the top bit of a character's 6 always changes the decoded bytes.
    const cases = [...positions].sort((a, b) => a - b).map((i) => ({ label: `${part(i)} @${i} ${good[i]}->${flip(i, 32)[i]}`, token: flip(i, 32) }));
    // The signature's last character carries 2 unused bits: a non-canonical spelling of the same
    // signature must be refused too (one token, one spelling).
    const last = good.length - 1;
    cases.push({ label: `signature @${last} ${good[last]}->${flip(last, 1)[last]} (unused bits only)`, token: flip(last, 1) });
    for (const c of cases) assert.notEqual(c.token, good);

    const probe = (c, expectOpen = false) => page.evaluate(([l, su, wu, t, e]) => window.probeToken(l, su, wu, t, e),
      [c.label, `${HERALD}/v1/sse?token=${c.token}`, `${HERALD_WS}/v1/ws?token=${c.token}`, WAIT_MS, expectOpen]);
    const results = await Promise.all(cases.map(probe));
    const wrong = [];
    cases.forEach((c, i) => {
      const { sse, ws } = results[i];
      const sseOk = !sse.opened && !sse.timeout && sse.readyState === 2 && sse.errors >= 1;
      const wsOk = ws.opened && ws.first === null && ws.code === 4100 && /token/.test(ws.reason);
      const st = responses.filter((r) => r.url === `${HERALD}/v1/sse?token=${c.token}`).map((r) => r.status);
      if (!sseOk || !wsOk || st.join() !== '401') wrong.push({ case: c.label, sse, ws, sseStatus: st });
    });
    assert.deepEqual(wrong, [], `of ${cases.length} tampered tokens, these were not refused as expected`);
    console.log(`       (${cases.length} tampered tokens over ${good.length} characters; e.g. ` +
                `"${results[0].ws.reason}", "${results[results.length - 1].ws.reason}")`);

    // The untampered token works on both.
    const ok = await probe({ label: 'untampered', token: good }, true);
    assert.equal(ok.sse.opened, true, `the untampered token opens the EventSource: ${JSON.stringify(ok)}`);
    assert.ok(ok.ws.first !== null, `the untampered token opens the WebSocket: ${JSON.stringify(ok)}`);
    const first = JSON.parse(ok.ws.first);
    assert.deepEqual([first.op, first.channel], ['subscribed', 'user:42']);
  });

  await test('SSE expiry: herald.auth_expiring, then herald.disconnect 4002 with the cursor; the browser\'s retry is refused', async () => {
    const t = await mintShortLived({ sub: '42', ttl: '4s' });
    const expMs = t.exp * 1000;
    proxy.requests.length = 0;
    await open('sse expiring', `${proxy.url}/v1/sse?token=${t.token}`, ['herald.auth_expiring', 'herald.disconnect']);
    await waitOpen('sse expiring');
    await publishJson({ channel: 'user:42', data: { before: 'expiry' } });
    await waitEvents('sse expiring', 1);
    const s = await waitEvents('sse expiring', 3, expMs - Date.now() + 2 * SWEEP_MS + WAIT_MS);
    assert.deepEqual(s.events.map((e) => e.type), ['message', 'herald.auth_expiring', 'herald.disconnect'],
                     JSON.stringify(s.events));
    const [ev, notice, bye] = s.events;
    const n = JSON.parse(notice.data);
    assert.equal(n.exp, t.exp, `notice: ${notice.data}`);
    assert.ok(n.expires_in_ms > 0 && n.expires_in_ms <= NOTICE_MS, `notice: ${notice.data}`);
    assert.ok(notice.at >= expMs - NOTICE_MS - 100 && notice.at < expMs,
              `the notice came ${expMs - notice.at} ms before exp (notice ${NOTICE_MS} ms)`);
    const d = JSON.parse(bye.data);
    assert.deepEqual([d.code, d.name, d.reconnect], [4002, 'token_expired', true], `disconnect: ${bye.data}`);
    assert.equal(typeof d.cursor, 'string');
    assert.equal(d.cursor, ev.lastEventId, 'the cursor is where the stream got to: the id of the last event');
    assert.equal(bye.lastEventId, ev.lastEventId);
    assert.ok(bye.at >= expMs - 50 && bye.at <= expMs + SWEEP_MS + 1500,
              `the stream ended ${bye.at - expMs} ms after exp`);

    // The stream ended: the browser retries by itself with the same (expired) URL and gets 401.
    const after = await waitRefused('sse expiring', RECONNECT_MS);
    assert.equal(after.opens, 1, `no second open: ${JSON.stringify(after.states)}`);
    assert.equal(after.events.length, 3);
    assert.equal(proxy.requests.length, 2, 'one retry');
    assert.equal(header(proxy.requests[1], 'Last-Event-ID'), d.cursor, 'the retry resumes from the cursor');
    const st = responses.filter((r) => r.url.startsWith(`${proxy.url}/v1/sse?token=`)).map((r) => r.status);
    assert.deepEqual(st, [200, 401]);
    console.log(`       (notice ${expMs - notice.at} ms before exp with expires_in_ms ${n.expires_in_ms}, ` +
                `end ${bye.at - expMs} ms after exp; states ${after.states.join(' ')})`);
    await closeAll();
  });

  await test('WebSocket expiry: auth_expiring then close 4002; a socket that refreshes stays open past exp and live', async () => {
    const t = await mintShortLived({ sub: '42', ttl: '4s' });
    const longer = mint({ sub: '42', ttl: '1h' });
    const expMs = t.exp * 1000;
    await connect('ws expiring', `${HERALD_WS}/v1/ws?token=${t.token}`);
    await connect('ws refreshing', `${HERALD_WS}/v1/ws?token=${t.token}`, longer.token);
    for (const k of ['ws expiring', 'ws refreshing']) {
      const { m } = await waitMsg(k, { op: 'subscribed' });
      assert.equal(m.channel, 'user:42');
    }

    const s = await waitClose('ws expiring', expMs - Date.now() + 2 * SWEEP_MS + WAIT_MS);
    const ops = s.msgs.map((x) => x.m.op);
    assert.deepEqual(ops, ['subscribed', 'auth_expiring'], JSON.stringify(s.msgs));
    const notice = s.msgs[1];
    assert.equal(notice.m.exp, t.exp, JSON.stringify(notice.m));
    assert.ok(notice.m.expires_in_ms > 0 && notice.m.expires_in_ms <= NOTICE_MS, JSON.stringify(notice.m));
    assert.ok(notice.at >= expMs - NOTICE_MS - 100 && notice.at < expMs, `notice ${expMs - notice.at} ms before exp`);
    const c = s.closes[0];
    assert.equal(c.code, 4002, `close: ${JSON.stringify(c)}`);
    assert.match(c.reason, /expired/);
    assert.equal(c.wasClean, true);
    assert.ok(c.at >= expMs - 50 && c.at <= expMs + SWEEP_MS + 1500, `closed ${c.at - expMs} ms after exp`);

    // The other socket answered the same notice with refresh: renewed, not closed.
    const { m: refreshed, at: refreshedAt } = await waitMsg('ws refreshing', { op: 'refreshed' });
    assert.deepEqual(refreshed, { op: 'refreshed', id: 1, exp: longer.exp });
    assert.ok(refreshedAt < expMs, 'renewed before the first token ran out');
    const wait = expMs + SWEEP_MS + 1000 - Date.now();  // past exp and past the sweep that closed the other one
    if (wait > 0) await sleep(wait);
    let r = await wsSnap('ws refreshing');
    assert.equal(r.readyState, 1, `still open ${Date.now() - expMs} ms after the first token's exp: ${JSON.stringify(r.closes)}`);
    assert.deepEqual(r.closes, []);
    assert.deepEqual(r.msgs.map((x) => x.m.op), ['subscribed', 'auth_expiring', 'refreshed']);
    await publishJson({ channel: 'user:42', data: 'after the first exp' });
    const { m: ev } = await waitMsg('ws refreshing', { op: 'event' });
    assert.deepEqual([ev.channel, ev.data], ['user:42', 'after the first exp']);
    r = await wsSnap('ws refreshing');
    assert.equal(r.readyState, 1);
    console.log(`       (notice ${expMs - notice.at} ms before exp, close ${c.at - expMs} ms after it; ` +
                `refreshed ${expMs - refreshedAt} ms before exp)`);
    await closeAll();
  });

  await test(`cookie auth: a cross-origin EventSource withCredentials sends the ${COOKIE} cookie and gets user:42 events`, async () => {
    const t = mint({ sub: '42' });
    await page.evaluate(([name, value]) => { document.cookie = `${name}=${value}; path=/; SameSite=Lax`; }, [COOKIE, t.token]);
    try {
      proxy.requests.length = 0;
      await open('sse cookie', `${proxy.url}/v1/sse?envelope=json`, [], true);
      await waitOpen('sse cookie');
      // Without withCredentials the browser leaves the cookie out of a cross-origin request: refused.
      await open('sse no credentials', `${proxy.url}/v1/sse?channel=user:42&envelope=json`);
      const refused = await waitRefused('sse no credentials');
      assert.equal(refused.opens, 0);

      const r = await publishJson({ channel: 'user:42', data: { via: 'cookie' } });
      assert.equal(r.delivered_local, 1, JSON.stringify(r));
      const s = await waitEvents('sse cookie', 1);
      assert.deepEqual(brief(s.events), [['user:42', { via: 'cookie' }]]);
      assert.equal(s.errors, 0);

      const withCookie = proxy.requests.find((h) => h.startsWith('GET /v1/sse?envelope=json '));
      assert.ok(withCookie, `requests: ${JSON.stringify(proxy.requests)}`);
      assert.ok(!/token=/.test(withCookie.split('\r\n')[0]), 'no token in the URL');
      assert.ok((header(withCookie, 'Cookie') || '').split(/;\s*/).includes(`${COOKIE}=${t.token}`),
                `the browser sent the cookie: ${withCookie}`);
      assert.equal(header(withCookie, 'Origin'), PAGE_ORIGIN, 'cross-origin: the page origin is not herald\'s');
      const without = proxy.requests.find((h) => h.startsWith('GET /v1/sse?channel=user:42'));
      assert.equal(header(without, 'Cookie'), null, 'no cookie without withCredentials');

      const res = responses.find((x) => x.url === `${proxy.url}/v1/sse?envelope=json`);
      assert.ok(res, 'Chromium reported the stream\'s response');
      assert.equal(res.status, 200);
      assert.equal(res.headers['access-control-allow-origin'], PAGE_ORIGIN, JSON.stringify(res.headers));
      assert.equal(res.headers['access-control-allow-credentials'], 'true', JSON.stringify(res.headers));
    } finally {
      await page.evaluate((name) => { document.cookie = `${name}=; path=/; max-age=0`; }, COOKIE);
      await closeAll();
    }
  });

  // ---------------------------------------------------------------- origins (docs/auth.md "Browsers and origins")

  await test('allowed origin: the listed page origin gets user:42 with the cookie over EventSource withCredentials and WebSocket', async () => {
    assert.equal(PAGE_ORIGIN, `http://127.0.0.1:${PAGE_PORT}`, 'the page is served on the port run.sh picked');
    assert.equal(argValue('--allowed-origin'), '$HERALD_PAGE_ORIGIN', 'herald lists this page\'s origin');
    const t = mint({ sub: '42' });
    await page.evaluate(([name, value]) => { document.cookie = `${name}=${value}; path=/; SameSite=Lax`; }, [COOKIE, t.token]);
    try {
      // No token anywhere but in the cookie: the streams get user:42 from it.
      await open('listed sse', `${HERALD}/v1/sse?envelope=json`, [], true);
      await connect('listed ws', `${HERALD_WS}/v1/ws`);
      await waitOpen('listed sse');
      const { m: sub } = await waitMsg('listed ws', { op: 'subscribed' });
      assert.equal(sub.channel, 'user:42', JSON.stringify(sub));
      const r = await publishJson({ channel: 'user:42', data: { to: 'listed origin' } });
      assert.equal(r.delivered_local, 2, `the page's EventSource and WebSocket: ${JSON.stringify(r)}`);
      const s = await waitEvents('listed sse', 1);
      assert.deepEqual(brief(s.events), [['user:42', { to: 'listed origin' }]]);
      assert.equal(s.errors, 0);
      const { m: ev } = await waitMsg('listed ws', { op: 'event' });
      assert.deepEqual([ev.channel, ev.data], ['user:42', { to: 'listed origin' }]);
      const w = await wsSnap('listed ws');
      assert.deepEqual(w.closes, []);
      const res = responses.find((x) => x.url === `${HERALD}/v1/sse?envelope=json`);
      assert.ok(res, 'Chromium reported the stream\'s response');
      assert.equal(res.status, 200);
      assert.equal(res.headers['access-control-allow-origin'], PAGE_ORIGIN, JSON.stringify(res.headers));
      assert.equal(res.headers['access-control-allow-credentials'], 'true', JSON.stringify(res.headers));
    } finally {
      await page.evaluate((name) => { document.cookie = `${name}=; path=/; max-age=0`; }, COOKIE);
      await closeAll();
    }
  });

  await test('unlisted origins that Chromium sends the cookie to get nothing of user:42: EventSource fails (403 origin_not_allowed), WebSocket closes 4103', async () => {
    // Two other origins of the same site, so the SameSite=Lax cookie goes along (a sibling app on
    // another port or host name: what an allow-list is for):
    //  - http://127.0.0.1:OTHER, a second page server: the very cookie the listed page set on
    //    127.0.0.1 (cookies ignore ports);
    //  - http://localhost:PAGE_PORT, the same page server under another host name, with herald
    //    reached as localhost too and a cookie set for localhost.
    // Both reach herald through the proxy, which shows the Cookie and Origin the browser sent.
    const t = mint({ sub: '42' });
    const context = page.context();
    const other = await startPageServer(PAGE, 0);
    const proxyPort = new URL(proxy.url).port;
    const attackers = [
      { origin: `http://127.0.0.1:${other.address().port}`, herald: proxy.url },
      { origin: `http://localhost:${PAGE_PORT}`, herald: `http://localhost:${proxyPort}` },
    ];
    await page.evaluate(([name, value]) => { document.cookie = `${name}=${value}; path=/; SameSite=Lax`; }, [COOKIE, t.token]);
    await context.addCookies([{ name: COOKIE, value: t.token, domain: 'localhost', path: '/', sameSite: 'Lax' }]);
    const pages = [];
    try {
      // The listed page keeps a stream open with the same cookie: the control.
      await open('control sse', `${HERALD}/v1/sse?envelope=json`, [], true);
      await waitOpen('control sse');
      const refusedBefore = await authRefusals('origin_not_allowed');
      proxy.requests.length = 0;
      for (const a of attackers) {
        const p = await context.newPage();
        pages.push(p);
        const pageResponses = [];
        p.on('response', (r) => pageResponses.push({ url: r.url(), status: r.status(), headers: r.headers() }));
        a.page = p;
        a.responses = pageResponses;
        await p.goto(`${a.origin}/`, { timeout: WAIT_MS });
        assert.equal(await p.evaluate(() => location.origin), a.origin);
        const ws = a.herald.replace(/^http/, 'ws');
        await p.evaluate(([u]) => window.openStream('steal sse', u, [], true), [`${a.herald}/v1/sse?envelope=json`]);
        await p.evaluate(([u]) => window.openStream('steal sse user:42', u, [], true),
                         [`${a.herald}/v1/sse?channel=user:42&envelope=json`]);
        await p.evaluate(([u]) => window.connect('steal ws', u), [`${ws}/v1/ws`]);
        await p.evaluate(([u]) => window.connect('steal ws user:42', u), [`${ws}/v1/ws?channel=user:42`]);
      }
      for (const a of attackers) {
        const p = a.page;
        for (const k of ['steal sse', 'steal sse user:42']) {
          await until(`${a.origin}: stream '${k}' closed by the browser`, (key) => window.streams[key].es.readyState === 2,
                      k, WAIT_MS, () => p.evaluate((key) => window.snapshot(key), k), p);
        }
        for (const k of ['steal ws', 'steal ws user:42']) {
          await until(`${a.origin}: socket '${k}' closed`, (key) => window.sockets[key].closes.length >= 1,
                      k, WAIT_MS, () => p.evaluate((key) => window.wsSnapshot(key), k), p);
        }
      }
      // Published now, user:42 reaches the listed page's stream and nothing else.
      const r = await publishJson({ channel: 'user:42', data: { to: 'the listed origin only' } });
      assert.equal(r.delivered_local, 1, `only the listed page's stream: ${JSON.stringify(r)}`);
      const c = await waitEvents('control sse', 1);
      assert.deepEqual(brief(c.events), [['user:42', { to: 'the listed origin only' }]]);
      await sleep(300);  // anything an unlisted page should not get would show up by now

      for (const a of attackers) {
        const p = a.page;
        for (const k of ['steal sse', 'steal sse user:42']) {
          const s = await p.evaluate((key) => window.snapshot(key), k);
          assert.equal(s.opens, 0, `${a.origin} '${k}' never opened: ${JSON.stringify(s)}`);
          assert.ok(s.errors >= 1, `${a.origin} '${k}' got an error: ${JSON.stringify(s)}`);
          assert.deepEqual(s.events, [], `${a.origin} '${k}' got no event`);
          const res = a.responses.find((x) => x.url.startsWith(`${a.herald}/v1/sse?`));
          if (res) {  // when Chromium reports the refused response at all, it is herald's 403 without CORS
            assert.equal(res.status, 403, JSON.stringify(res));
            assert.equal(res.headers['access-control-allow-origin'], undefined, JSON.stringify(res.headers));
            assert.equal(res.headers['access-control-allow-credentials'], undefined, JSON.stringify(res.headers));
          }
        }
        for (const k of ['steal ws', 'steal ws user:42']) {
          const w = await p.evaluate((key) => window.wsSnapshot(key), k);
          assert.equal(w.closes.length, 1, `${a.origin} '${k}': ${JSON.stringify(w)}`);
          assert.equal(w.closes[0].code, 4103, `${a.origin} '${k}' close: ${JSON.stringify(w.closes[0])}`);
          assert.match(w.closes[0].reason, /origin/, JSON.stringify(w.closes[0]));
          assert.deepEqual(w.msgs, [], `${a.origin} '${k}' got no message (no subscribed, no event)`);
        }
        // What the browser sent: the cookie, and the unlisted page's Origin; what herald answered:
        // 403 to the EventSource requests, 101 (then close 4103) to the WebSocket upgrades.
        const exchanges = proxy.exchanges.filter((x) => header(x.request, 'Origin') === a.origin);
        assert.equal(exchanges.length, 4, `${a.origin}: 2 EventSource and 2 WebSocket requests: ${JSON.stringify(proxy.requests)}`);
        for (const x of exchanges) {
          assert.ok((header(x.request, 'Cookie') || '').split(/;\s*/).includes(`${COOKIE}=${t.token}`),
                    `the browser sent the cookie from ${a.origin}: ${x.request}`);
          const isWs = /^Upgrade:[ \t]*websocket/im.test(x.request);
          assert.equal(x.status, isWs ? 101 : 403, `herald's answer to ${x.request.split('\r\n')[0]} from ${a.origin}`);
        }
      }
      // Each refused request counted once (a CORS failure is fatal to EventSource: no retries).
      const refusedAfter = await authRefusals('origin_not_allowed');
      assert.equal(refusedAfter - refusedBefore, 4 * attackers.length,
                   `herald_auth_refusals_total{reason="origin_not_allowed"} went ${refusedBefore} -> ${refusedAfter}`);
      const cs = await snap('control sse');
      assert.deepEqual([cs.readyState, cs.errors], [1, 0], `the listed page's stream is unaffected: ${JSON.stringify(cs)}`);
      console.log(`       (${attackers.map((a) => a.origin).join(', ')}: close reason ` +
                  `"${(await pages[0].evaluate(() => window.wsSnapshot('steal ws'))).closes[0].reason}"; ` +
                  `origin_not_allowed ${refusedBefore} -> ${refusedAfter})`);
    } finally {
      for (const p of pages) {
        await p.evaluate(() => window.closeAll()).catch(() => {});
        await p.close().catch(() => {});
      }
      other.close();
      await context.clearCookies();
      await closeAll();
    }
  });

  await test('the internal listener from a page: fetch() POST /v1/publish (text/plain) and GET /v1/channels fail and publish nothing', async () => {
    const INTERNAL = `http://127.0.0.1:${INTERNAL_PORT}`;
    const marker = await publishJson({ channel: 'user:42', data: 'before the page tries' });
    const channelState = async () => {
      const r = await getInternal('/v1/channels/user:42');
      assert.equal(r.status, 200, `GET /v1/channels/user:42 from node -> ${r.status}: ${r.body}`);
      return JSON.parse(r.body);
    };
    const before = await channelState();
    assert.equal(before.last_offset, marker.offset, JSON.stringify({ before, marker }));
    const refusedBefore = await authRefusals('cross_origin_refused');

    const forged = JSON.stringify({ channel: 'user:42', data: 'forged by a page' });
    const attempts = [
      // Simple requests (no preflight): the browser sends them as they are, with Origin.
      ['POST /v1/publish text/plain', `${INTERNAL}/v1/publish`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: forged }, true],
      ['POST /v1/publish text/plain, no-cors', `${INTERNAL}/v1/publish`, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body: forged }, true],
      ['POST /v1/publish text/plain, credentials', `${INTERNAL}/v1/publish`, { method: 'POST', credentials: 'include', headers: { 'Content-Type': 'text/plain' }, body: forged }, true],
      ['POST /v1/channels/user:42/events text/plain', `${INTERNAL}/v1/channels/user:42/events`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'forged by a page' }, true],
      ['GET /v1/channels', `${INTERNAL}/v1/channels`, {}, true],
      ['GET /v1/channels/user:42/events', `${INTERNAL}/v1/channels/user:42/events?since=earliest`, { credentials: 'include' }, true],
      // Preflighted (JSON body): refused at the OPTIONS already.
      ['POST /v1/publish application/json', `${INTERNAL}/v1/publish`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: forged }, false],
    ];
    const results = [];
    for (const [label, url, init] of attempts) results.push(await page.evaluate(([u, i]) => window.tryFetch(u, i), [url, init]));
    const wrong = [];
    attempts.forEach(([label, , init], i) => {
      const r = results[i];
      // cors mode: the browser refuses the answer (no Access-Control-Allow-Origin); no-cors: an
      // opaque answer, which the page cannot read.
      const good = init.mode === 'no-cors' ? r.ok && r.type === 'opaque' && r.status === 0 && r.body === null
                                           : !r.ok && /TypeError|Failed to fetch/.test(r.error);
      if (!good) wrong.push({ label, result: r });
    });
    assert.deepEqual(wrong, [], 'a page reads nothing from the internal listener');

    const after = await channelState();
    assert.equal(after.last_offset, before.last_offset, `user:42 did not move: ${JSON.stringify({ before, after })}`);
    assert.equal(after.publishes, before.publishes, JSON.stringify({ before, after }));
    const hist = JSON.parse((await getInternal('/v1/channels/user:42/events?since=earliest&limit=1000')).body);
    assert.ok(!hist.events.some((e) => /forged/.test(JSON.stringify(e.data))), `no forged event in history: ${JSON.stringify(hist)}`);
    const refusedAfter = await authRefusals('cross_origin_refused');
    const simple = attempts.filter((a) => a[3]).length;
    assert.ok(refusedAfter - refusedBefore >= simple,
              `each simple request reached herald and was refused: cross_origin_refused ${refusedBefore} -> ${refusedAfter}`);
    const seen = responses.filter((x) => x.url.startsWith(INTERNAL));
    for (const x of seen) {
      assert.equal(x.headers['access-control-allow-origin'], undefined, `no CORS from the internal listener: ${JSON.stringify(x)}`);
      if (x.status) assert.equal(x.status, 403, JSON.stringify(x));
    }
    console.log(`       (${attempts.length} fetches refused, e.g. "${results[0].error}"; last_offset stays ${after.last_offset}; ` +
                `cross_origin_refused ${refusedBefore} -> ${refusedAfter}; responses Chromium reported: ${seen.map((x) => x.status).join(' ') || 'none'})`);
  });
}

await finish(session, 'browser.auth', SCREENSHOT);
