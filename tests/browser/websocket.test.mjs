// herald in a real Chromium: the page's native WebSocket against a running `herald serve`.
// Started by run.sh, which passes the listener ports in HERALD_PUBLIC_PORT / HERALD_INTERNAL_PORT
// and the limits it started herald with (HERALD_WS_MAX_MESSAGE_BYTES, HERALD_WS_PING_INTERVAL).
// Same layout as eventsource.test.mjs, on the same harness.mjs: the page is served from its own
// origin, so every socket is cross-origin; some sockets go through a TCP proxy in this process that
// the test can cut (a network blip) and that counts the WebSocket frames going each way (to see
// server pings and browser pongs). Channel names are this file's own, and assertions are relative
// to the offsets herald reports, so the file also passes against a herald that other test files
// have already used.
import assert from 'node:assert/strict';
import {
  PUBLIC_PORT, WAIT_MS, requireEnv, header, publishJson, publishText, test, startSession, finish,
} from './harness.mjs';

requireEnv('websocket.test.mjs',
           ['HERALD_PUBLIC_PORT', 'HERALD_INTERNAL_PORT', 'HERALD_WS_MAX_MESSAGE_BYTES', 'HERALD_WS_PING_INTERVAL']);
const MAX_MESSAGE_BYTES = Number(process.env.HERALD_WS_MAX_MESSAGE_BYTES);
const PING_INTERVAL_MS = Number(process.env.HERALD_WS_PING_INTERVAL);
const SCREENSHOT = process.env.HERALD_SCREENSHOT_WS || '/tmp/herald-browser-websocket.png';
const HERALD_HTTP = `http://127.0.0.1:${PUBLIC_PORT}`;
const HERALD_WS = `ws://127.0.0.1:${PUBLIC_PORT}`;

// ---------------------------------------------------------------- the page

