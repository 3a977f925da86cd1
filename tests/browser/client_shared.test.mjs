// clients/js in Chromium, several tabs of one origin: three tabs hold exactly one stream on the
// server (GET /v1/connections) over WebSocket and over EventSource, and every tab gets every event;
// closing the leader tab hands the stream to another tab, which resumes from the last position, so
// each remaining tab's offsets are exactly 1..N (nothing lost, nothing twice) with events published
// during and after the handover; a tab opened later joins the stream (since 'earliest': what the
// tabs had, from the leader); a leader calling close() hands over the same way; a keyed channel's Map is the same in every tab, a tab opened later
// gets the current snapshot from the leader, and it stays right across a handover; shared:false gives
// each tab its own stream, and so does a browser without Web Locks.
// Started by run.sh (its herald runs with the channel policies of client_config.json).
// herald-args: --config client_config.json
import assert from 'node:assert/strict';
import { PUBLIC_PORT, INTERNAL_PORT, requireEnv, test, finish } from './harness.mjs';
import {
  startClientServer, launch, openTab, waitFor, sleep, offsetsOf, range, publish, connectionsFor, startGateProxy,
} from './client_lib.mjs';

requireEnv('client_shared.test.mjs', ['HERALD_PUBLIC_PORT', 'HERALD_INTERNAL_PORT']);
const HERALD = `http://127.0.0.1:${PUBLIC_PORT}`;
const HANDOVER_MS = 20_000;  // a new leader connects at once; generous for a loaded machine
const run = Math.random().toString(36).slice(2, 8);
const lines = [];

const server = await startClientServer();
const browser = await launch();
console.log(`browser: ${browser.version()}, pages ${server.origin}, herald ${HERALD}`);

const roles = (pages) => Promise.all(pages.map((p) => p.evaluate(() => window.client.leader)));
async function leaderOf(pages) {
  const r = await waitFor(async () => {
    const l = await roles(pages);
    return l.filter(Boolean).length === 1 ? l : null;
  }, 'exactly one leader tab', 10_000, async () => JSON.stringify(await roles(pages)));
  return r.indexOf(true);
}

// Every tab's offsets of channel are exactly 1..n.
async function allSee(pages, channel, n, ms = 10_000) {
  for (const [i, p] of pages.entries()) {
    await waitFor(async () => (await offsetsOf(p, channel)).length >= n, `tab ${i} to get ${n} events of ${channel}`, ms,
                  async () => `(has ${JSON.stringify(await offsetsOf(p, channel))})`);
    assert.deepEqual(await offsetsOf(p, channel), range(1, n), `tab ${i} got each offset of ${channel} once, in order`);
  }
}

async function publishN(channel, from, to) {
  for (let i = from; i <= to; i++) {
    const r = await publish(INTERNAL_PORT, { channel, data: { n: i } });
    assert.equal(r.offset, i, `publish ${i} to ${channel}`);
  }
}

async function oneStream(channels, transport) {
  const conns = await waitFor(async () => {
    const c = await connectionsFor(INTERNAL_PORT, channels);
    return c.length >= 1 ? c : null;
  }, `a ${transport} stream for ${channels}`);
  await sleep(500);  // a second stream, if a tab opened one, would be there by now
  const again = await connectionsFor(INTERNAL_PORT, channels);
  assert.equal(again.length, 1, `one connection for three tabs: ${JSON.stringify(again)}`);
  assert.equal(again[0].transport, transport === 'websocket' ? 'ws' : 'sse');
  return conns[0];
}

async function sharedTabsAndHandover(transport) {
  const ch = `news.${transport}.${run}`;
  const gate = await startGateProxy(PUBLIC_PORT);
  const context = await browser.newContext();
  try {
  const cfg = { url: gate.url, channels: [ch], transport };
    const pages = [];
    for (let i = 0; i < 3; i++) pages.push(await openTab(context, server.origin, cfg, lines));
    const leader = await leaderOf(pages);
    await oneStream([ch], transport);
    for (const p of pages) await waitFor(() => p.evaluate(() => window.rec.opens > 0), 'every tab to see the stream open');
    await publishN(ch, 1, 10);
    await allSee(pages, ch, 10);

    // The leader tab goes while events are being published; the new leader's connection is held
    // back (the gate) until more events were published with no stream at all, so they can only
    // come from a resume at the last position the tabs saw.
    gate.hold();
    const closing = pages[leader].close();
    const rest = pages.filter((_, i) => i !== leader);
    await Promise.all([closing, publishN(ch, 11, 15)]);
    await waitFor(async () => (await connectionsFor(INTERNAL_PORT, [ch])).length === 0, 'the old leader\'s stream to end');
    const next = await leaderOf(rest);
    await publishN(ch, 16, 20);
    gate.release();
    await publishN(ch, 21, 30);
    await allSee(rest, ch, 30, HANDOVER_MS);
    await oneStream([ch], transport);
    assert.deepEqual(await rest[next].evaluate(() => window.rec.roles), [false, true], 'the new leader was a follower first');

    // Tabs opened now join the stream (no second one): one without since gets what follows, one
    // with since 'earliest' gets what the tabs have had first (from the leader), then what follows.
    const late = await openTab(context, server.origin, cfg, lines);
    const early = await openTab(context, server.origin, { ...cfg, since: 'earliest' }, lines);
    for (const p of [late, early]) {
      await waitFor(() => p.evaluate(() => window.rec.roles.length > 0 && window.rec.opens > 0), 'the late tab to join');
      assert.deepEqual(await p.evaluate(() => window.rec.roles), [false]);
    }
    await waitFor(async () => (await offsetsOf(early, ch)).length >= 30, 'the since-earliest tab to get 1..30 from the leader');
    await publishN(ch, 31, 35);
    await allSee([...rest, early], ch, 35);
    await waitFor(async () => (await offsetsOf(late, ch)).length >= 5, 'the late tab to get 31..35');
    assert.deepEqual(await offsetsOf(late, ch), range(31, 35));
    await oneStream([ch], transport);
  } finally {
    gate.release();
    await context.close();
    gate.close();
  }
}

