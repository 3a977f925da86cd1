// The examples (examples/app.py and its three pages on clients/js/herald.js) in a real Chromium,
// checked as a person sees them: the unread badge shows 0, 3 after three "Send me a message"
// clicks, 0 after "Mark all read", the right count after a reload and in a second tab (which shares
// the first tab's one connection); a posted headline appears in the news feed once, survives a
// reload, and headlines posted while the connection was cut show up once it is back; "N watching"
// counts connections, not tabs (two tabs of one browser share one: "1 watching"; a second browser
// makes it 2 in every tab, 1 again once it closes); the ticker
// shows every symbol herald holds with a price that keeps changing, conflated (fewer updates than
// published), and again after a cut. Plus the app's refusals (no session, another origin, bad input).
// Started by run.sh, which gives this file a herald of its own with the arguments of the line below
// (examples/herald.json: prices keyed and conflated, user:* keyed, news with history and occupancy; auth on with
// a secret made for the run). The test starts the app itself on HERALD_PAGE_PORT with that secret,
// publishing to herald's internal listener, its pages connecting to herald through the harness
// proxy (so the test can cut the connection).
// herald-args: --config ../../examples/herald.json --jwt-secret $HERALD_JWT_SECRET
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import {
  PUBLIC_PORT, PAGE_PORT, CHROMIUM, WAIT_MS, requireEnv, getInternal, startProxy, test, finish,
} from './harness.mjs';

requireEnv('examples.test.mjs', ['HERALD_PUBLIC_PORT', 'HERALD_INTERNAL_PORT', 'HERALD_PAGE_PORT']);
const SECRET = process.env.HERALD_JWT_SECRET || '';
if (!SECRET) {
  console.error('examples.test.mjs: set HERALD_JWT_SECRET (run it through run.sh)');
  process.exit(2);
}
const APP_PY = fileURLToPath(new URL('../../examples/app.py', import.meta.url));
const APP = `http://127.0.0.1:${PAGE_PORT}`;
const SCREENSHOT = process.env.HERALD_SCREENSHOT_EXAMPLES || '/tmp/herald-browser-examples.png';
const RECONNECT_MS = 20_000;  // the client's backoff tops out at 15 s; generous for a loaded CI machine
const CONFIG = JSON.parse(readFileSync(new URL('../../examples/herald.json', import.meta.url), 'utf8'));
const pricesPolicy = CONFIG.channels.find((c) => c.pattern === 'prices');
assert.ok(pricesPolicy && pricesPolicy.keyed && pricesPolicy.conflate, 'examples/herald.json has a keyed, conflated prices');
const CONFLATE_MS = Number(/^(\d+)ms$/.exec(pricesPolicy.conflate)?.[1]);
assert.ok(CONFLATE_MS > 0, `prices conflate '${pricesPolicy.conflate}' is in ms`);
assert.ok(CONFIG.channels.some((c) => c.pattern === 'news' && c.occupancy === true), 'examples/herald.json: news has occupancy');
const COUNT_MS = WAIT_MS + 3000;  // a count follows within herald's default 1 s interval; generous for CI

// ---------------------------------------------------------------- the app