const PAGE = String.raw`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>herald WebSocket test</title>
<link rel="icon" href="data:,">
<style>
  body { font: 13px/1.4 system-ui, sans-serif; margin: 12px; background: #f6f7f9; }
  h1 { font-size: 16px; margin: 0 0 8px; }
  #sockets { display: grid; grid-template-columns: repeat(4, 1fr); gap: 8px; }
  section { background: #fff; border: 1px solid #ccd; border-radius: 4px; padding: 6px 8px; min-width: 0; }
  h2 { font-size: 13px; margin: 0; }
  .url { color: #555; font: 11px monospace; word-break: break-all; }
  .state { font-size: 11px; margin: 2px 0 4px; }
  .state.open { color: #080; } .state.connecting { color: #b60; } .state.closed, .state.closing { color: #888; }
  ol { margin: 0; padding-left: 22px; }
  li { font: 11px/1.35 monospace; border-top: 1px dotted #dde; padding: 1px 0; word-break: break-all; }
  .op { font-weight: bold; color: #036; } .err { color: #b00; } .out { color: #777; }
  .data { white-space: pre-wrap; background: #eef3ff; }
</style></head>
<body>
<h1>herald &middot; native WebSocket in Chromium &middot; page origin <span id="origin"></span></h1>
<div id="sockets"></div>
<script>
  document.getElementById('origin').textContent = location.origin;
  const STATES = ['connecting', 'open', 'closing', 'closed'];
  window.sockets = {};
  window.sources = {};

  function box(key, url) {
    const el = document.createElement('section');
    el.innerHTML = '<h2></h2><div class="url"></div><div class="state"></div><ol></ol>';
    el.querySelector('h2').textContent = key;
    el.querySelector('.url').textContent = url;
    document.getElementById('sockets').appendChild(el);
    return el;
  }
  function line(el, cls, label, text) {
    const li = document.createElement('li');
    const a = document.createElement('span');
    a.className = cls;
    a.textContent = label;
    const b = document.createElement('span');
    b.className = 'data';
    b.textContent = text.length > 240 ? text.slice(0, 120) + '... (' + text.length + ' chars)' : text;
    li.append(a, ' ', b);
    el.querySelector('ol').appendChild(li);
  }

  // One record per key; connect() (re)opens its WebSocket, keeping everything received so far.
  // msgs: every frame received, parsed, with the connection (1, 2, ...) it came on.
  // last: per channel, the position {epoch, offset} of the last event seen: what a page resumes from.
  window.connect = (key, url, sendOnOpen) => {
    let s = window.sockets[key];
    if (!s) {
      s = { msgs: [], opens: 0, closes: [], errors: 0, conns: 0, last: {}, el: box(key, url) };
      window.sockets[key] = s;
    }
    s.el.querySelector('.url').textContent = url;
    const conn = ++s.conns;
    const ws = new WebSocket(url);
    s.ws = ws;
    const showState = () => {
      const el = s.el.querySelector('.state');
      el.className = 'state ' + STATES[ws.readyState];
      el.textContent = STATES[ws.readyState] + ' \u00b7 conn ' + conn + ' \u00b7 opens ' + s.opens +
                       ' \u00b7 closes ' + s.closes.map((c) => c.code).join(',');
    };
    showState();
    ws.onopen = () => {
      s.opens++;
      showState();
      const cmds = typeof sendOnOpen === 'function' ? sendOnOpen(s) : (sendOnOpen || []);
      for (const c of cmds) window.send(key, c);
    };
    ws.onerror = () => { s.errors++; showState(); };
    ws.onclose = (e) => {
      s.closes.push({ conn, code: e.code, reason: e.reason, wasClean: e.wasClean });
      line(s.el, 'err', 'close', e.code + ' ' + e.reason + (e.wasClean ? ' (clean)' : ' (not clean)'));
      showState();
    };
    ws.onmessage = (e) => {
      let m;
      if (typeof e.data !== 'string') m = { binary: true };
      else { try { m = JSON.parse(e.data); } catch (err) { m = { unparsed: e.data }; } }
      s.msgs.push({ conn, m });
      if (m.op === 'event') s.last[m.channel] = { epoch: m.epoch, offset: m.offset };
      const label = m.op === 'event' ? m.channel + ' #' + m.offset + (m.event ? ' ' + m.event : '') : m.op;
      line(s.el, m.op === 'error' ? 'op err' : 'op', label, m.op === 'event' ? JSON.stringify(m.data) : e.data);
    };
    return conn;
  };
  // Reconnects and resumes: on open, subscribes from the last position the page saw on the channel.
  window.resume = (key, url, channel, id) =>
    window.connect(key, url, (s) => [{ op: 'subscribe', channel, since: s.last[channel], id }]);
  // A string is sent as is, {bytes: [...]} as a binary frame, anything else as JSON.
  window.send = (key, x) => {
    const s = window.sockets[key];
    let shown;
    if (typeof x === 'string') { s.ws.send(x); shown = x; }
    else if (x && x.bytes) { s.ws.send(new Uint8Array(x.bytes)); shown = 'binary [' + x.bytes.join(',') + ']'; }
    else { shown = JSON.stringify(x); s.ws.send(shown); }
    line(s.el, 'out', 'sent', shown);
  };
  window.closeSocket = (key, code, reason) => window.sockets[key].ws.close(code, reason);
  // Index of the first message at or after from whose fields equal every field of pattern, else -1.
  window.findMsg = (key, pattern, from) => {
    const msgs = window.sockets[key].msgs;
    for (let i = from; i < msgs.length; i++) {
      const m = msgs[i].m;
      if (Object.keys(pattern).every((k) => JSON.stringify(m[k]) === JSON.stringify(pattern[k]))) return i;
    }
    return -1;
  };
  window.snapshot = (key) => {
    const s = window.sockets[key];
    return { msgs: s.msgs, opens: s.opens, closes: s.closes, errors: s.errors, conns: s.conns, last: s.last,
             readyState: s.ws.readyState, extensions: s.ws.extensions, protocol: s.ws.protocol };
  };

  // An EventSource next to the sockets (both transports in one page).
  window.openSource = (key, url) => {
    const el = box(key, url);
    const s = { events: [], opens: 0, errors: 0 };
    window.sources[key] = s;
    const es = new EventSource(url);
    s.es = es;
    const st = el.querySelector('.state');
    st.textContent = 'EventSource';
    es.onopen = () => { s.opens++; st.className = 'state open'; st.textContent = 'EventSource open'; };
    es.onerror = () => { s.errors++; };
    es.onmessage = (e) => {
      s.events.push({ data: e.data, lastEventId: e.lastEventId });
      line(el, 'op', 'message', e.data);
    };
  };
  window.sourceSnapshot = (key) => {
    const s = window.sources[key];
    return { events: s.events, opens: s.opens, errors: s.errors, readyState: s.es.readyState };
  };
</script>
</body></html>`;

