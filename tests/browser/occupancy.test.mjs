// Occupancy in a real Chromium: a plain page (a bare EventSource or WebSocket, no client library, as
// docs/lifecycle.md "Occupancy" shows it) writes "N watching" from herald.occupancy. One tab shows
// "1 watching"; two more make every tab show "3 watching"; closing one makes the others show
// "2 watching"; a WebSocket page counts with the EventSource ones (op occupancy); a count that does
// not change is not sent again; a channel without occupancy: true never shows a count.
// Started by run.sh, which gives this file a herald of its own with the arguments of the line below
// (occupancy.config.json: live:* has occupancy: true, presence.occupancy_interval is 200 ms).
// herald-args: --config occupancy.config.json
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PUBLIC_PORT, WAIT_MS, requireEnv, publishText, test, startSession, finish } from './harness.mjs';

requireEnv('occupancy.test.mjs', ['HERALD_PUBLIC_PORT', 'HERALD_INTERNAL_PORT']);
const SCREENSHOT = process.env.HERALD_SCREENSHOT_OCCUPANCY || '/tmp/herald-browser-occupancy.png';
const HERALD = `http://127.0.0.1:${PUBLIC_PORT}`;

// The config herald runs with, so the test and its herald cannot disagree about the interval.
const CONFIG = JSON.parse(readFileSync(new URL('./occupancy.config.json', import.meta.url), 'utf8'));
const INTERVAL_MS = CONFIG.presence.occupancy_interval;
assert.ok(Number.isInteger(INTERVAL_MS) && INTERVAL_MS <= 500, 'occupancy.config.json: a short presence.occupancy_interval');
assert.ok(CONFIG.channels.some((c) => c.pattern === 'live:*' && c.occupancy === true), 'occupancy.config.json: live:* has occupancy');
const COUNT_MS = WAIT_MS + 5 * INTERVAL_MS;  // a count is due within an interval; generous for CI

// ---------------------------------------------------------------- the page

// /#channel=NAME[&transport=ws] (the page server serves / only, without a query). The two listeners are the whole feature as a page uses it; the
// rest records what happened for the test (window.counts: every count shown; window.stray: an
// occupancy event naming another channel; window.messages: ordinary events, to prove the stream is live).
const PAGE = String.raw`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>herald occupancy test</title>
<link rel="icon" href="data:,">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 12px; }
  #watching { display: inline-block; padding: 2px 8px; border-radius: 10px; background: #e33; color: #fff; font-weight: bold; }
  #watching:empty { display: none; }
</style></head>
<body>
<h1 style="font-size:16px">herald &middot; <span id="channel"></span> <span id="watching"></span></h1>
<p id="transport"></p>
<script>
  const q = new URLSearchParams(location.hash.slice(1));
  const channel = q.get('channel');
  window.counts = [];
  window.stray = [];
  window.messages = [];
  window.opened = false;
  document.getElementById('channel').textContent = channel || '(no channel)';
  const show = (c, n) => {
    if (c !== channel) { window.stray.push([c, n]); return; }
    window.counts.push(n);
    document.getElementById('watching').textContent = n + ' watching';
  };
  if (channel && q.get('transport') === 'ws') {
    document.getElementById('transport').textContent = 'WebSocket';
    const ws = new WebSocket('${HERALD.replace(/^http/, 'ws')}/v1/ws');
    ws.onopen = () => ws.send(JSON.stringify({ op: 'subscribe', channel, id: 'sub' }));
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.op === 'subscribed') window.opened = true;
      else if (m.op === 'occupancy') show(m.channel, m.subscribers);
      else if (m.op === 'event') window.messages.push(m.data);
    };
  } else if (channel) {
    document.getElementById('transport').textContent = 'EventSource';
    const es = new EventSource('${HERALD}/v1/sse?channel=' + encodeURIComponent(channel));
    es.onopen = () => { window.opened = true; };
    es.onmessage = (e) => window.messages.push(e.data);
    es.addEventListener('herald.occupancy', (e) => {
      const d = JSON.parse(e.data);
      show(d.channel, d.subscribers);
    });
  }
</script>
</body></html>`;

const session = await startSession({
  html: PAGE, viewport: { width: 640, height: 200 }, herald: HERALD, extra: `occupancy interval ${INTERVAL_MS} ms`,
});

const run = Date.now().toString(36);
const live = `live:match-${run}`;
const tabs = [];  // {page, transport}

