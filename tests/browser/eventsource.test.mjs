// herald in a real Chromium: the page's native EventSource against a running `herald serve`.
// Started by run.sh, which passes the listener ports in HERALD_PUBLIC_PORT / HERALD_INTERNAL_PORT.
// The page is served from its own origin (another loopback port), so every stream is cross-origin
// as in real deployments. Some streams go through a TCP proxy in this process that the test can
// cut, to make the browser reconnect by itself (with Last-Event-ID) as it does on a flaky network.
// The page server, the proxy, publishing, Chromium and the runner are harness.mjs's.
import assert from 'node:assert/strict';
import {
  PUBLIC_PORT, WAIT_MS, requireEnv, header, publishJson, publishText, test, startSession, finish,
} from './harness.mjs';

requireEnv('eventsource.test.mjs', ['HERALD_PUBLIC_PORT', 'HERALD_INTERNAL_PORT']);
const SCREENSHOT = process.env.HERALD_SCREENSHOT || '/tmp/herald-browser.png';
const RECONNECT_MS = 15_000;  // herald's retry is 2 s; generous for a loaded CI machine
const HERALD = `http://127.0.0.1:${PUBLIC_PORT}`;

// ---------------------------------------------------------------- the page

const PAGE = String.raw`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>herald EventSource test</title>
<style>
  body { font: 13px/1.4 system-ui, sans-serif; margin: 12px; background: #f6f7f9; }
  h1 { font-size: 16px; margin: 0 0 8px; }
  #streams { display: grid; grid-template-columns: repeat(3, 1fr); gap: 8px; }
  section { background: #fff; border: 1px solid #ccd; border-radius: 4px; padding: 6px 8px; min-width: 0; }
  h2 { font-size: 13px; margin: 0; }
  .url { color: #555; font: 11px monospace; word-break: break-all; }
  .state { font-size: 11px; margin: 2px 0 4px; }
  .state.open { color: #080; } .state.connecting { color: #b60; } .state.closed { color: #888; }
  ol { margin: 0; padding-left: 22px; }
  li { font: 11px/1.35 monospace; border-top: 1px dotted #dde; padding: 1px 0; }
  .type { font-weight: bold; color: #036; } .reset { color: #b00; }
  .data { white-space: pre-wrap; background: #eef3ff; } .id { color: #777; }
</style></head>
<body>
<h1>herald &middot; native EventSource in Chromium &middot; page origin <span id="origin"></span></h1>
<div id="streams"></div>
<script>
  document.getElementById('origin').textContent = location.origin;
  const STATES = ['connecting', 'open', 'closed'];
  window.streams = {};
  // Opens one EventSource; every event (default and the named ones) is logged in arrival order.
  window.openStream = (key, url, names) => {
    const box = document.createElement('section');
    box.innerHTML = '<h2></h2><div class="url"></div><div class="state"></div><ol></ol>';
    box.querySelector('h2').textContent = key;
    box.querySelector('.url').textContent = url;
    document.getElementById('streams').appendChild(box);
    const s = { events: [], opens: 0, errors: 0, states: [] };
    const es = new EventSource(url);
    s.es = es;
    window.streams[key] = s;
    const showState = () => {
      const el = box.querySelector('.state');
      el.className = 'state ' + STATES[es.readyState];
      el.textContent = STATES[es.readyState] + ' \u00b7 opens ' + s.opens + ' \u00b7 errors ' + s.errors;
    };
    showState();
    es.addEventListener('open', () => { s.opens++; s.states.push('open'); showState(); });
    es.addEventListener('error', () => { s.errors++; s.states.push('error:' + STATES[es.readyState]); showState(); });
    for (const name of ['message', ...names]) {
      es.addEventListener(name, (e) => {
        s.events.push({ type: e.type, data: e.data, lastEventId: e.lastEventId, origin: e.origin });
        const li = document.createElement('li');
        const type = document.createElement('span');
        type.className = 'type' + (e.type.startsWith('herald.') ? ' reset' : '');
        type.textContent = e.type;
        const data = document.createElement('span');
        data.className = 'data';
        data.textContent = e.data;
        const id = document.createElement('span');
        id.className = 'id';
        id.textContent = ' id=' + e.lastEventId;
        li.append(type, ' ', data, id);
        box.querySelector('ol').appendChild(li);
      });
    }
  };
  window.snapshot = (key) => {
    const s = window.streams[key];
    return { events: s.events, opens: s.opens, errors: s.errors, states: s.states, readyState: s.es.readyState };
  };
</script>
</body></html>`;