await test('websocket: three tabs share one stream, every tab gets every event, the leader tab closing loses and repeats nothing',
  () => sharedTabsAndHandover('websocket'));

await test('eventsource: three tabs share one stream, every tab gets every event, the leader tab closing loses and repeats nothing',
  () => sharedTabsAndHandover('eventsource'));

await test('a leader that calls close() hands the stream to the other tab, which resumes from the last position', async () => {
  const ch = `handover.${run}`;
  const context = await browser.newContext();
  try {
    const cfg = { url: HERALD, channels: [ch] };
    const pages = [await openTab(context, server.origin, cfg, lines), await openTab(context, server.origin, cfg, lines)];
    const leader = await leaderOf(pages);
    const other = pages[1 - leader];
    await oneStream([ch], 'websocket');
    await publishN(ch, 1, 3);
    await allSee(pages, ch, 3);
    await pages[leader].evaluate(() => window.client.close());
    await publishN(ch, 4, 6);
    await waitFor(() => other.evaluate(() => window.client.leader), 'the other tab to lead');
    await publishN(ch, 7, 9);
    await allSee([other], ch, 9);
    assert.deepEqual(await offsetsOf(pages[leader], ch), range(1, 3), 'the closed client got nothing more');
    await oneStream([ch], 'websocket');
  } finally {
    await context.close();
  }
});

await test('keyed channel: every tab holds the same Map, a later tab gets the snapshot from the leader, right after a handover', async () => {
  const ch = `kv:prices.${run}`;
  const context = await browser.newContext();
  try {
    const cfg = { url: HERALD, channels: [ch] };
    const mapOf = (p) => p.evaluate((c) => Object.fromEntries([...window.client.keyed(c)].sort(([a], [b]) => (a < b ? -1 : 1))), ch);
    await publish(INTERNAL_PORT, { channel: ch, key: 'AAPL', data: { p: 1 } });
    await publish(INTERNAL_PORT, { channel: ch, key: 'MSFT', data: { p: 2 } });
    await publish(INTERNAL_PORT, { channel: ch, key: 'NVDA', data: { p: 3 } });
    const a = await openTab(context, server.origin, cfg, lines);
    const want1 = { AAPL: { p: 1 }, MSFT: { p: 2 }, NVDA: { p: 3 } };
    await waitFor(async () => Object.keys(await mapOf(a)).length === 3, 'the leader tab to hold the snapshot');
    assert.deepEqual(await mapOf(a), want1);
    await publish(INTERNAL_PORT, { channel: ch, key: 'AAPL', data: { p: 10 } });
    await publish(INTERNAL_PORT, { channel: ch, key: 'NVDA', delete: true });
    const want2 = { AAPL: { p: 10 }, MSFT: { p: 2 } };
    await waitFor(async () => JSON.stringify(await mapOf(a)) === JSON.stringify(want2), 'the update and the deletion',
                  10_000, async () => JSON.stringify(await mapOf(a)));
    // Opened after the changes: the snapshot comes from the leader tab, not from a stream of its own.
    const b = await openTab(context, server.origin, cfg, lines);
    await waitFor(async () => JSON.stringify(await mapOf(b)) === JSON.stringify(want2), 'the late tab to get the map from the leader',
                  10_000, async () => JSON.stringify(await mapOf(b)));
    assert.deepEqual(await b.evaluate(() => window.rec.roles), [false]);
    // ... as message events too, as a stream of its own would have brought the snapshot.
    const snap = await b.evaluate((c) => window.rec.events.filter((e) => e.channel === c).map((e) => [e.key, e.data]), ch);
    assert.deepEqual(snap.sort(), [['AAPL', { p: 10 }], ['MSFT', { p: 2 }]]);
    assert.equal((await connectionsFor(INTERNAL_PORT, [ch])).length, 1, 'still one stream');
    await publish(INTERNAL_PORT, { channel: ch, key: 'TSLA', data: { p: 4 } });
    await a.close();  // the leader goes; b takes over from the last position
    await publish(INTERNAL_PORT, { channel: ch, key: 'MSFT', delete: true });
    await publish(INTERNAL_PORT, { channel: ch, key: 'AAPL', data: { p: 11 } });
    const want3 = { AAPL: { p: 11 }, TSLA: { p: 4 } };  // keys in sorted order, as mapOf gives them
    await waitFor(async () => JSON.stringify(await mapOf(b)) === JSON.stringify(want3), 'the new leader\'s map after the handover',
                  HANDOVER_MS, async () => JSON.stringify(await mapOf(b)));
    await waitFor(() => b.evaluate(() => window.client.leader), 'b to lead');
    // Each key event reached b exactly once: offsets strictly increasing.
    const offs = await offsetsOf(b, ch);
    assert.deepEqual(offs, [...offs].sort((x, y) => x - y), 'in order');
    assert.equal(new Set(offs).size, offs.length, `no event twice: ${offs}`);
  } finally {
    await context.close();
  }
});

