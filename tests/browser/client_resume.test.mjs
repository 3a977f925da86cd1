// clients/js in Chromium against a herald of this test's own (HERALD_BINARY on ports it picks,
// JWT auth on, client_config.json's channel policies), to stop and restart it:
// - a restarted herald (memory broker: a new epoch): the WebSocket and the EventSource client (and
//   a second WebSocket tab that follows the first over the BroadcastChannel) get
//   herald.disconnect 1012, retry with backoff while herald is down (the token hook is called
//   before each attempt), reconnect by themselves, surface reset (epoch_changed) for each channel,
//   rebuild the keyed Map from the new snapshot (the old keys gone) and get the new events;
// - a keyed Map is right after a reconnect: updates and deletions made while the connection was
//   cut show up (catch-up by key), over WebSocket and over EventSource, with exactly one token
//   hook call per connect;
// - POST /v1/users/{id}/disconnect (4102, reconnect false) surfaces as disconnect and the client
//   stays closed; a token that expires is renewed in place over WebSocket (auth_expiring, refresh
//   with the hook's new token) and over EventSource ends the stream (4002), which the client
//   reopens with the new token from its cursor: nothing lost either way;
// - a message's id, given as since to a new client, resumes right after that message (plain
//   channel: the next events; keyed: catch-up by key), over both transports.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test, finish, WAIT_MS } from './harness.mjs';
import {
  startClientServer, launch, openTab, waitFor, sleep, range, publish, request, freePort, startHerald, stopHerald, startGateProxy,
} from './client_lib.mjs';