// ---------------------------------------------------------------- main

// The proxy's URL is ws://; it records the frames of each socket in proxy.conns.
const session = await startSession({
  html: PAGE, viewport: { width: 1400, height: 1000 }, herald: HERALD_WS,
  proxy: { scheme: 'ws', countWsFrames: true },
  extra: `ws-max-message-bytes ${MAX_MESSAGE_BYTES}, ws-ping-interval ${PING_INTERVAL_MS} ms`,
});
const { page, proxy, pageUrl: PAGE_URL } = session;

const connect = (key, url, send = []) => page.evaluate(([k, u, s]) => window.connect(k, u, s), [key, url, send]);
const send = (key, x) => page.evaluate(([k, v]) => window.send(k, v), [key, x]);
const snap = (key) => page.evaluate((k) => window.snapshot(k), key);
const events = (s, conn) => s.msgs.filter((x) => x.m.op === 'event' && (!conn || x.conn === conn)).map((x) => x.m);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(key, what, fn, arg, timeout = WAIT_MS) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 20 });
  } catch (e) {
    throw new Error(`socket '${key}': ${what} did not happen in ${timeout} ms: ${JSON.stringify(await snap(key))}`);
  }
  return snap(key);
}
// The first message at index >= from matching every field of pattern: returns {index, m}.
async function waitMsg(key, pattern, from = 0, timeout = WAIT_MS) {
  await waitFor(key, `a message like ${JSON.stringify(pattern)} (from #${from})`,
                ([k, p, f]) => window.findMsg(k, p, f) >= 0, [key, pattern, from], timeout);
  const index = await page.evaluate(([k, p, f]) => window.findMsg(k, p, f), [key, pattern, from]);
  return { index, m: (await snap(key)).msgs[index].m };
}
const waitEvents = (key, count, timeout = WAIT_MS) =>
  waitFor(key, `${count} event(s)`,
          ([k, n]) => window.sockets[k].msgs.filter((x) => x.m.op === 'event').length >= n, [key, count], timeout);
const waitOpen = (key, opens = 1) =>
  waitFor(key, `open #${opens}`, ([k, n]) => window.sockets[k].opens >= n, [key, opens]);
const waitClose = (key, closes = 1) =>
  waitFor(key, `close #${closes}`, ([k, n]) => window.sockets[k].closes.length >= n, [key, closes]);