async function open(channel, transport = 'sse') {
  const first = tabs.length === 0 && !session.used;  // startSession's page is the first tab
  const page = first ? session.page : await session.page.context().newPage();
  session.used = true;
  if (!first) page.on('pageerror', (e) => session.consoleLines.push(`pageerror: ${e.message}`));
  if (first) await page.goto('about:blank');  // else a new #fragment would not load the page again
  await page.goto(`${session.pageUrl}#channel=${encodeURIComponent(channel)}${transport === 'ws' ? '&transport=ws' : ''}`,
                  { timeout: WAIT_MS });
  await page.waitForFunction(() => window.opened, null, { timeout: WAIT_MS });
  const tab = { page, transport, channel };
  tabs.push(tab);
  return tab;
}

async function close(tab) {
  tabs.splice(tabs.indexOf(tab), 1);
  await tab.page.close();
}

const text = (tab) => tab.page.evaluate(() => document.getElementById('watching').textContent);

// Every tab on channel shows "n watching", and no tab ever saw a count above the most there were.
async function allShow(n, most = n) {
  const on = tabs.filter((t) => t.channel === live);
  for (const t of on) {
    try {
      await t.page.waitForFunction((want) => document.getElementById('watching').textContent === want,
                                   `${n} watching`, { timeout: COUNT_MS });
    } catch (e) {
      const counts = await t.page.evaluate(() => window.counts);
      throw new Error(`a ${t.transport} tab shows ${JSON.stringify(await text(t))}, not "${n} watching" ` +
                      `(counts it got: ${JSON.stringify(counts)})`);
    }
    const { counts, stray } = await t.page.evaluate(() => ({ counts: window.counts, stray: window.stray }));
    assert.deepEqual(stray, [], 'no occupancy event names another channel');
    assert.ok(counts.every((c) => Number.isInteger(c) && c >= 1 && c <= most),
              `every count a ${t.transport} tab got is 1..${most}: ${JSON.stringify(counts)}`);
  }
}

// While nobody comes or goes, no tab gets another count (sent only when it changed).
async function steady() {
  const before = await Promise.all(tabs.map((t) => t.page.evaluate(() => window.counts.length)));
  await new Promise((r) => setTimeout(r, 5 * INTERVAL_MS));
  const after = await Promise.all(tabs.map((t) => t.page.evaluate(() => window.counts.length)));
  assert.deepEqual(after, before, `no count is sent again while it stays the same (${5 * INTERVAL_MS} ms)`);
}

if (session.ok) {
  await test('one tab shows "1 watching"', async () => {
    await open(live);
    await allShow(1);
    await steady();
  });

  await test('two more tabs: all three show "3 watching"', async () => {
    await open(live);
    await open(live);
    await allShow(3);
    await steady();
  });

  await test('a tab closes: the other two show "2 watching"', async () => {
    await close(tabs[1]);
    await allShow(2, 3);
    await steady();
  });

  await test('a WebSocket page counts with the EventSource pages (op occupancy)', async () => {
    const ws = await open(live, 'ws');
    await allShow(3);
    await close(tabs.filter((t) => t.transport === 'sse').pop());  // the first tab stays, for the screenshot
    await allShow(2, 3);
    assert.equal(await text(ws), '2 watching');
    assert.deepEqual(tabs.map((t) => t.transport).sort(), ['sse', 'ws']);
  });

  await test('a channel without occupancy: true never shows a count', async () => {
    const quiet = `quiet:match-${run}`;
    const a = await open(quiet);
    const b = await open(quiet, 'ws');
    const c = await open(quiet);
    await close(c);  // comings and goings, as above
    const r = await publishText(quiet, 'hello');
    assert.ok(r && r.offset !== undefined, `publish to ${quiet}: ${JSON.stringify(r)}`);
    for (const t of [a, b]) {
      await t.page.waitForFunction(() => window.messages.length > 0, null, { timeout: WAIT_MS });  // the stream is live
    }
    await new Promise((res) => setTimeout(res, 5 * INTERVAL_MS));
    for (const t of [a, b]) {
      const seen = await t.page.evaluate(() => ({ counts: window.counts, stray: window.stray }));
      assert.deepEqual(seen, { counts: [], stray: [] }, `the ${t.transport} tab on ${quiet} got no occupancy`);
      assert.equal(await text(t), '', `the ${t.transport} tab on ${quiet} shows no count`);
    }
    // Meanwhile the live channel's count is unchanged by them.
    for (const t of tabs.filter((x) => x.channel === live)) assert.equal(await text(t), '2 watching');
  });
}

await finish(session, 'occupancy', SCREENSHOT);
