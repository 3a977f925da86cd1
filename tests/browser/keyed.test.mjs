// Keyed channels in a real Chromium: a page whose plain EventSource shows an unread badge for user 42
// (keyed user:*, counters published with incr) and a ticker table (keyed, conflated ticker:*), with
// no client library, as docs/keyed-channels.md shows them. The badge shows the current count at once
// (the snapshot, not a replay of increments), follows live increments, and is right again after the
// browser's own reconnect (Last-Event-ID, catch-up by key) and after the page closed its stream and
// came back with ?since=. The ticker shows the latest price of every symbol after a conflated burst,
// never goes back to a stale price, catches up with one event per symbol after a reconnect, and drops
// a deleted symbol.
// Started by run.sh, which gives this file a herald of its own with the arguments of the line below
// (keyed.config.json holds the channel policies; $HERALD_JWT_SECRET becomes a secret made for the
// run) and passes HERALD_JWT_SECRET and HERALD_BINARY: the test signs user 42's token with
// `herald token create --secret`.
// herald-args: --config keyed.config.json --jwt-secret $HERALD_JWT_SECRET
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  PUBLIC_PORT, WAIT_MS, requireEnv, header, publishJson, getInternal, test, startSession, finish,
} from './harness.mjs';

requireEnv('keyed.test.mjs', ['HERALD_PUBLIC_PORT', 'HERALD_INTERNAL_PORT']);
const SECRET = process.env.HERALD_JWT_SECRET || '';
const BINARY = process.env.HERALD_BINARY || '';
if (!SECRET || !BINARY) {
  console.error('keyed.test.mjs: set HERALD_JWT_SECRET and HERALD_BINARY (run it through run.sh)');
  process.exit(2);
}
const SCREENSHOT = process.env.HERALD_SCREENSHOT_KEYED || '/tmp/herald-browser-keyed.png';
const HERALD = `http://127.0.0.1:${PUBLIC_PORT}`;
const RECONNECT_MS = 15_000;  // herald's retry is 2 s; generous for a loaded CI machine

// The policies herald runs with (the file the herald-args line names), so the test and its herald
// cannot disagree about the conflation window.
const CONFIG = JSON.parse(readFileSync(new URL('./keyed.config.json', import.meta.url), 'utf8'));
const tickerPolicy = CONFIG.channels.find((c) => c.pattern === 'ticker:*');
assert.ok(tickerPolicy && tickerPolicy.keyed && tickerPolicy.conflate, 'keyed.config.json has a keyed, conflated ticker:*');
assert.ok(CONFIG.channels.find((c) => c.pattern === 'user:*' && c.keyed), 'keyed.config.json has a keyed user:*');

// User 42's token, as the app would sign it.
function mint(sub) {
  const env = { ...process.env };
  delete env.HERALD_JWT_PRIVATE_KEY;  // --secret it is
  const out = execFileSync(BINARY, ['token', 'create', '--secret', SECRET, '--sub', sub, '--ttl', '1h', '--json'],
                           { encoding: 'utf8', env, timeout: WAIT_MS });
  const j = JSON.parse(out);
  assert.equal(typeof j.token, 'string', `herald token create printed ${out}`);
  return j.token;
}

// ---------------------------------------------------------------- the page