const BINARY = process.env.HERALD_BINARY || '';
if (!BINARY) {
  console.error('client_resume.test.mjs: set HERALD_BINARY (run it through run.sh)');
  process.exit(2);
}
const CONFIG = new URL('./client_config.json', import.meta.url).pathname;
const SECRET = Array.from({ length: 24 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
const ARGS = ['--config', CONFIG, '--jwt-secret', SECRET, '--drain-window', '100', '--shutdown-timeout', '3000'];
const RECONNECT_MS = 20_000;
const lines = [];

function mintJson({ sub = null, ttl = '1h' } = {}) {
  const args = ['token', 'create', '--secret', SECRET, '--channel', '*', '--ttl', ttl, '--json'];
  if (sub) args.push('--sub', sub);
  return JSON.parse(execFileSync(BINARY, args, { encoding: 'utf8', timeout: WAIT_MS }));
}
const mint = (o) => mintJson(o).token;

const publicPort = await freePort();
const internalPort = await freePort();
let herald = await startHerald(BINARY, publicPort, internalPort, ARGS);
const HERALD = `http://127.0.0.1:${publicPort}`;
const server = await startClientServer();
const browser = await launch();
console.log(`browser: ${browser.version()}, pages ${server.origin}, own herald ${HERALD} (internal ${internalPort})`);
const token = mint();
const run = Math.random().toString(36).slice(2, 8);

const rec = (p) => p.evaluate(() => window.rec);
// A keyed Map as an object with its keys sorted (a Map keeps a key's first place when it changes).
const mapOf = (p, ch) => p.evaluate((c) => Object.fromEntries([...window.client.keyed(c)].sort(([a], [b]) => (a < b ? -1 : 1))), ch);
const sorted = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
const waitMap = (p, ch, want, what, ms = RECONNECT_MS) =>
  waitFor(async () => JSON.stringify(await mapOf(p, ch)) === JSON.stringify(sorted(want)), what, ms,
          async () => `(map ${JSON.stringify(await mapOf(p, ch))})`);
const offsets = async (p, ch, epoch) =>
  (await rec(p)).events.filter((e) => e.channel === ch && (!epoch || e.epoch === epoch)).map((e) => e.offset);

await test('a restarted herald: disconnect 1012, retries with backoff, reset epoch_changed, the keyed Map rebuilt, new events (WebSocket and EventSource)', async () => {
  const feed = `feed.${run}`;
  const kv = `kv:r.${run}`;
  const context = await browser.newContext();
  try {
    const p1 = await publish(internalPort, { channel: feed, data: 'before 1' });
    await publish(internalPort, { channel: feed, data: 'before 2' });
    await publish(internalPort, { channel: kv, key: 'a', data: 1 });
    await publish(internalPort, { channel: kv, key: 'b', data: 2 });
    const base = { url: HERALD, channels: [feed, kv], since: 'earliest', tokenHook: token, backoff: { initialMs: 200, maxMs: 1000 } };
    const tabs = {
      websocket: await openTab(context, server.origin, { ...base, transport: 'websocket' }, lines),
      'websocket follower tab': await openTab(context, server.origin, { ...base, transport: 'websocket' }, lines),
      eventsource: await openTab(context, server.origin, { ...base, transport: 'eventsource' }, lines),
    };
    for (const [name, p] of Object.entries(tabs)) {
      await waitFor(async () => (await offsets(p, feed)).length === 2, `${name}: the history of ${feed}`);
      assert.deepEqual(await offsets(p, feed), [1, 2]);
      await waitMap(p, kv, { a: 1, b: 2 }, `${name}: the snapshot`, WAIT_MS);
    }
    const before = {};
    for (const [name, p] of Object.entries(tabs)) before[name] = await p.evaluate(() => window.tokenCalls);

    await stopHerald(herald, 'SIGTERM');
    for (const [name, p] of Object.entries(tabs)) {
      await waitFor(async () => (await rec(p)).disconnects.some((d) => d.code === 1012 && d.name === 'shutdown' && d.reconnect === true), `${name}: herald.disconnect 1012`, WAIT_MS,
                    async () => JSON.stringify((await rec(p)).disconnects));
    }
    await sleep(2500);  // herald is down: the clients keep trying, with growing delays
    assert.deepEqual(await tabs['websocket follower tab'].evaluate(() => window.rec.roles), [false], 'the second WebSocket tab follows');
    for (const [name, p] of Object.entries(tabs)) {
      if (name.includes('follower')) continue;  // it never connects itself
      const calls = await p.evaluate(() => window.tokenCalls);
      assert.ok(calls - before[name] >= 2, `${name}: tried again while herald was down (token hook called ${calls - before[name]} times)`);
      assert.ok(calls - before[name] <= 14, `${name}: with backoff, not in a tight loop (${calls - before[name]} attempts in 2.5 s)`);
    }

    herald = await startHerald(BINARY, publicPort, internalPort, ARGS);
    await publish(internalPort, { channel: kv, key: 'z', data: 26 });  // the new epoch's only key
    for (const [name, p] of Object.entries(tabs)) {
      await waitFor(async () => (await rec(p)).resets.length >= 2, `${name}: a reset for each channel`, RECONNECT_MS,
                    async () => JSON.stringify((await rec(p)).resets));
      const resets = (await rec(p)).resets;
      assert.deepEqual(resets.map((r) => r.channel).sort(), [feed, kv].sort(), `${name}: ${JSON.stringify(resets)}`);
      for (const r of resets) {
        assert.equal(r.reason, 'epoch_changed', `${name}: ${JSON.stringify(r)}`);
        assert.notEqual(r.epoch, p1.epoch, 'a new epoch');
      }
      await waitMap(p, kv, { z: 26 }, `${name}: the keyed Map rebuilt from the new snapshot`);
    }
    const p2 = await publish(internalPort, { channel: feed, data: 'after 1' });
    await publish(internalPort, { channel: feed, data: 'after 2' });
    await publish(internalPort, { channel: feed, data: 'after 3' });
    for (const [name, p] of Object.entries(tabs)) {
      await waitFor(async () => (await offsets(p, feed, p2.epoch)).length === 3, `${name}: the new events`, WAIT_MS,
                    async () => JSON.stringify(await offsets(p, feed)));
      assert.deepEqual(await offsets(p, feed, p1.epoch), [1, 2], `${name}: the old epoch's events once`);
      assert.deepEqual(await offsets(p, feed, p2.epoch), [1, 2, 3], `${name}: the new epoch's events`);
      const r = await rec(p);
      assert.ok(r.closes >= 1 && r.opens >= 2, `${name}: closed and opened again (${r.closes} closes, ${r.opens} opens)`);
    }
    assert.equal(await tabs['websocket follower tab'].evaluate(() => window.tokenCalls), 0, 'the follower tab never connected');
  } finally {
    await context.close();
    if (herald.exited) herald = await startHerald(BINARY, publicPort, internalPort, ARGS);  // for the tests below
  }
});

for (const transport of ['websocket', 'eventsource']) {
  await test(`${transport}: a keyed Map is right after a reconnect (updates and deletions made while cut off)`, async () => {
    const kv = `kv:c.${transport}.${run}`;
    const other = `plain.${transport}.${run}`;
    const gate = await startGateProxy(publicPort);
    const context = await browser.newContext();
    try {
      for (const [k, v] of [['AAPL', 1], ['MSFT', 2], ['NVDA', 3], ['TSLA', 4]]) await publish(internalPort, { channel: kv, key: k, data: { p: v } });
      const p = await openTab(context, server.origin,
                              { url: gate.url, channels: [kv, other], transport, tokenHook: token, backoff: { initialMs: 100, maxMs: 500 } }, lines);
      await waitMap(p, kv, { AAPL: { p: 1 }, MSFT: { p: 2 }, NVDA: { p: 3 }, TSLA: { p: 4 } }, 'the snapshot', WAIT_MS);
      await publish(internalPort, { channel: kv, key: 'AAPL', data: { p: 10 } });
      await publish(internalPort, { channel: other, data: 'live 1' });
      await waitMap(p, kv, { AAPL: { p: 10 }, MSFT: { p: 2 }, NVDA: { p: 3 }, TSLA: { p: 4 } }, 'a live update', WAIT_MS);
      await waitFor(async () => (await offsets(p, other)).length === 1, 'the plain channel\'s live event');

      gate.hold();
      assert.ok(gate.cut() >= 1, 'a connection to cut');
      await waitFor(async () => (await rec(p)).closes >= 1, 'the client to see the stream drop');
      await publish(internalPort, { channel: kv, key: 'MSFT', delete: true });
      await publish(internalPort, { channel: kv, key: 'AAPL', data: { p: 11 } });
      await publish(internalPort, { channel: kv, key: 'AAPL', data: { p: 12 } });
      await publish(internalPort, { channel: kv, key: 'AMZN', data: { p: 5 } });
      await publish(internalPort, { channel: kv, key: 'TSLA', delete: true });
      await publish(internalPort, { channel: other, data: 'missed 2' });
      await publish(internalPort, { channel: other, data: 'missed 3' });
      gate.release();
      await waitMap(p, kv, { NVDA: { p: 3 }, AAPL: { p: 12 }, AMZN: { p: 5 } }, 'the Map after the reconnect');
      await waitFor(async () => (await offsets(p, other)).length === 3, 'the plain channel\'s missed events', WAIT_MS,
                    async () => JSON.stringify(await offsets(p, other)));
      assert.deepEqual(await offsets(p, other), range(1, 3));
      const r = await rec(p);
      assert.deepEqual(r.resets, [], 'no reset: the cursor was good');
      assert.equal(r.opens, 2, 'one reconnect');
      assert.equal(await p.evaluate(() => window.tokenCalls), 2, 'the token hook ran before each connect');
      const kvOffsets = await offsets(p, kv);
      assert.equal(new Set(kvOffsets).size, kvOffsets.length, `no keyed event twice: ${kvOffsets}`);
      // The keyed events tell the same story as the Map.
      const deleted = r.keyed.filter((k) => k.channel === kv && k.deleted).map((k) => k.key).sort();
      assert.deepEqual(deleted, ['MSFT', 'TSLA']);
    } finally {
      gate.release();
      await context.close();
      gate.close();
    }
  });
}

for (const transport of ['websocket', 'eventsource']) {
  await test(`${transport}: the app ends the user's connections (4102, reconnect false): the client stops`, async () => {
    const user = `u${transport.length}${run}`;
    const ch = `feed.bye.${transport}.${run}`;
    const context = await browser.newContext();
    try {
      const p = await openTab(context, server.origin,
                              { url: HERALD, channels: [ch], transport, tokenHook: mint({ sub: user }), backoff: { initialMs: 100, maxMs: 200 } }, lines);
      await waitFor(() => p.evaluate(() => window.rec.opens === 1), 'the stream');
      await waitFor(async () => (await request(internalPort, 'GET', `/v1/connections?user=${user}`)).total === 1, 'herald to list it');
      await publish(internalPort, { channel: ch, data: 'hello' });
      await waitFor(async () => (await offsets(p, ch)).length === 1, 'the event');
      const r = await request(internalPort, 'POST', `/v1/users/${user}/disconnect`, '');
      assert.equal(r.disconnected, 1);
      await waitFor(async () => (await rec(p)).disconnects.length === 1, 'the disconnect event');
      const d = (await rec(p)).disconnects[0];
      assert.equal(d.code, 4102, JSON.stringify(d));
      assert.equal(d.reconnect, false, JSON.stringify(d));
      assert.equal(d.name, 'user_disconnected', JSON.stringify(d));
      await sleep(1500);  // 7 retries' worth of backoff: none may happen
      assert.equal(await p.evaluate(() => window.tokenCalls), 1, 'no reconnect');
      assert.equal((await request(internalPort, 'GET', `/v1/connections?user=${user}`)).total, 0);
      assert.equal((await rec(p)).closes, 1);
    } finally {
      await context.close();
    }
  });
}

await test('a token that expires: WebSocket renews it in place (refresh), EventSource reconnects with a new one, nothing lost', async () => {
  const ch = `feed.exp.${run}`;
  const context = await browser.newContext();
  try {
    // Long enough for both tabs to connect with it on a loaded machine; herald announces its expiry
    // at once (the notice is 60 s).
    const shortJson = mintJson({ ttl: '8s' });
    const short = shortJson.token;
    const long = mint();
    const base = { url: HERALD, channels: [ch], tokenList: [short, long], backoff: { initialMs: 100, maxMs: 500 } };
    const ws = await openTab(context, server.origin, { ...base, transport: 'websocket' }, lines);
    const sse = await openTab(context, server.origin, { ...base, transport: 'eventsource' }, lines);
    for (const p of [ws, sse]) await waitFor(() => p.evaluate(() => window.rec.opens === 1), 'the stream');
    const expMs = shortJson.claims.exp * 1000;
    assert.ok(Date.now() < expMs - 1000, 'both tabs connected before the short token ran out (machine too slow?)');
    await publish(internalPort, { channel: ch, data: 1 });
    await waitFor(async () => (await rec(ws)).expiring.length >= 1, 'WebSocket: auth_expiring');
    assert.equal(await sse.evaluate(() => window.tokenCalls), 1, 'EventSource: connected with the short token');
    await sleep(Math.max(0, expMs - Date.now()) + 2500);  // past its exp (and herald's once-a-second sweep)
    await publish(internalPort, { channel: ch, data: 2 });
    await publish(internalPort, { channel: ch, data: 3 });
    for (const [name, p] of [['websocket', ws], ['eventsource', sse]]) {
      await waitFor(async () => (await offsets(p, ch)).length === 3, `${name}: every event`, RECONNECT_MS,
                    async () => JSON.stringify(await offsets(p, ch)));
      assert.deepEqual(await offsets(p, ch), [1, 2, 3], name);
      assert.equal(await p.evaluate(() => window.tokenCalls), 2, `${name}: the hook gave a second token`);
    }
    const w = await rec(ws);
    assert.deepEqual(w.disconnects, [], 'WebSocket: refreshed in place, never cut');
    assert.equal(w.opens, 1);
    const s = await rec(sse);
    assert.ok(s.disconnects.some((d) => d.code === 4002), `EventSource: ended at exp ${JSON.stringify(s.disconnects)}`);
    assert.equal(s.opens, 2, 'EventSource: opened again with the new token');
  } finally {
    await context.close();
  }
});

for (const transport of ['websocket', 'eventsource']) {
  await test(`${transport}: a message's id given as since to a later client resumes right after it`, async () => {
    const ch = `feed.id.${transport}.${run}`;
    const kv = `kv:id.${transport}.${run}`;
    const context = await browser.newContext();
    try {
      const cfg = { url: HERALD, channels: [ch, kv], transport, tokenHook: token, shared: false };
      const first = await openTab(context, server.origin, cfg, lines);
      await waitFor(() => first.evaluate(() => window.rec.opens === 1), 'the stream');
      for (let i = 1; i <= 3; i++) await publish(internalPort, { channel: ch, data: i });
      await publish(internalPort, { channel: kv, key: 'a', data: 1 });
      await publish(internalPort, { channel: kv, key: 'b', data: 2 });
      await waitFor(async () => (await rec(first)).events.length === 5, 'five events');
      const id = await first.evaluate(() => { window.client.close(); return window.rec.events.at(-1).id; });
      assert.ok(typeof id === 'string' && id.length > 0, `an id: ${id}`);
      for (let i = 4; i <= 5; i++) await publish(internalPort, { channel: ch, data: i });
      await publish(internalPort, { channel: kv, key: 'a', delete: true });
      await publish(internalPort, { channel: kv, key: 'c', data: 3 });
      const later = await openTab(context, server.origin, { ...cfg, since: id }, lines);
      await waitFor(async () => (await offsets(later, ch)).length === 2, 'the events after the id', WAIT_MS,
                    async () => JSON.stringify(await offsets(later, ch)));
      assert.deepEqual(await offsets(later, ch), [4, 5]);
      // The keyed channel catches up by key from the id: the deletion and the new key, not 'b' again.
      await waitFor(async () => (await rec(later)).events.filter((e) => e.channel === kv).length === 2, 'the keyed catch-up');
      const kvEvents = (await rec(later)).events.filter((e) => e.channel === kv).map((e) => [e.key, e.deleted ? 'deleted' : e.data]);
      assert.deepEqual(kvEvents, [['a', 'deleted'], ['c', 3]]);
      assert.deepEqual((await rec(later)).resets, []);
    } finally {
      await context.close();
    }
  });
}

await stopHerald(herald, 'SIGKILL');
await finish({ ok: false, browser, page: null, consoleLines: lines, pageServer: server,
               proxy: { cut() {}, server: { close() {} } } }, 'client_resume', null);