if (session.ok) {
  await test('cross-origin WebSocket with ?channel= gets subscribed, then JSON, text and named events in order', async () => {
    const origin = await page.evaluate(() => location.origin);
    assert.notEqual(origin, HERALD_HTTP, 'the page must be on another origin than herald');
    await connect('news', `${HERALD_WS}/v1/ws?channel=news`);
    const { m: sub } = await waitMsg('news', { op: 'subscribed' });
    assert.equal(sub.channel, 'news');
    assert.equal(sub.recovered, false);
    assert.ok(!('id' in sub), 'no id on a subscription from the query');
    assert.equal(typeof sub.epoch, 'string');
    assert.ok(Number.isInteger(sub.offset) && sub.offset >= 0, `subscribed offset: ${sub.offset}`);

    const r1 = await publishJson({ channel: 'news', data: { n: 1, title: 'héllo wörld ✓' } });
    const r2 = await publishText('news', 'plain text');
    const r3 = await publishJson({ channel: 'news', event: 'price', data: { sym: 'ACME', p: 42.5 } });
    const s = await waitEvents('news', 3);
    const ev = events(s);
    assert.deepEqual(ev.map((e) => [e.channel, e.offset, e.epoch, e.event, e.data]), [
      ['news', sub.offset + 1, sub.epoch, undefined, { n: 1, title: 'héllo wörld ✓' }],
      ['news', sub.offset + 2, sub.epoch, undefined, 'plain text'],
      ['news', sub.offset + 3, sub.epoch, 'price', { sym: 'ACME', p: 42.5 }],
    ]);
    assert.deepEqual(ev.map((e) => e.offset), [r1.offset, r2.offset, r3.offset], 'the offsets publish replied');
    assert.deepEqual([r1.epoch, r2.epoch, r3.epoch], [sub.epoch, sub.epoch, sub.epoch]);
    assert.ok(!('event' in ev[0]) && !('event' in ev[1]), 'no event key on unnamed events');
    for (const e of ev) {
      assert.ok(Number.isFinite(e.published_at) && e.published_at > 0, `published_at: ${e.published_at}`);
      assert.deepEqual(Object.keys(e).filter((k) => !['op', 'channel', 'offset', 'epoch', 'event', 'data', 'published_at'].includes(k)), []);
    }
    assert.equal(s.msgs.length, 4, 'nothing but subscribed and the three events');
    assert.equal(s.readyState, 1, 'still open');
    assert.deepEqual([s.errors, s.closes.length], [0, 0]);
    assert.equal(s.extensions, '', 'no extension negotiated (herald declines permessage-deflate)');
    assert.equal(s.protocol, '');
  });

  await test('commands on a bare /v1/ws: subscribe with id, events, ping/pong, unsubscribe stops delivery, errors keep it open', async () => {
    await connect('cmd', `${HERALD_WS}/v1/ws`, [{ op: 'subscribe', channel: 'prices', id: 1 }]);
    const { m: sub } = await waitMsg('cmd', { op: 'subscribed', id: 1 });
    assert.equal(sub.channel, 'prices');
    assert.equal(sub.recovered, false);
    await send('cmd', { op: 'subscribe', channel: 'prices.marker', id: 'm' });
    const { m: subMarker } = await waitMsg('cmd', { op: 'subscribed', id: 'm' });
    assert.equal(subMarker.channel, 'prices.marker');

    const p1 = await publishJson({ channel: 'prices', event: 'price', data: { sym: 'ACME', p: 1 } });
    const p2 = await publishText('prices', 'tick 2');
    assert.equal(p1.delivered_local, 1, 'one subscriber connection: the page');
    let s = await waitEvents('cmd', 2);
    assert.deepEqual(events(s).map((e) => [e.channel, e.offset, e.event, e.data]), [
      ['prices', sub.offset + 1, 'price', { sym: 'ACME', p: 1 }],
      ['prices', sub.offset + 2, undefined, 'tick 2'],
    ]);
    assert.equal(p2.offset, sub.offset + 2);

    const before = s.msgs.length;
    await send('cmd', { op: 'ping', id: 'p' });
    const pong = await waitMsg('cmd', { op: 'pong' }, before);
    assert.deepEqual(pong.m, { op: 'pong', id: 'p' });
    await send('cmd', { op: 'ping', id: 42 });
    const pong2 = await waitMsg('cmd', { op: 'pong' }, pong.index + 1);
    assert.deepEqual(pong2.m, { op: 'pong', id: 42 }, 'a number id is echoed as a number');

    await send('cmd', { op: 'unsubscribe', channel: 'prices', id: 2 });
    const unsub = await waitMsg('cmd', { op: 'unsubscribed' }, pong2.index + 1);
    assert.deepEqual(unsub.m, { op: 'unsubscribed', id: 2, channel: 'prices' });
    const gone = await publishText('prices', 'after unsubscribe');
    assert.equal(gone.delivered_local, 0, 'herald queued it to no connection');
    await publishText('prices.marker', 'marker');
    await waitMsg('cmd', { op: 'event', channel: 'prices.marker', data: 'marker' }, unsub.index + 1);
    await sleep(300);  // a late 'prices' event would show up here
    s = await snap('cmd');
    assert.deepEqual(events(s).filter((e) => e.channel === 'prices').map((e) => e.data), [{ sym: 'ACME', p: 1 }, 'tick 2'],
                     'nothing on prices after unsubscribed');

    // Bad commands: each gets an error (with its id when it has one) and the socket stays open.
    const from = s.msgs.length;
    await send('cmd', 'this is not json');
    await send('cmd', { op: 'nope', id: 9 });
    await send('cmd', { op: 'subscribe', channel: 'bad channel!', id: 10 });
    await send('cmd', { op: 'subscribe', channel: 'prices.marker', id: 11 });
    await send('cmd', { op: 'unsubscribe', channel: 'prices', id: 12 });
    await send('cmd', { op: 'subscribe', id: 13 });
    // herald takes a number or a string as id (docs/api.md says "any JSON value"); another is refused
    // without an id to echo.
    await send('cmd', { op: 'ping', id: { not: 'scalar' } });
    await send('cmd', { op: 'ping', id: 'still-open' });
    await waitMsg('cmd', { op: 'pong', id: 'still-open' }, from);
    s = await snap('cmd');
    const replies = s.msgs.slice(from).map((x) => x.m);
    assert.deepEqual(replies.map((m) => [m.op, m.id, m.code]), [
      ['error', undefined, 'invalid_json'],
      ['error', 9, 'unknown_op'],
      ['error', 10, 'invalid_channel'],
      ['error', 11, 'already_subscribed'],
      ['error', 12, 'not_subscribed'],
      ['error', 13, 'invalid_command'],
      ['error', undefined, 'invalid_command'],
      ['pong', 'still-open', undefined],
    ], `replies: ${JSON.stringify(replies)}`);
    for (const m of replies.slice(0, 7)) {
      assert.ok(typeof m.message === 'string' && m.message.length > 0, `error has a message: ${JSON.stringify(m)}`);
    }
    assert.match(replies[2].message, /bad channel!/, 'the message names the bad channel');
    assert.equal(s.readyState, 1, 'still open after the errors');
    assert.deepEqual(s.closes, []);
    await publishText('prices.marker', 'still live');
    await waitMsg('cmd', { op: 'event', channel: 'prices.marker', data: 'still live' }, from);
  });

  await test('reconnect after a cut with subscribe since {epoch, offset}: exactly the missed events, then live, no duplicates', async () => {
    const ch = 'ws.resume';
    proxy.requests.length = 0;
    proxy.conns.length = 0;
    await connect('resume', `${proxy.url}/v1/ws`, [{ op: 'subscribe', channel: ch, id: 1 }]);
    const { m: sub } = await waitMsg('resume', { op: 'subscribed', id: 1 });
    const b1 = await publishText(ch, 'before-1');
    const b2 = await publishJson({ channel: ch, event: 'tick', data: { n: 2 } });
    let s = await waitEvents('resume', 2);
    assert.deepEqual(s.last[ch], { epoch: b2.epoch, offset: b2.offset }, 'the page tracks the last position');
    assert.equal(b1.offset, sub.offset + 1);

    assert.ok(proxy.cut() > 0, 'the proxy had the socket open');
    s = await waitClose('resume', 1);
    assert.equal(s.closes[0].code, 1006, `a cut connection closes with 1006: ${JSON.stringify(s.closes[0])}`);
    assert.equal(s.closes[0].wasClean, false);

    // Missed while the page is disconnected.
    const m1 = await publishText(ch, 'missed-1');
    const m2 = await publishJson({ channel: ch, event: 'tick', data: { n: 4 } });
    await page.evaluate(([k, u, c]) => window.resume(k, u, c, 'r'), ['resume', `${proxy.url}/v1/ws`, ch]);
    // Published while the page reconnects and resubscribes: replay or live, it must appear exactly once.
    const l1 = await publishText(ch, 'live-1');
    const { index: resub, m: resumed } = await waitMsg('resume', { op: 'subscribed', id: 'r' });
    assert.equal(resumed.channel, ch);
    assert.equal(resumed.recovered, true, `resumed: ${JSON.stringify(resumed)}`);
    assert.equal(resumed.epoch, b2.epoch);
    const l2 = await publishText(ch, 'live-2');
    s = await waitEvents('resume', 6);
    await sleep(200);  // a duplicate arriving late would show up here
    s = await snap('resume');
    const ev = events(s);
    assert.deepEqual(ev.map((e) => [e.offset, e.event, e.data]), [
      [b1.offset, undefined, 'before-1'],
      [b2.offset, 'tick', { n: 2 }],
      [m1.offset, undefined, 'missed-1'],
      [m2.offset, 'tick', { n: 4 }],
      [l1.offset, undefined, 'live-1'],
      [l2.offset, undefined, 'live-2'],
    ]);
    assert.deepEqual(ev.map((e) => e.offset - b1.offset), [0, 1, 2, 3, 4, 5], 'consecutive offsets, no gap');
    assert.deepEqual(events(s, 2).map((e) => e.data), ['missed-1', { n: 4 }, 'live-1', 'live-2'],
                     'the second connection starts at the first missed event');
    const firstOnConn2 = s.msgs.findIndex((x) => x.conn === 2);
    assert.equal(firstOnConn2, resub, 'subscribed comes before the replay on the new connection');
    assert.equal(s.readyState, 1);
    assert.equal(proxy.conns.length, 2, 'exactly one reconnect through the proxy');
    for (const c of proxy.conns) {
      assert.match(c.head, /^GET \/v1\/ws HTTP\/1\.1\r\n/);
      assert.equal(header(c.head, 'Origin'), new URL(PAGE_URL).origin, 'the browser sends the page origin');
    }
    // docs/api.md: "The offset in subscribed is the position the subscription starts from: the next
    // event has offset + 1." After since {offset: N} the next event is N + 1, so offset must be N.
    assert.equal(resumed.offset, b2.offset,
                 `subscribed after since {offset: ${b2.offset}} says offset ${resumed.offset}, but the next event ` +
                 `it delivered has offset ${events(s, 2)[0].offset}: ${JSON.stringify(resumed)}`);
  });

  await test('EventSource and WebSocket in the same page on one channel both receive the same event', async () => {
    const ch = 'both.transports';
    await page.evaluate(([k, u]) => window.openSource(k, u), ['both-sse', `${HERALD_HTTP}/v1/sse?channel=${ch}&envelope=json`]);
    await connect('both-ws', `${HERALD_WS}/v1/ws?channel=${ch}`);
    await page.waitForFunction(() => window.sources['both-sse'].opens >= 1, null, { timeout: WAIT_MS });
    await waitMsg('both-ws', { op: 'subscribed', channel: ch });
    const r1 = await publishJson({ channel: ch, data: { both: true, n: 1 } });
    const r2 = await publishText(ch, 'text for both');
    assert.equal(r1.delivered_local, 2, 'herald queued it to both connections');
    const ws = events(await waitEvents('both-ws', 2));
    await page.waitForFunction(() => window.sources['both-sse'].events.length >= 2, null, { timeout: WAIT_MS });
    const sse = (await page.evaluate(() => window.sourceSnapshot('both-sse'))).events.map((e) => JSON.parse(e.data));
    const view = (e) => [e.channel, e.offset, e.epoch, e.data, e.published_at];
    assert.deepEqual(ws.map(view), sse.map(view), 'the same events over both transports');
    assert.deepEqual(ws.map((e) => [e.offset, e.data]), [[r1.offset, { both: true, n: 1 }], [r2.offset, 'text for both']]);
  });

  await test('close codes reach the page: binary frame 1003, message over the limit 1009, the client\'s own code echoed', async () => {
    await connect('binary', `${HERALD_WS}/v1/ws?channel=close.codes`);
    await waitMsg('binary', { op: 'subscribed' });
    await send('binary', { bytes: [1, 2] });
    let s = await waitClose('binary');
    assert.deepEqual([s.closes[0].code, s.closes[0].reason], [1003, 'binary frames are not supported'],
                     `close: ${JSON.stringify(s.closes[0])}`);
    assert.equal(s.closes[0].wasClean, true, `a clean close handshake: ${JSON.stringify(s.closes[0])}`);

    // A command of exactly the limit is fine; one byte more closes with 1009.
    await connect('big', `${HERALD_WS}/v1/ws`);
    await waitOpen('big');
    const exact = (n) => {
      const base = JSON.stringify({ op: 'ping', id: '' });
      return JSON.stringify({ op: 'ping', id: 'x'.repeat(n - base.length) });
    };
    assert.equal(exact(MAX_MESSAGE_BYTES).length, MAX_MESSAGE_BYTES);
    await send('big', exact(MAX_MESSAGE_BYTES));
    const { m: bigPong } = await waitMsg('big', { op: 'pong' });
    assert.equal(bigPong.id.length, MAX_MESSAGE_BYTES - JSON.stringify({ op: 'ping', id: '' }).length);
    await send('big', exact(MAX_MESSAGE_BYTES + 1));
    s = await waitClose('big');
    assert.equal(s.closes[0].code, 1009, `close: ${JSON.stringify(s.closes[0])}`);
    assert.match(s.closes[0].reason, new RegExp(String(MAX_MESSAGE_BYTES)), 'the reason names the limit');
    assert.equal(s.closes[0].wasClean, true, `a clean close handshake: ${JSON.stringify(s.closes[0])}`);

    await connect('client-close', `${HERALD_WS}/v1/ws?channel=close.codes`);
    await waitMsg('client-close', { op: 'subscribed' });
    await page.evaluate(() => window.closeSocket('client-close', 4321, 'page is leaving'));
    s = await waitClose('client-close');
    assert.equal(s.closes[0].code, 4321, `close: ${JSON.stringify(s.closes[0])}`);
    assert.equal(s.closes[0].wasClean, true);
  });

  await test('an idle page socket outlives server pings: Chromium answers each, herald keeps it open', async () => {
    proxy.conns.length = 0;
    await connect('idle', `${proxy.url}/v1/ws?channel=idle`);
    await waitMsg('idle', { op: 'subscribed' });
    const conn = proxy.conns[0];
    assert.ok(conn, 'the socket went through the proxy');
    // Three pings span more than two ping intervals: herald's idle timeout (4003) would have fired
    // if the browser's pongs did not count as the client being alive.
    const t0 = Date.now();
    while (!((conn.toClient.counts[9] || 0) >= 3 && (conn.toServer.counts[10] || 0) >= 3)) {
      if (Date.now() - t0 > 6 * PING_INTERVAL_MS + WAIT_MS) {
        throw new Error(`pings/pongs through the proxy: ${JSON.stringify({ toClient: conn.toClient.counts, toServer: conn.toServer.counts })}`);
      }
      await sleep(50);
    }
    let s = await snap('idle');
    assert.equal(s.readyState, 1, `still open after ${Date.now() - t0} ms: ${JSON.stringify(s.closes)}`);
    assert.deepEqual(s.closes, []);
    await publishText('idle', 'still here');
    s = await waitEvents('idle', 1);
    assert.equal(events(s)[0].data, 'still here');
    console.log(`       (${conn.toClient.counts[9]} pings, ${conn.toServer.counts[10]} pongs in ${Date.now() - t0} ms)`);
  });
}

await finish(session, 'browser.websocket', SCREENSHOT);