// The badge and the ticker are the plain EventSource code of docs/keyed-channels.md; the rest of
// the script only records what happened for the test to read (window.badge, window.ticker).
const PAGE = String.raw`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>herald keyed channels test</title>
<link rel="icon" href="data:,">
<style>
  body { font: 13px/1.4 system-ui, sans-serif; margin: 12px; background: #f6f7f9; }
  h1 { font-size: 16px; margin: 0 0 8px; }
  #boxes { display: grid; grid-template-columns: 1fr 2fr; gap: 8px; }
  section { background: #fff; border: 1px solid #ccd; border-radius: 4px; padding: 6px 8px; min-width: 0; }
  h2 { font-size: 13px; margin: 0 0 6px; }
  .inbox { font-size: 15px; }
  #badge { display: inline-block; min-width: 1.4em; padding: 0 6px; border-radius: 10px; background: #d22;
           color: #fff; font-weight: bold; text-align: center; }
  #badge:empty { display: none; }
  table { font: 12px monospace; border-collapse: collapse; background: #fff; }
  td, th { border: 1px solid #dde; padding: 1px 8px; text-align: left; }
  td.price { text-align: right; }
  .log { font: 11px monospace; color: #555; white-space: pre-wrap; word-break: break-all; max-height: 24em; overflow: hidden; }
</style></head>
<body>
<h1>herald &middot; keyed channels with a plain EventSource &middot; page origin <span id="origin"></span></h1>
<div id="boxes">
  <section><h2>user:42</h2><div class="inbox">Inbox <span id="badge"></span></div><div class="log" id="badge-log"></div></section>
  <section><h2>ticker:nasdaq</h2>
    <table><thead><tr><th>symbol</th><th>price</th></tr></thead><tbody id="prices"></tbody></table>
    <div class="log" id="ticker-log"></div></section>
</div>
<script>
  document.getElementById('origin').textContent = location.origin;
  const log = (id, text) => { const el = document.getElementById(id); el.textContent = text + '\n' + el.textContent; };

  // ---- (a) the unread badge: one key, 'unread', a counter
  window.badge = { es: null, shown: [], opens: 0, errors: 0, resets: 0, lastEventId: '' };
  window.openBadge = (url) => {
    const b = window.badge;
    const es = new EventSource(url);
    b.es = es;
    es.onmessage = (e) => {
      const m = JSON.parse(e.data);        // keyed: always {"channel","offset","epoch","key",...}
      b.lastEventId = e.lastEventId;
      if (m.key !== 'unread') return;
      const n = m.deleted ? 0 : m.data;
      document.getElementById('badge').textContent = n > 0 ? n : '';
      b.shown.push(n);
      log('badge-log', 'unread=' + n + ' @' + m.offset);
    };
    es.addEventListener('herald.reset', () => { b.resets++; log('badge-log', 'herald.reset'); });
    es.addEventListener('open', () => { b.opens++; log('badge-log', 'open'); });
    es.addEventListener('error', () => { b.errors++; log('badge-log', 'error, readyState ' + es.readyState); });
  };
  // The page goes away: closes its stream and keeps the id of the last event it saw.
  window.closeBadge = () => { window.badge.es.close(); return window.badge.lastEventId; };

  // ---- (b) the ticker: one key per symbol, conflated
  window.ticker = { es: null, events: [], opens: 0, errors: 0, resets: 0 };
  window.openTicker = (url) => {
    const t = window.ticker;
    const rows = new Map();                // symbol -> <tr>
    const tbody = document.getElementById('prices');
    const es = new EventSource(url);
    t.es = es;
    es.onmessage = (e) => {
      const m = JSON.parse(e.data);
      t.events.push({ key: m.key, offset: m.offset, deleted: !!m.deleted, price: m.deleted ? null : m.data.price });
      if (m.deleted) {
        rows.get(m.key)?.remove();
        rows.delete(m.key);
        return;
      }
      let tr = rows.get(m.key);
      if (!tr) {
        tr = document.createElement('tr');
        tr.innerHTML = '<td></td><td class="price"></td>';
        tr.cells[0].textContent = m.key;
        rows.set(m.key, tr);
        tbody.append(...[...rows].sort(([a], [b]) => a.localeCompare(b)).map(([, r]) => r));
      }
      tr.cells[1].textContent = m.data.price.toFixed(2);
    };
    es.addEventListener('herald.reset', () => {   // state unknown: drop it, the snapshot follows
      t.resets++;
      rows.forEach((tr) => tr.remove());
      rows.clear();
    });
    es.addEventListener('open', () => { t.opens++; log('ticker-log', 'open'); });
    es.addEventListener('error', () => { t.errors++; log('ticker-log', 'error, readyState ' + es.readyState); });
  };
  // What the table shows: {symbol: "price"} in row order.
  window.tickerTable = () => Object.fromEntries([...document.querySelectorAll('#prices tr')]
    .map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent]));
  window.badgeText = () => document.getElementById('badge').textContent;
</script>
</body></html>`;