// ---------------------------------------------------------------- main

const session = await startSession({ html: PAGE, viewport: { width: 1280, height: 900 }, herald: HERALD });
const { page, proxy } = session;

async function open(key, url, names = []) {
  await page.evaluate(([k, u, n]) => window.openStream(k, u, n), [key, url, names]);
}
async function waitOpen(key, opens = 1, timeout = WAIT_MS) {
  try {
    await page.waitForFunction(([k, n]) => window.streams[k].opens >= n, [key, opens], { timeout });
  } catch (e) {
    throw new Error(`stream '${key}' did not reach ${opens} open event(s) in ${timeout} ms: ` +
                    JSON.stringify(await snap(key)));
  }
}
async function waitEvents(key, count, timeout = WAIT_MS) {
  try {
    await page.waitForFunction(([k, n]) => window.streams[k].events.length >= n, [key, count], { timeout });
  } catch (e) {
    throw new Error(`stream '${key}' did not receive ${count} event(s) in ${timeout} ms: ` +
                    JSON.stringify(await snap(key)));
  }
  return snap(key);
}
const snap = (key) => page.evaluate((k) => window.snapshot(k), key);
const brief = (events) => events.map((e) => [e.type, e.data]);

let newsCursor = null;  // a real cursor from scenario 1, reused by scenario 6