const appLines = [];
function startApp(publicUrl) {
  const env = { ...process.env, HERALD_INTERNAL_URL: `http://127.0.0.1:${process.env.HERALD_INTERNAL_PORT}`,
                HERALD_PUBLIC_URL: publicUrl, HERALD_JWT_SECRET: SECRET, APP_HOST: '127.0.0.1', APP_PORT: String(PAGE_PORT) };
  delete env.HERALD_API_KEY;  // this herald has none
  const child = spawn('python3', [APP_PY], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  for (const s of [child.stdout, child.stderr]) {
    s.setEncoding('utf8');
    s.on('data', (d) => appLines.push(...d.split('\n').filter(Boolean)));
  }
  child.on('error', (e) => appLines.push(`cannot run python3: ${e.message}`));
  return child;
}

// A request to the app from outside a browser: {status, headers, body}.
function appRequest(method, path, { body = '', headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${APP}${path}`, { method, timeout: WAIT_MS, headers: { 'Content-Length': Buffer.byteLength(body), ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => { text += c; });
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: text }));
      });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no reply in ${WAIT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}
const postHeadline = (title) =>
  appRequest('POST', '/api/news', { body: JSON.stringify({ title }), headers: { 'Content-Type': 'application/json' } });

async function waitForApp(child) {
  const deadline = Date.now() + WAIT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the app exited (${child.exitCode}): ${appLines.join(' | ')}`);
    try {
      if ((await appRequest('GET', '/')).status === 200) return;
    } catch (e) { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the app did not answer ${APP}/ in ${WAIT_MS} ms: ${appLines.join(' | ')}`);
}

// ---------------------------------------------------------------- what the pages show

// Waits until fn(arg) in the page returns true; on timeout says what describe(arg) returned.
async function waitUntil(page, fn, arg, describe, what, timeout = WAIT_MS) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 50 });
  } catch (e) {
    throw new Error(`${what}: not so after ${timeout} ms; the page shows ${JSON.stringify(await page.evaluate(describe, arg))}`);
  }
}
const waitText = (page, sel, expected, what, timeout) =>
  waitUntil(page, ([s, x]) => document.querySelector(s)?.textContent === x, [sel, expected],
            ([s]) => document.querySelector(s)?.textContent ?? null, what, timeout);
const waitStatus = (page, state, timeout = WAIT_MS) =>
  waitUntil(page, (x) => document.getElementById('status')?.dataset.state === x, state,
            () => document.getElementById('status')?.textContent, `the status is ${state}`, timeout);
const headlines = (page) => page.$$eval('#headlines li', (lis) => lis.map((li) => li.childNodes[1]?.textContent ?? ''));
const table = (page) => page.$$eval('#prices tr', (trs) => Object.fromEntries(trs.map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent])));

// herald's own view of a keyed channel: {key: data}.
async function latest(channel) {
  const r = await getInternal(`/v1/channels/${encodeURIComponent(channel)}/latest`);
  assert.equal(r.status, 200, `GET /v1/channels/${channel}/latest: ${r.body}`);
  return Object.fromEntries(JSON.parse(r.body).events.map((e) => [e.key, e.data]));
}

// ---------------------------------------------------------------- main

let anyFailed = false;  // to show the app's output after a failure
const check = (name, fn) => test(name, async () => {
  try {
    await fn();
  } catch (e) {
    anyFailed = true;
    throw e;
  }
});

const proxy = await startProxy(PUBLIC_PORT);
const app = startApp(proxy.url);
const stopApp = () => { if (app.exitCode === null) app.kill('SIGTERM'); };
process.on('exit', stopApp);
const session = { proxy, pageServer: { close: stopApp }, browser: null, page: null, consoleLines: [], ok: false };
const newPage = async () => {
  const context = await session.browser.newContext({ viewport: { width: 900, height: 600 } });
  const page = await context.newPage();
  page.on('console', (m) => session.consoleLines.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => session.consoleLines.push(`pageerror: ${e.message}`));
  session.page = page;  // the last page opened is the one finish() screenshots
  return page;
};

await check('setup: the app serves its pages and Chromium starts', async () => {
  await waitForApp(app);
  session.browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true, timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run',
           '--disable-component-update', '--disable-sync'],
  });
  session.ok = true;
  console.log(`browser: ${session.browser.version()}, app ${APP}, herald ${proxy.url} (proxy to 127.0.0.1:${PUBLIC_PORT})`);
});

if (session.ok) {
  await check('the index page links the three examples', async () => {
    const page = await newPage();
    await page.goto(`${APP}/`, { timeout: WAIT_MS });
    const links = await page.$$eval('a', (as) => as.map((a) => new URL(a.href).pathname));
    for (const p of ['/badge', '/news', '/ticker']) assert.ok(links.includes(p), `a link to ${p} among ${links}`);
    await page.context().close();
  });

  await check('badge: 0, then 3 after three messages, 0 after mark all read, the count after a reload and in a second tab', async () => {
    const page = await newPage();
    await page.goto(`${APP}/badge`, { timeout: WAIT_MS });
    // Not logged in: the login form.
    await page.fill('#user', '42');
    await page.click('#login');
    await page.waitForSelector('#badge', { timeout: WAIT_MS });
    await waitStatus(page, 'live');
    assert.equal(await page.textContent('#user'), '42');
    await waitText(page, '#badge', '0', 'the badge shows 0');

    for (let i = 0; i < 3; i++) await page.click('#send');
    await waitText(page, '#badge', '3', 'the badge shows 3 after three messages');
    assert.deepEqual(await latest('user:42'), { unread: 3 }, 'herald holds unread 3 for user:42');

    await page.click('#read');
    await waitText(page, '#badge', '0', 'the badge shows 0 after mark all read');
    assert.deepEqual(await latest('user:42'), { unread: 0 });

    await page.click('#send');
    await page.click('#send');
    await waitText(page, '#badge', '2', 'the badge shows 2');
    await page.reload({ timeout: WAIT_MS });
    await waitStatus(page, 'live');
    await waitText(page, '#badge', '2', 'the badge shows 2 after a reload');

    // A second tab of the same user: the count at once, one connection to herald for both, and a
    // message sent from it shows in both.
    const tab2 = await page.context().newPage();
    await tab2.goto(`${APP}/badge`, { timeout: WAIT_MS });
    await waitStatus(tab2, 'live');
    await waitText(tab2, '#badge', '2', 'the second tab shows 2');
    const conns = JSON.parse((await getInternal('/v1/connections?user=42')).body);
    assert.equal(conns.total, 1, `one connection of user 42 for two tabs: ${JSON.stringify(conns.connections)}`);
    assert.ok(conns.connections[0].channels.includes('user:42'));
    await tab2.click('#send');
    await waitText(tab2, '#badge', '3', 'the second tab shows 3');
    await waitText(page, '#badge', '3', 'the first tab shows 3 too');
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-badge.png') });
    await page.context().close();
  });

  await check('badge: another user sees their own count, not 42\'s', async () => {
    const page = await newPage();
    await page.goto(`${APP}/badge`, { timeout: WAIT_MS });
    await page.fill('#user', 'alice');
    await page.click('#login');
    await page.waitForSelector('#badge', { timeout: WAIT_MS });
    await waitStatus(page, 'live');
    await page.click('#send');
    await waitText(page, '#badge', '1', "alice's badge shows 1");
    assert.equal((await latest('user:42')).unread, 3, "user 42's count is untouched");
    await page.context().close();
  });

  await check('news: history on open, a posted headline appears once, survives a reload and a cut connection', async () => {
    const run = Math.random().toString(36).slice(2, 8);
    const h0 = `Before the page opened ${run}`;
    const h1 = `Posted from the page <b>${run}</b>`;   // markup must show as text
    const [h2, h3] = [`While cut, one ${run}`, `While cut, two ${run}`];
    assert.equal((await postHeadline(h0)).status, 200);

    const page = await newPage();
    await page.goto(`${APP}/news`, { timeout: WAIT_MS });
    await waitStatus(page, 'live');
    await waitUntil(page, (x) => [...document.querySelectorAll('#headlines li')].some((li) => li.textContent.includes(x)), h0,
                    () => document.getElementById('headlines').innerText, 'the earlier headline is listed');

    await page.fill('#headline', h1);
    await page.click('#post');
    await waitUntil(page, (x) => document.querySelector('#headlines li')?.childNodes[1]?.textContent === x, h1,
                    () => document.getElementById('headlines').innerText, 'the posted headline is on top');
    assert.equal(await page.inputValue('#headline'), '', 'the form is cleared');
    assert.equal(await page.$$eval('#headlines b', (bs) => bs.length), 0, 'no markup from a headline');
    assert.deepEqual(await headlines(page), [h1, h0]);

    await page.reload({ timeout: WAIT_MS });
    await waitStatus(page, 'live');
    await waitUntil(page, () => document.querySelectorAll('#headlines li').length >= 2, null,
                    () => document.getElementById('headlines').innerText, 'two headlines after the reload');
    assert.deepEqual(await headlines(page), [h1, h0], 'the same headlines after a reload, once each');

    // Cut the connection and keep herald unreachable while two headlines are posted.
    const port = new URL(proxy.url).port;
    await new Promise((resolve) => { proxy.server.close(resolve); proxy.cut(); });
    await waitStatus(page, 'reconnecting');
    for (const h of [h2, h3]) assert.equal((await postHeadline(h)).status, 200);
    await new Promise((resolve) => proxy.server.listen(Number(port), '127.0.0.1', resolve));
    await waitStatus(page, 'live', RECONNECT_MS);
    await waitUntil(page, () => document.querySelectorAll('#headlines li').length >= 4, null,
                    () => document.getElementById('headlines').innerText, 'four headlines after the reconnect');
    await new Promise((r) => setTimeout(r, 300));  // nothing more (no repeats) arrives
    assert.deepEqual(await headlines(page), [h3, h2, h1, h0], 'what was posted while cut, once each, newest first');
    await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-news.png') });
    await page.context().close();
  });

  await check('news: "N watching" counts connections: two tabs of one browser are 1, a second browser makes 2, then 1', async () => {
    const watching = (page, n, what) => waitText(page, '#watching', `${n} watching`, what, COUNT_MS);
    const tab1 = await newPage();
    await tab1.goto(`${APP}/news`, { timeout: WAIT_MS });
    await waitStatus(tab1, 'live');
    await watching(tab1, 1, 'the first tab shows 1 watching');

    // A second tab of the same browser joins the first tab's connection: still one subscriber.
    const tab2 = await tab1.context().newPage();
    await tab2.goto(`${APP}/news`, { timeout: WAIT_MS });
    await waitStatus(tab2, 'live');
    await watching(tab2, 1, 'the second tab shows the shared connection\'s count, 1 watching');
    const onNews = async () => JSON.parse((await getInternal('/v1/connections')).body).connections
      .filter((c) => c.channels.includes('news')).length;
    assert.equal(await onNews(), 1, 'one connection to herald on news for two tabs');
    await new Promise((r) => setTimeout(r, 1500));  // past an interval: the count stays 1
    for (const t of [tab1, tab2]) assert.equal(await t.textContent('#watching'), '1 watching');

    // Another browser (a context of its own: no shared locks) has a connection of its own.
    const other = await newPage();
    await other.goto(`${APP}/news`, { timeout: WAIT_MS });
    await waitStatus(other, 'live');
    for (const [t, name] of [[tab1, 'first'], [tab2, 'second'], [other, "other browser's"]]) {
      await watching(t, 2, `the ${name} tab shows 2 watching`);
    }
    assert.equal(await onNews(), 2);
    await tab1.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-watching.png') });

    await other.context().close();
    for (const [t, name] of [[tab1, 'first'], [tab2, 'second']]) await watching(t, 1, `the ${name} tab shows 1 watching again`);
    await tab1.context().close();
  });

  await check('ticker: every symbol herald holds, prices that change, conflated, and again after a cut', async () => {
    const symbols = Object.keys(await latest('prices')).sort();
    assert.ok(symbols.length >= 3, `the app publishes several symbols: ${symbols}`);
    const page = await newPage();
    await page.goto(`${APP}/ticker`, { timeout: WAIT_MS });
    await waitStatus(page, 'live');
    await waitUntil(page, (syms) => {
      const rows = [...document.querySelectorAll('#prices tr')];
      return rows.length === syms.length && rows.every((tr, i) => tr.cells[0].textContent === syms[i] &&
                                                                 /^\d+\.\d\d$/.test(tr.cells[1].textContent));
    }, symbols, () => document.getElementById('prices').innerText, `one row per symbol (${symbols}) with a price`);

    // The shown prices are herald's (within what a few ticks move them), not another symbol's.
    const shown = await table(page);
    const held = await latest('prices');
    for (const s of symbols) {
      const diff = Math.abs(Number(shown[s]) - held[s].price) / held[s].price;
      assert.ok(diff < 0.02, `${s}: the page shows ${shown[s]}, herald holds ${held[s].price}`);
    }

    // Every price changes, and the page gets at most one update per symbol per window.
    const offset0 = JSON.parse((await getInternal('/v1/channels/prices')).body).last_offset;
    const updates0 = Number(await page.textContent('#updates'));
    const t0 = Date.now();
    await waitUntil(page, (first) => [...document.querySelectorAll('#prices tr')]
      .every((tr) => tr.cells[1].textContent !== first[tr.cells[0].textContent]), shown,
    () => document.getElementById('prices').innerText, 'every price changed');
    await new Promise((r) => setTimeout(r, Math.max(0, 3000 - (Date.now() - t0))));
    const updates = Number(await page.textContent('#updates')) - updates0;
    const published = JSON.parse((await getInternal('/v1/channels/prices')).body).last_offset - offset0;
    const seconds = (Date.now() - t0) / 1000;
    const bound = symbols.length * (seconds * 1000 / CONFLATE_MS + 2);
    assert.ok(updates > 0 && updates <= bound, `${updates} updates in ${seconds} s: at most ${bound} with conflate ${CONFLATE_MS} ms`);
    assert.ok(published > bound, `herald got ${published} publishes in ${seconds} s, more than conflation lets through`);

    // A cut: the page reconnects and the prices move again.
    proxy.cut();
    await waitStatus(page, 'reconnecting');
    await waitStatus(page, 'live', RECONNECT_MS);
    const after = await table(page);
    assert.deepEqual(Object.keys(after), symbols, 'every symbol still listed after the reconnect');
    await waitUntil(page, (first) => [...document.querySelectorAll('#prices tr')]
      .every((tr) => tr.cells[1].textContent !== first[tr.cells[0].textContent]), after,
    () => document.getElementById('prices').innerText, 'every price changed after the reconnect');
  });

  await check('the app refuses: no session, another origin, bad user ids and headlines, big bodies', async () => {
    assert.equal((await appRequest('GET', '/token')).status, 401);
    assert.equal((await appRequest('POST', '/api/unread/incr')).status, 401);
    const crossSite = await appRequest('POST', '/api/news', { body: '{"title":"x"}', headers: { Origin: 'http://evil.example' } });
    assert.equal(crossSite.status, 403, crossSite.body);
    for (const user of ['', 'a:b', 'x'.repeat(65), 'ü']) {
      const r = await appRequest('POST', '/login', { body: `user=${encodeURIComponent(user)}`,
                                                    headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      assert.equal(r.status, 400, `user ${JSON.stringify(user)}: ${r.body}`);
    }
    for (const body of ['{}', '{"title":""}', '{"title":"a\\nb"}', `{"title":"${'x'.repeat(201)}"}`, '{"title":7}', 'nope']) {
      const r = await appRequest('POST', '/api/news', { body, headers: { 'Content-Type': 'application/json' } });
      assert.equal(r.status, 400, `headline body ${body.slice(0, 40)}: ${r.body}`);
    }
    assert.equal((await appRequest('POST', '/api/news', { body: 'x'.repeat(5000) })).status, 413);
    const forged = await appRequest('GET', '/token', { headers: { Cookie: 'example_session=42.0000' } });
    assert.equal(forged.status, 401, 'a made-up session cookie is no session');
    // A token the app signs opens user:<id> on herald, and only that.
    const login = await appRequest('POST', '/login', { body: 'user=7', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(login.status, 303);
    const cookie = login.headers['set-cookie'][0].split(';')[0];
    const token = (await appRequest('GET', '/token', { headers: { Cookie: cookie } })).body;
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());
    assert.equal(payload.sub, '7');
    assert.ok(payload.exp > Date.now() / 1000 && payload.exp < Date.now() / 1000 + 3600, `exp ${payload.exp}`);
    const other = await new Promise((resolve, reject) => {
      http.get(`http://127.0.0.1:${PUBLIC_PORT}/v1/sse?channel=user:42&token=${token}`, (res) => { res.resume(); resolve(res.statusCode); })
        .on('error', reject);
    });
    assert.equal(other, 403, "user 7's token does not open user:42");
  });
}

if (anyFailed) console.log('app output (last lines):\n' + appLines.slice(-30).map((l) => '  ' + l).join('\n'));
await finish(session, 'examples.test.mjs', SCREENSHOT);