// ---------------------------------------------------------------- main

const session = await startSession({
  html: PAGE, viewport: { width: 1100, height: 520 }, herald: HERALD,
  extra: `policies ${CONFIG.channels.map((c) => c.pattern).join(' ')}`,
});
const { page, proxy } = session;

const badgeState = () => page.evaluate(() => {
  const b = window.badge;
  return { text: window.badgeText(), shown: b.shown, opens: b.opens, errors: b.errors, resets: b.resets,
           readyState: b.es ? b.es.readyState : -1, lastEventId: b.lastEventId };
});
const tickerState = () => page.evaluate(() => {
  const t = window.ticker;
  return { table: window.tickerTable(), events: t.events, opens: t.opens, errors: t.errors, resets: t.resets,
           readyState: t.es ? t.es.readyState : -1 };
});

// Waits until the badge shows text (a string: '' is hidden).
async function waitBadge(text, timeout = WAIT_MS) {
  try {
    await page.waitForFunction((t) => window.badgeText() === t, text, { timeout });
  } catch (e) {
    throw new Error(`the badge did not show '${text}' in ${timeout} ms: ${JSON.stringify(await badgeState())}`);
  }
  return badgeState();
}
async function waitBadgeOpens(n, timeout = WAIT_MS) {
  try {
    await page.waitForFunction((k) => window.badge.opens >= k, n, { timeout });
  } catch (e) {
    throw new Error(`the badge stream did not reach ${n} open(s) in ${timeout} ms: ${JSON.stringify(await badgeState())}`);
  }
}
async function waitTable(expected, timeout = WAIT_MS) {
  try {
    await page.waitForFunction((want) => JSON.stringify(window.tickerTable()) === want, JSON.stringify(expected), { timeout });
  } catch (e) {
    const s = await tickerState();
    throw new Error(`the ticker did not show ${JSON.stringify(expected)} in ${timeout} ms: table ${JSON.stringify(s.table)}, ` +
                    `${s.events.length} events, opens ${s.opens}, errors ${s.errors}, resets ${s.resets}`);
  }
  return tickerState();
}
const incr = (by = 1) => publishJson({ channel: 'user:42', key: 'unread', incr: by });
const tableOf = (prices) => Object.fromEntries(Object.keys(prices).sort().map((s) => [s, prices[s].toFixed(2)]));
// Sends each round of prices as one batch publish, one event per symbol.
async function publishRounds(rounds) {
  for (const round of rounds) {
    const r = await publishJson({ events: Object.entries(round).map(([sym, price]) => ({ channel: 'ticker:nasdaq', key: sym, data: { price } })) });
    for (const item of r.results) assert.ok(!item.error, `batch item refused: ${JSON.stringify(item)}`);
  }
}