if (session.ok) {
  await test('cross-origin EventSource receives JSON, text and named events in order, with ids', async () => {
    const origin = await page.evaluate(() => location.origin);
    assert.notEqual(origin, HERALD, 'the page must be on another origin than herald');
    await open('news', `${HERALD}/v1/sse?channel=news`, ['price']);
    await waitOpen('news');
    const r1 = await publishJson({ channel: 'news', data: { n: 1, title: 'héllo wörld ✓' } });
    const r2 = await publishText('news', 'plain text');
    const r3 = await publishJson({ channel: 'news', event: 'price', data: { sym: 'ACME', p: 42.5 } });
    assert.deepEqual([r2.offset - r1.offset, r3.offset - r2.offset], [1, 1], 'publish offsets are consecutive');
    const s = await waitEvents('news', 3);
    assert.deepEqual(brief(s.events), [
      ['message', '{"n":1,"title":"héllo wörld ✓"}'],
      ['message', 'plain text'],
      ['price', '{"sym":"ACME","p":42.5}'],
    ]);
    for (const e of s.events) {
      assert.ok(e.lastEventId.length > 0, 'lastEventId is set on every event');
      assert.equal(e.origin, HERALD, 'MessageEvent.origin is herald\'s origin');
    }
    assert.equal(new Set(s.events.map((e) => e.lastEventId)).size, 3, 'each event has its own id');
    assert.equal(s.readyState, 1, 'still open');
    assert.equal(s.errors, 0, 'no error events');
    newsCursor = s.events[2].lastEventId;
  });

  await test('multi-line data arrives intact', async () => {
    await open('lines', `${HERALD}/v1/sse?channel=lines`, []);
    await waitOpen('lines');
    await publishText('lines', 'a\nb');
    await publishText('lines', 'first\n\nthird line\n  indented');
    await publishJson({ channel: 'lines', data: 'json string\nwith a newline' });
    await publishJson({ channel: 'lines', data: { s: 'x\ny' } });
    const s = await waitEvents('lines', 4);
    assert.deepEqual(s.events.map((e) => e.data), [
      'a\nb',
      'first\n\nthird line\n  indented',
      'json string\nwith a newline',  // a JSON string is sent as its text
      '{"s":"x\\ny"}',
    ]);
    assert.equal(JSON.parse(s.events[3].data).s, 'x\ny');
  });

  await test('browser reconnects by itself with Last-Event-ID and gets exactly the missed events', async () => {
    proxy.requests.length = 0;
    await open('resume', `${proxy.url}/v1/sse?channel=resume`, ['tick']);
    await waitOpen('resume');
    await publishText('resume', 'before-1');
    await publishJson({ channel: 'resume', event: 'tick', data: { n: 2 } });
    const before = await waitEvents('resume', 2);
    const lastId = before.events[1].lastEventId;
    assert.equal(proxy.requests.length, 1);
    assert.equal(header(proxy.requests[0], 'Last-Event-ID'), null, 'the first request has no Last-Event-ID');

    const t0 = Date.now();
    assert.ok(proxy.cut() > 0, 'the proxy had the stream open');
    try {
      await page.waitForFunction(() => window.streams.resume.errors >= 1, null, { timeout: WAIT_MS });
    } catch (e) {
      throw new Error(`the page did not notice the dropped stream: ${JSON.stringify(await snap('resume'))}`);
    }
    // Missed while the page is disconnected (its reconnect waits for herald's retry: 2000 ms).
    await publishText('resume', 'missed-1');
    await publishJson({ channel: 'resume', event: 'tick', data: { n: 4 } });
    await waitOpen('resume', 2, RECONNECT_MS);
    const reconnectMs = Date.now() - t0;
    await publishText('resume', 'after-1');  // live again: anything duplicated would show up before it
    const s = await waitEvents('resume', 5);
    assert.deepEqual(brief(s.events), [
      ['message', 'before-1'],
      ['tick', '{"n":2}'],
      ['message', 'missed-1'],
      ['tick', '{"n":4}'],
      ['message', 'after-1'],
    ]);
    assert.equal(proxy.requests.length, 2, 'exactly one reconnect');
    assert.equal(header(proxy.requests[1], 'Last-Event-ID'), lastId,
                 'the browser resent the id of the last event it saw');
    assert.equal(new Set(s.events.map((e) => e.lastEventId)).size, 5, 'ids stay distinct across the reconnect');
    console.log(`       (reconnected after ${reconnectMs} ms; states ${s.states.join(' ')})`);
  });

  await test('envelope=json over two channels: the page parses channel, offset, event and data', async () => {
    await open('envelope', `${HERALD}/v1/sse?channel=env.a&channel=env.b&envelope=json`, ['price']);
    await waitOpen('envelope');
    const a1 = await publishJson({ channel: 'env.a', data: { v: 1 } });
    const b1 = await publishText('env.b', 'text on b');
    const a2 = await publishJson({ channel: 'env.a', event: 'price', data: 7 });
    const s = await waitEvents('envelope', 3);
    const got = s.events.map((e) => ({ type: e.type, ...JSON.parse(e.data) }));
    assert.deepEqual(got.map((g) => [g.type, g.channel, g.offset, g.data]), [
      ['message', 'env.a', a1.offset, { v: 1 }],
      ['message', 'env.b', b1.offset, 'text on b'],
      ['price', 'env.a', a2.offset, 7],
    ]);
    assert.equal(got[2].event, 'price', 'the envelope names the event');
    assert.ok(!got[0].event, 'no event name in the envelope of an unnamed event');
    assert.equal(new Set(s.events.map((e) => e.lastEventId)).size, 3);
  });

  await test('since= with a changed epoch: the page gets herald.reset (epoch_changed), then live events', async () => {
    assert.ok(newsCursor, 'needs the cursor from the first scenario');
    assert.match(newsCursor, /^[0-9a-f]{12}\./, 'cursor layout this test edits: 4 hex names, 8 hex epochs, offsets');
    const flip = (h) => (15 - parseInt(h, 16)).toString(16);
    const stale = newsCursor.slice(0, 4) + [...newsCursor.slice(4, 12)].map(flip).join('') + newsCursor.slice(12);
    await open('reset', `${HERALD}/v1/sse?channel=news&since=${encodeURIComponent(stale)}`, ['herald.reset', 'price']);
    await waitOpen('reset');
    const first = await waitEvents('reset', 1);
    assert.equal(first.events[0].type, 'herald.reset', `first event: ${JSON.stringify(first.events[0])}`);
    const reset = JSON.parse(first.events[0].data);
    assert.equal(reset.channel, 'news');
    assert.equal(reset.reason, 'epoch_changed');
    assert.ok(first.events[0].lastEventId.length > 0, 'the reset carries an id to resume from');
    await publishText('news', 'after reset');
    const s = await waitEvents('reset', 2);
    assert.deepEqual(brief(s.events), [['herald.reset', first.events[0].data], ['message', 'after reset']],
                     'no replay after the reset, then live');
  });

  await test('a Last-Event-ID herald cannot parse (resent by the browser) opens with herald.reset bad_cursor', async () => {
    proxy.requests.length = 0;
    await open('badid', `${proxy.url}/v1/sse?channel=badid`, ['herald.reset']);
    await waitOpen('badid');
    await publishText('badid', 'one');
    await waitEvents('badid', 1);
    proxy.rewrite = (head) => head.replace(/^Last-Event-ID:.*$/im, 'Last-Event-ID: not-a-herald-cursor');
    try {
      proxy.cut();
      await waitOpen('badid', 2, RECONNECT_MS);
    } finally {
      proxy.rewrite = null;
    }
    const s = await waitEvents('badid', 2);
    assert.equal(s.events[1].type, 'herald.reset', `second event: ${JSON.stringify(s.events[1])}`);
    assert.equal(JSON.parse(s.events[1].data).reason, 'bad_cursor');
    assert.equal(header(proxy.requests[1], 'Last-Event-ID'), 'not-a-herald-cursor');
    await publishText('badid', 'two');
    const after = await waitEvents('badid', 3);
    assert.deepEqual(after.events[2].data, 'two', 'the stream stays open and live after the reset');
    assert.equal(after.readyState, 1);
    assert.equal(after.opens, 2, 'no reconnect loop');
  });

  await test('a page that opened with ?since= resumes from Last-Event-ID on reconnect, not from since again', async () => {
    // Two events before the page subscribes; the page asks to resume after the first.
    await publishText('sincepage', 's-1');
    await publishText('sincepage', 's-2');
    await open('sinceprobe', `${HERALD}/v1/sse?channel=sincepage&since=earliest`, []);
    const probe = await waitEvents('sinceprobe', 2);
    await page.evaluate(() => window.streams.sinceprobe.es.close());
    const since = probe.events[0].lastEventId;
    proxy.requests.length = 0;
    await open('since', `${proxy.url}/v1/sse?channel=sincepage&since=${encodeURIComponent(since)}`, []);
    await waitOpen('since');
    const replayed = await waitEvents('since', 1);
    assert.deepEqual(replayed.events.map((e) => e.data), ['s-2'], 'replays what follows the since cursor');
    proxy.cut();
    await publishText('sincepage', 's-3');
    await waitOpen('since', 2, RECONNECT_MS);
    await publishText('sincepage', 's-4');
    const s = await waitEvents('since', 3);
    // Other pages' streams through the proxy reconnect after the cut too: look at this one's.
    const mine = proxy.requests.filter((r) => r.includes('channel=sincepage'));
    assert.equal(mine.length, 2, 'exactly one reconnect');
    assert.equal(header(mine[1], 'Last-Event-ID'), replayed.events[0].lastEventId);
    // The reconnect URL still carries since=; the browser's Last-Event-ID is newer and must win.
    assert.deepEqual(s.events.map((e) => e.data), ['s-2', 's-3', 's-4'], 'no duplicates after the reconnect');
  });
}

await finish(session, 'browser.eventsource', SCREENSHOT);