await test('shared:false: each of three tabs has its own stream', async () => {
  const ch = `own.${run}`;
  const context = await browser.newContext();
  try {
    const cfg = { url: HERALD, channels: [ch], shared: false };
    const pages = [];
    for (let i = 0; i < 3; i++) pages.push(await openTab(context, server.origin, cfg, lines));
    await waitFor(async () => (await connectionsFor(INTERNAL_PORT, [ch])).length === 3, 'three streams', 10_000,
                  async () => JSON.stringify(await connectionsFor(INTERNAL_PORT, [ch])));
    assert.deepEqual(await roles(pages), [true, true, true], 'each tab leads its own');
    for (const p of pages) await waitFor(() => p.evaluate(() => window.rec.opens > 0), 'every stream open');
    await publishN(ch, 1, 5);
    await allSee(pages, ch, 5);
  } finally {
    await context.close();
  }
});

await test('no Web Locks in the browser: each tab falls back to a stream of its own', async () => {
  const ch = `nolocks.${run}`;
  const context = await browser.newContext();
  try {
    const cfg = { url: HERALD, channels: [ch], noLocks: true };
    const pages = [];
    for (let i = 0; i < 2; i++) pages.push(await openTab(context, server.origin, cfg, lines));
    assert.deepEqual(await pages[0].evaluate(() => typeof navigator.locks), 'undefined');
    await waitFor(async () => (await connectionsFor(INTERNAL_PORT, [ch])).length === 2, 'two streams', 10_000,
                  async () => JSON.stringify(await connectionsFor(INTERNAL_PORT, [ch])));
    assert.deepEqual(await roles(pages), [true, true]);
    for (const p of pages) await waitFor(() => p.evaluate(() => window.rec.opens > 0), 'every stream open');
    await publishN(ch, 1, 3);
    await allSee(pages, ch, 3);
  } finally {
    await context.close();
  }
});

await test('bad options are refused with a TypeError that says what is wrong', async () => {
  const context = await browser.newContext();
  try {
    const p = await openTab(context, server.origin, { url: HERALD, channels: [`opts.${run}`], shared: false }, lines);
    const got = await p.evaluate(async (herald) => {
      const { HeraldClient } = await import('/herald.js');
      const cases = [
        undefined,
        { channels: ['a'] },
        { url: 'ftp://x', channels: ['a'] },
        { url: herald },
        { url: herald, channels: [] },
        { url: herald, channels: ['a b'] },
        { url: herald, channels: ['a'], transport: 'sse' },
        { url: herald, channels: ['a'], token: 42 },
        { url: herald, channels: ['a'], backoff: { initialMs: 0 } },
        { url: herald, channels: ['a'], since: 7 },
      ];
      return cases.map((o) => {
        try {
          new HeraldClient(o);
          return 'accepted';
        } catch (e) {
          return `${e.name}: ${e.message}`;
        }
      });
    }, HERALD);
    const want = [/options object/, /'url'.*required/, /http\(s\) or ws\(s\)/, /'channels'/, /'channels'/, /"a b" is not a herald channel/,
                  /'transport'/, /'token'/, /'backoff'/, /'since'/];
    assert.equal(got.length, want.length);
    got.forEach((g, i) => assert.match(g, new RegExp('^TypeError: HeraldClient: .*' + want[i].source), `case ${i}: ${g}`));
  } finally {
    await context.close();
  }
});

// finish() closes the browser and the page server, prints the console when a test failed and exits.
await finish({ ok: false, browser, page: null, consoleLines: lines, pageServer: server,
               proxy: { cut() {}, server: { close() {} } } }, 'client_shared', null);