if (session.ok) {
  const token = mint('42');

  await test('a page opened after ten increments shows 10 at once, then follows live increments', async () => {
    const values = [];
    for (let i = 0; i < 10; i++) values.push((await incr()).value);
    assert.deepEqual(values, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 'each incr replies with the new value');
    // No channel= : the token's sub adds user:42. Through the proxy, so the next test can cut it.
    proxy.requests.length = 0;
    await page.evaluate((u) => window.openBadge(u), `${proxy.url}/v1/sse?token=${token}`);
    let s = await waitBadge('10');
    assert.deepEqual(s.shown, [10], 'the snapshot: the current count, not ten increments replayed');
    assert.equal(s.resets, 0);
    assert.equal((await incr()).value, 11);
    assert.equal((await incr(2)).value, 13);
    s = await waitBadge('13');
    assert.deepEqual(s.shown, [10, 11, 13], 'live increments, one event each');
    assert.equal(s.opens, 1);
    assert.equal(s.errors, 0);
    assert.equal(header(proxy.requests[0], 'Last-Event-ID'), null, 'the first request has no Last-Event-ID');
  });

  await test('the browser reconnects by itself (Last-Event-ID) and the badge catches up by key: one event', async () => {
    const before = await badgeState();
    assert.ok(before.lastEventId, 'the page has seen an id');
    assert.ok(proxy.cut() > 0, 'the proxy had the stream open');
    try {
      await page.waitForFunction(() => window.badge.errors >= 1, null, { timeout: WAIT_MS });
    } catch (e) {
      throw new Error(`the page did not notice the dropped stream: ${JSON.stringify(await badgeState())}`);
    }
    // While the browser waits out herald's retry (2 s): three increments and another key.
    for (let i = 0; i < 3; i++) await incr();
    await publishJson({ channel: 'user:42', key: 'mail', data: { from: 'ana', subject: 'hi' } });
    await waitBadgeOpens(2, RECONNECT_MS);
    const s = await waitBadge('16');
    assert.deepEqual(s.shown, [10, 11, 13, 16], 'caught up with the latest count, not 14, 15, 16 one by one');
    assert.equal(s.resets, 0, 'no reset: the cursor is covered');
    const mine = proxy.requests.filter((r) => r.includes('/v1/sse?token='));
    assert.equal(mine.length, 2, 'exactly one reconnect');
    assert.equal(header(mine[1], 'Last-Event-ID'), before.lastEventId, 'the browser resent the id of the last event it saw');
    assert.equal((await incr()).value, 17);
    assert.deepEqual((await waitBadge('17')).shown, [10, 11, 13, 16, 17], 'live again, nothing twice');
  });

  await test('a page that was away comes back with ?since= and shows the right count; a fresh tab shows it too', async () => {
    const saved = await page.evaluate(() => window.closeBadge());
    assert.ok(saved, 'the page kept the id of its last event');
    for (let i = 0; i < 5; i++) await incr();                 // 22
    assert.equal((await incr(-2)).value, 20, 'a negative incr subtracts');
    await page.evaluate(() => { window.badge.shown = []; });
    await page.evaluate((u) => window.openBadge(u), `${HERALD}/v1/sse?token=${token}&since=${encodeURIComponent(saved)}`);
    const s = await waitBadge('20');
    assert.deepEqual(s.shown, [20], 'one event for the key, however many changes it missed');
    assert.equal(s.resets, 0);

    // Another tab of the same user, opened now without a cursor: the snapshot of both keys.
    const other = await page.context().newPage();
    try {
      await other.goto(session.pageUrl, { timeout: WAIT_MS });
      await other.evaluate((u) => window.openBadge(u), `${HERALD}/v1/sse?token=${token}`);
      await other.waitForFunction(() => window.badgeText() === '20', null, { timeout: WAIT_MS });
      assert.deepEqual(await other.evaluate(() => window.badge.shown), [20]);
    } finally {
      await other.close();
    }
  });

  await test('a deleted counter hides the badge, and the next increment starts again from 1', async () => {
    await publishJson({ channel: 'user:42', key: 'unread', delete: true });
    let s = await waitBadge('');
    assert.equal(s.shown[s.shown.length - 1], 0, 'the deletion arrives as an event with deleted:true');
    assert.equal((await incr()).value, 1);
    s = await waitBadge('1');
    const latest = JSON.parse((await getInternal('/v1/channels/user:42/latest')).body);
    assert.deepEqual(latest.events.map((e) => [e.key, e.data]),
                     [['mail', { from: 'ana', subject: 'hi' }], ['unread', 1]], 'GET /latest agrees with the page');
  });

  const SYMBOLS = ['AAPL', 'AMZN', 'GOOG', 'MSFT', 'NVDA'];
  const priceAt = (sym, round) => Math.round((100 + SYMBOLS.indexOf(sym) * 50 + round * 0.25) * 100) / 100;
  const roundOf = (r) => Object.fromEntries(SYMBOLS.map((s) => [s, priceAt(s, r)]));

  await test('the ticker shows the latest price of every symbol after a conflated burst, never a stale one', async () => {
    await publishRounds([roundOf(0)]);  // before the page opens: the snapshot
    proxy.requests.length = 0;
    await page.evaluate((u) => window.openTicker(u), `${proxy.url}/v1/sse?channel=ticker:nasdaq`);
    let s = await waitTable(tableOf(roundOf(0)));
    assert.deepEqual(s.events.map((e) => e.key), SYMBOLS, 'the snapshot: one event per symbol, oldest first');

    const ROUNDS = 200;
    const rounds = [];
    for (let r = 1; r <= ROUNDS; r++) rounds.push(roundOf(r));
    const t0 = Date.now();
    await publishRounds(rounds);
    const burstMs = Date.now() - t0;
    s = await waitTable(tableOf(roundOf(ROUNDS)));
    const live = s.events.slice(SYMBOLS.length);
    const published = ROUNDS * SYMBOLS.length;
    // At most one event per key per window, plus the window's leading event: far fewer than published.
    const windows = Math.ceil(burstMs / parseInt(tickerPolicy.conflate, 10)) + 2;
    assert.ok(live.length <= windows * SYMBOLS.length * 2,
              `conflated: ${live.length} events for ${published} publishes over ${burstMs} ms`);
    assert.ok(live.length < published, `conflated: ${live.length} events for ${published} publishes`);
    for (let i = 1; i < s.events.length; i++)
      assert.ok(s.events[i].offset > s.events[i - 1].offset, `offsets ascend: ${JSON.stringify(s.events.slice(i - 1, i + 1))}`);
    for (const sym of SYMBOLS) {
      const prices = s.events.filter((e) => e.key === sym).map((e) => e.price);
      for (let i = 1; i < prices.length; i++) assert.ok(prices[i] > prices[i - 1], `${sym} never goes back: ${prices.join(' ')}`);
    }
    console.log(`       (${published} publishes in ${burstMs} ms reached the page as ${live.length} events)`);
  });

  await test('a ticker that was cut off catches up with one event per symbol, the latest', async () => {
    const before = (await tickerState()).events.length;
    assert.ok(proxy.cut() > 0, 'the proxy had the ticker open');
    try {
      await page.waitForFunction(() => window.ticker.errors >= 1, null, { timeout: WAIT_MS });
    } catch (e) {
      throw new Error('the page did not notice the dropped ticker stream');
    }
    const rounds = [];
    for (let r = 201; r <= 260; r++) rounds.push(roundOf(r));
    await publishRounds(rounds);
    const s = await waitTable(tableOf(roundOf(260)), RECONNECT_MS);
    const caughtUp = s.events.slice(before);
    assert.deepEqual(caughtUp.map((e) => [e.key, e.price]), SYMBOLS.map((sym) => [sym, priceAt(sym, 260)]),
                     'one event per symbol, its latest price, nothing stale');
    assert.equal(s.resets, 0);
    assert.equal(s.opens, 2, 'one reconnect');
    const mine = proxy.requests.filter((r) => r.includes('channel=ticker:nasdaq'));
    assert.ok(header(mine[mine.length - 1], 'Last-Event-ID'), 'the reconnect carried Last-Event-ID');
  });

  await test('a deleted symbol disappears from the table, and from a fresh page\'s snapshot', async () => {
    await publishJson({ channel: 'ticker:nasdaq', key: 'GOOG', delete: true });
    const want = tableOf(roundOf(260));
    delete want.GOOG;
    const s = await waitTable(want);
    const last = s.events[s.events.length - 1];
    assert.deepEqual([last.key, last.deleted], ['GOOG', true]);
    // A later update of the others still lands.
    await publishRounds([{ AAPL: 999.5 }]);
    want.AAPL = '999.50';
    await waitTable(want);

    const other = await page.context().newPage();
    try {
      await other.goto(session.pageUrl, { timeout: WAIT_MS });
      await other.evaluate((u) => window.openTicker(u), `${HERALD}/v1/sse?channel=ticker:nasdaq`);
      await other.waitForFunction((w) => JSON.stringify(window.tickerTable()) === w, JSON.stringify(want), { timeout: WAIT_MS });
      const keys = await other.evaluate(() => window.ticker.events.map((e) => e.key));
      assert.deepEqual(keys, ['AMZN', 'MSFT', 'NVDA', 'AAPL'], 'the snapshot: live keys only, oldest change first');
    } finally {
      await other.close();
    }
  });
}

await finish(session, 'browser.keyed', SCREENSHOT);
