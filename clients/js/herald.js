// herald browser client: one API over WebSocket or EventSource, reconnects with jittered backoff
// that resume from the last position, herald.reset / herald.gap / herald.disconnect /
// herald.occupancy as events,
// keyed channels as live Maps, a token hook called before every connect, and one connection for
// all tabs of an origin (leader elected with Web Locks, events fanned out over BroadcastChannel).
// No dependencies. See README.md for usage and herald's docs/api.md for the wire formats.

const CHANNEL_RE = /^[A-Za-z0-9_.:@/=-]{1,200}$/;
const TRANSPORTS = ['websocket', 'eventsource'];
// Close codes after which reconnecting cannot help (docs/close-codes.md): protocol errors and 41xx.
const FINAL_CLOSE = new Set([1002, 1003, 1007, 1009]);
const isFinalCode = (code) => FINAL_CLOSE.has(code) || (code >= 4100 && code <= 4199);
// The names herald gives its close codes (docs/close-codes.md), so a WebSocket's disconnect reads
// like the SSE herald.disconnect event.
const CODE_NAMES = {
  1000: 'normal', 1001: 'going_away', 1002: 'protocol_error', 1003: 'unsupported_data', 1007: 'invalid_payload',
  1009: 'message_too_big', 1011: 'internal_error', 1012: 'shutdown', 4001: 'slow_consumer', 4002: 'token_expired',
  4003: 'idle_timeout', 4004: 'broker_unavailable', 4100: 'forbidden', 4101: 'bad_request', 4102: 'user_disconnected',
  4103: 'origin_not_allowed',
};
// A close the server chose (a close frame with a code), as opposed to a dropped connection.
const isServerCode = (code) => code >= 1001 && code !== 1005 && code !== 1006 && code !== 1015;

function fail(message) {
  throw new TypeError(`HeraldClient: ${message}`);
}

// The options, checked; a clear TypeError for anything wrong.
function checkOptions(o) {
  if (!o || typeof o !== 'object') fail('pass an options object: new HeraldClient({url, channels})');
  if (typeof o.url !== 'string' || !o.url) fail("'url' (herald's public base URL, e.g. 'http://127.0.0.1:8080') is required");
  let base;
  try {
    base = new URL(o.url, typeof location !== 'undefined' ? location.href : undefined);
  } catch (e) {
    fail(`'url' ${JSON.stringify(o.url)} is not a URL`);
  }
  if (!/^(https?|wss?):$/.test(base.protocol)) fail(`'url' must be http(s) or ws(s), not ${base.protocol}`);
  if (!Array.isArray(o.channels) || o.channels.length === 0) fail("'channels' must be a non-empty array of channel names");
  for (const c of o.channels) {
    if (typeof c !== 'string' || !CHANNEL_RE.test(c)) {
      fail(`channel ${JSON.stringify(c)} is not a herald channel name (1-200 of A-Z a-z 0-9 _ . : @ / = -)`);
    }
  }
  const transport = o.transport === undefined ? 'websocket' : o.transport;
  if (!TRANSPORTS.includes(transport)) fail(`'transport' must be 'websocket' or 'eventsource', not ${JSON.stringify(o.transport)}`);
  if (o.token !== undefined && o.token !== null && typeof o.token !== 'string' && typeof o.token !== 'function') {
    fail("'token' must be a string or a function returning one (or a promise of one)");
  }
  if (o.since !== undefined && o.since !== null && (typeof o.since !== 'string' || !o.since)) {
    fail("'since' must be 'latest', 'earliest' or a cursor (a message's id)");
  }
  const backoff = { initialMs: 500, maxMs: 15000, ...(o.backoff || {}) };
  if (!(backoff.initialMs > 0) || !(backoff.maxMs >= backoff.initialMs)) fail("'backoff' needs 0 < initialMs <= maxMs");
  if (o.events !== undefined && (!Array.isArray(o.events) || o.events.some((n) => typeof n !== 'string' || !n))) {
    fail("'events' must be an array of event names");
  }
  base.hash = '';
  base.search = '';
  const httpBase = base.href.replace(/^ws/, 'http').replace(/\/+$/, '');
  return {
    url: httpBase,
    channels: [...new Set(o.channels)],
    transport,
    token: o.token ?? null,
    since: o.since ?? null,
    shared: o.shared !== false,
    backoff,
    events: o.events || [],
    withCredentials: !!o.withCredentials,
  };
}

// True when since is one of the client's own WebSocket ids (a JSON object of channel positions).
function positionsOf(since) {
  if (typeof since !== 'string' || since[0] !== '{') return null;
  try {
    const p = JSON.parse(since);
    return p && typeof p === 'object' ? p : null;
  } catch (e) {
    return null;
  }
}

// A few hex digits of a string, to keep lock and channel names short.
function hash(text) {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 16777619);
    h2 = Math.imul(h2 ^ c, 2246822519);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

// Events of each plain channel every tab keeps, for a tab opened later with since earliest/latest.
const RECENT = 1000;
// How long a new follower waits for the leader's state before it goes on without.
const STATE_WAIT_MS = 2000;

const isOffset = (n) => Number.isSafeInteger(n) && n >= 0;
const newer = (a, b) => !a || a.epoch !== b.epoch || b.offset > a.offset;

// A message's detail from herald's event (a WebSocket `event` op or an SSE JSON envelope, the
// same members), or null when its channel or offset is not what herald sends.
function eventOf(m, id) {
  if (!m || typeof m.channel !== 'string' || !isOffset(m.offset)) return null;
  const ev = { channel: m.channel, offset: m.offset, epoch: m.epoch, id, data: m.data };
  if (m.event !== undefined) ev.event = m.event;
  if (m.key !== undefined) ev.key = m.key;
  if (m.deleted) {
    ev.deleted = true;
    delete ev.data;
  }
  if (m.published_at !== undefined) ev.published_at = m.published_at;
  return ev;
}

export class HeraldClient extends EventTarget {
  constructor(options) {
    super();
    this._o = checkOptions(options);
    this.url = this._o.url;
    this.channels = this._o.channels.slice();
    this.transport = this._o.transport;
    this.shared = this._o.shared;
    this.key = hash(JSON.stringify([this._o.url, [...this._o.channels].sort(), this._o.transport]));
    this.leader = false;
    this._id = Math.random().toString(36).slice(2) + Date.now().toString(36);
    this._started = false;
    this._closed = false;
    this._open = false;          // a stream is live (ours or the leader's)
    this._pos = new Map();       // channel -> {epoch, offset}: where a resume starts
    this._seen = new Map();      // channel -> {epoch, offset}: the newest event delivered here
    this._cursor = null;         // SSE: the stream's last cursor (id:)
    this._maps = new Map();      // channel -> Map(key -> value)
    this._latest = new Map();    // keyed channel -> Map(key -> its latest event): what a new tab gets
    this._recent = new Map();    // other channel -> its last RECENT events: for a new tab's since
    this._occupancy = new Map(); // channel -> its latest subscriber count (herald.occupancy): for a new tab
    this._waiting = null;        // a new follower's messages until the leader's state comes
    this._waitTimer = null;
    this._conn = null;           // the live transport (leader or unshared only)
    this._attempt = 0;
    this._timer = null;
    this._bc = null;
    this._abort = null;
    this._release = null;
  }

  // ---------------------------------------------------------------- public API

  start() {
    if (this._closed) throw new Error('HeraldClient: start() after close(); make a new client');
    if (this._started) return this;
    this._started = true;
    const canShare = this._o.shared && typeof BroadcastChannel === 'function' &&
      typeof navigator !== 'undefined' && navigator.locks && typeof navigator.locks.request === 'function';
    if (canShare) this._elect();
    else this._becomeLeader(false);
    return this;
  }

  keyed(channel) {
    if (typeof channel !== 'string' || !CHANNEL_RE.test(channel)) fail(`keyed(): ${JSON.stringify(channel)} is not a channel name`);
    return this._map(channel);
  }

  close() {
    if (this._closed) return;
    this._closed = true;
    clearTimeout(this._timer);
    this._timer = null;
    this._disconnect();
    if (this._abort) this._abort.abort();
    if (this._release) this._release();  // the lock goes to the next tab waiting
    this._release = null;
    if (this._bc) this._bc.close();
    this._bc = null;
    clearTimeout(this._waitTimer);
    this._waiting = null;
    if (this._open) {
      this._open = false;
      this._fire('close', { closed: true });
    }
  }

  // ---------------------------------------------------------------- leader election

  _elect() {
    const name = `herald:${this.key}`;
    this._bc = new BroadcastChannel(name);
    this._bc.onmessage = (e) => this._onBroadcast(e.data);
    this._abort = new AbortController();
    const locks = navigator.locks;
    locks.request(name, { ifAvailable: true }, (lock) => {
      if (this._closed) return undefined;
      if (lock) return this._becomeLeader(true);
      this._fire('role', { leader: false });
      // Until the leader answers with its state, what the broadcast brings waits (then applied after it).
      this._waiting = [];
      this._waitTimer = setTimeout(() => this._endWait(null), STATE_WAIT_MS);
      this._post({ t: 'hello', from: this._id, since: this._o.since });
      locks.request(name, { signal: this._abort.signal }, () => (this._closed ? undefined : this._becomeLeader(true)))
        .catch(() => {});
      return undefined;
    }).catch(() => {});
  }

  // Holds the stream; with a lock, returns the promise that keeps the lock until close().
  _becomeLeader(locked) {
    if (this._waiting) this._endWait(null);
    this.leader = true;
    this._fire('role', { leader: true });
    this._connect();
    if (!locked) return undefined;
    return new Promise((resolve) => { this._release = resolve; });
  }

  _post(msg) {
    if (this._bc) {
      try { this._bc.postMessage(msg); } catch (e) { /* closed */ }
    }
  }

  _onBroadcast(msg) {
    if (!msg || typeof msg !== 'object' || this._closed) return;
    if (msg.t === 'hello') {
      if (this.leader) this._post({ t: 'state', to: msg.from, ...this._state(msg.since) });
      return;
    }
    if (msg.t === 'state') {
      if (msg.to === this._id && this._waiting) this._endWait(msg);
      return;
    }
    if (this.leader) return;  // a leader applies its own stream, never another's
    if (this._waiting) this._waiting.push(msg);
    else this._apply(msg);
  }

  // What a new tab needs: the positions (to lead later), whether the stream is open, and the
  // events it would have got from a stream of its own: each keyed channel's latest event of every
  // key (the snapshot) and, for since 'earliest' or 'latest', the plain channels' recent events.
  _state(since) {
    const events = [];
    for (const byKey of this._latest.values()) events.push(...[...byKey.values()].sort((x, y) => x.offset - y.offset));
    if (since === 'earliest' || since === 'latest') {
      for (const list of this._recent.values()) events.push(...(since === 'latest' ? list.slice(-1) : list));
    }
    return { pos: [...this._pos], cursor: this._cursor, open: this._open, events, occupancy: [...this._occupancy] };
  }

  // A new follower applies the leader's state, then what the broadcast brought meanwhile. The
  // broadcast keeps order, so those messages came before the state and are in it: their events
  // are dropped as delivered already (or, for a plain channel without since, delivered now);
  // resets and gaps are in the state's positions and events already.
  _endWait(state) {
    clearTimeout(this._waitTimer);
    this._waitTimer = null;
    const queued = this._waiting || [];
    this._waiting = null;
    if (!state) {
      for (const m of queued) this._apply(m);
      return;
    }
    for (const [ch, p] of state.pos || []) if (newer(this._pos.get(ch), p)) this._pos.set(ch, p);
    if (state.cursor) this._cursor = state.cursor;
    for (const ev of state.events || []) this._apply({ t: 'event', ev });
    for (const [channel, subscribers] of state.occupancy || []) this._apply({ t: 'occupancy', channel, subscribers });
    const epochs = new Map((state.pos || []).map(([ch, p]) => [ch, p.epoch]));
    for (const m of queued) {
      if (m.t === 'reset' || m.t === 'gap' || m.t === 'occupancy') continue;  // the state has the latest count
      // An event from before a reset the state already reflects belongs to the old epoch.
      if (m.t === 'event' && m.ev && epochs.has(m.ev.channel) && epochs.get(m.ev.channel) !== m.ev.epoch) continue;
      this._apply(m);
    }
    if (state.open) this._apply({ t: 'open' });
  }

  // ---------------------------------------------------------------- what every tab applies

  _fire(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  _map(channel) {
    let m = this._maps.get(channel);
    if (!m) {
      m = new Map();
      this._maps.set(channel, m);
    }
    return m;
  }

  // The leader's transports hand every message here; followers get the same ones broadcast.
  _emit(msg) {
    if (this._closed) return;
    const fresh = this._apply(msg);
    if (fresh && this.leader) this._post(msg);
  }

  // Applies one message; false for an event already delivered here (a handover's overlap).
  _apply(msg) {
    switch (msg.t) {
      case 'event': {
        const ev = msg.ev;
        if (!ev || typeof ev.channel !== 'string' || !isOffset(ev.offset)) return false;
        const seen = this._seen.get(ev.channel);
        if (seen && seen.epoch === ev.epoch && ev.offset <= seen.offset) return false;
        const p = { epoch: ev.epoch, offset: ev.offset };
        this._seen.set(ev.channel, p);
        if (newer(this._pos.get(ev.channel), p)) this._pos.set(ev.channel, p);
        if (ev.id) this._cursor = ev.id;
        if (ev.key !== undefined) {
          const m = this._map(ev.channel);
          let latest = this._latest.get(ev.channel);
          if (!latest) this._latest.set(ev.channel, (latest = new Map()));
          if (ev.deleted) {
            m.delete(ev.key);
            latest.delete(ev.key);
          } else {
            m.set(ev.key, ev.data);
            latest.set(ev.key, ev);
          }
          this._fire('keyed', { channel: ev.channel, key: ev.key, value: ev.deleted ? undefined : ev.data, deleted: !!ev.deleted });
        }
        else {
          let list = this._recent.get(ev.channel);
          if (!list) this._recent.set(ev.channel, (list = []));
          list.push(ev);
          if (list.length > RECENT) list.splice(0, list.length - RECENT);
        }
        this._fire('message', ev);
        return true;
      }
      case 'pos': {
        if (!isOffset(msg.offset)) return false;
        const p = { epoch: msg.epoch, offset: msg.offset };
        if (msg.channel && newer(this._pos.get(msg.channel), p)) this._pos.set(msg.channel, p);
        if (msg.cursor) this._cursor = msg.cursor;
        return true;
      }
      case 'reset': {
        const d = msg.detail;
        if (!d || typeof d.channel !== 'string' || !isOffset(d.offset)) return false;
        // The channel continues from d.offset in d.epoch; a keyed channel's snapshot follows.
        this._pos.set(d.channel, { epoch: d.epoch, offset: d.offset });
        this._seen.set(d.channel, { epoch: d.epoch, offset: 0 });
        if (msg.cursor) this._cursor = msg.cursor;
        this._latest.delete(d.channel);
        this._recent.delete(d.channel);
        const m = this._maps.get(d.channel);
        if (m && m.size) {
          const keys = [...m.keys()];
          m.clear();
          for (const k of keys) this._fire('keyed', { channel: d.channel, key: k, value: undefined, deleted: true, reset: true });
        }
        this._fire('reset', d);
        return true;
      }
      case 'gap': {
        const d = msg.detail;
        if (!d || typeof d.channel !== 'string' || !isOffset(d.to)) return false;
        const p = { epoch: d.epoch, offset: d.to };
        if (newer(this._pos.get(d.channel), p)) this._pos.set(d.channel, p);
        if (newer(this._seen.get(d.channel), p)) this._seen.set(d.channel, p);
        if (msg.cursor) this._cursor = msg.cursor;
        this._fire('gap', d);
        return true;
      }
      case 'occupancy': {
        // A channel with occupancy: true: its subscriber count across herald's nodes (connections,
        // not tabs: shared tabs are one). Every tab relays the leader's latest count.
        if (typeof msg.channel !== 'string' || !Number.isSafeInteger(msg.subscribers) || msg.subscribers < 0) return false;
        this._occupancy.set(msg.channel, msg.subscribers);
        this._fire('occupancy', { channel: msg.channel, subscribers: msg.subscribers });
        return true;
      }
      case 'disconnect':
        if (msg.detail && msg.detail.cursor) this._cursor = msg.detail.cursor;
        this._fire('disconnect', msg.detail);
        return true;
      case 'open':
        if (!this._open) {
          this._open = true;
          this._fire('open', { leader: this.leader });
        }
        return true;
      case 'close':
        if (this._open) {
          this._open = false;
          this._fire('close', msg.detail || {});
        }
        return true;
      default:
        return false;
    }
  }

  // ---------------------------------------------------------------- connecting

  async _token() {
    const t = this._o.token;
    if (t === null) return null;
    const v = typeof t === 'function' ? await t() : t;
    if (v === null || v === undefined || v === '') return null;
    if (typeof v !== 'string') throw new TypeError('HeraldClient: the token function must return a string');
    return v;
  }

  async _connect() {
    if (this._closed || this._conn) return;
    const conn = { dead: false, close: () => {} };
    this._conn = conn;
    let token;
    try {
      token = await this._token();
    } catch (e) {
      this._conn = null;
      this._fire('error', { code: 'token_failed', message: String(e && e.message ? e.message : e) });
      this._retry();
      return;
    }
    if (conn.dead || this._closed) return;
    if (this._o.transport === 'websocket') this._openWebSocket(conn, token);
    else this._openEventSource(conn, token);
  }

  _disconnect() {
    const c = this._conn;
    this._conn = null;
    if (c) {
      c.dead = true;
      c.close();
    }
  }

  // The transport dropped: tell every tab, then come back after a jittered, growing delay.
  _dropped(conn, detail, reconnect = true) {
    if (conn.dead) return;
    conn.dead = true;
    if (this._conn === conn) this._conn = null;
    this._emit({ t: 'close', detail });
    if (reconnect) this._retry();
  }

  _retry() {
    if (this._closed || this._timer) return;
    const { initialMs, maxMs } = this._o.backoff;
    const ceiling = Math.min(maxMs, initialMs * 2 ** Math.min(this._attempt, 30));
    const delay = ceiling / 2 + Math.random() * ceiling / 2;
    this._attempt++;
    this._timer = setTimeout(() => {
      this._timer = null;
      this._connect();
    }, delay);
  }

  // A stream came up. Over SSE that is a 200 with the stream; a WebSocket counts as working (and
  // the backoff starts again) only once herald confirmed a subscription or sent an event, since
  // a refusal is an accepted upgrade closed at once.
  _opened(working) {
    if (working) this._attempt = 0;
    this._emit({ t: 'open' });
  }

  // ---- WebSocket (docs/api.md, "Subscribe over WebSocket")

  _openWebSocket(conn, token) {
    const u = new URL(`${this._o.url}/v1/ws`);
    u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
    if (token) u.searchParams.set('token', token);
    const since = this._o.since;
    const resuming = this._pos.size > 0;
    const initialPositions = resuming ? null : positionsOf(since);
    // A first connect from an SSE cursor names the channels in the query with since=.
    const queryCursor = !resuming && since && since !== 'latest' && since !== 'earliest' && !initialPositions;
    if (queryCursor) {
      for (const c of this._o.channels) u.searchParams.append('channel', c);
      u.searchParams.set('since', since);
    }
    let ws;
    try {
      ws = new WebSocket(u.href);
    } catch (e) {
      this._dropped(conn, { error: String(e.message || e) });
      return;
    }
    conn.close = () => { try { ws.close(1000); } catch (e) { /* already */ } };
    const send = (obj) => { if (ws.readyState === 1) ws.send(JSON.stringify(obj)); };
    ws.onopen = () => {
      if (conn.dead) return;
      this._opened(false);
      if (queryCursor) return;
      for (const c of this._o.channels) {
        const cmd = { op: 'subscribe', channel: c, id: `sub:${c}` };
        const p = this._pos.get(c) || (initialPositions && initialPositions[c]);
        if (p && isOffset(p.offset)) cmd.since = p.epoch ? { epoch: p.epoch, offset: p.offset } : { offset: p.offset };
        else if (since === 'latest') cmd.since = 'latest';
        else if (since === 'earliest') cmd.since = { offset: 0 };
        send(cmd);
      }
    };
    ws.onmessage = (e) => {
      if (conn.dead || typeof e.data !== 'string') return;
      let m;
      try {
        m = JSON.parse(e.data);
      } catch (err) {
        return;
      }
      if (!m || typeof m !== 'object') return;
      this._onWsMessage(m, send);
    };
    ws.onclose = (e) => {
      if (conn.dead) return;
      const code = e.code;
      const final = isFinalCode(code);
      if (isServerCode(code)) {
        const detail = { code, reason: e.reason, reconnect: !final };
        if (CODE_NAMES[code]) detail.name = CODE_NAMES[code];
        this._emit({ t: 'disconnect', detail });
      }
      this._dropped(conn, { code, reason: e.reason }, !final);
    };
  }

  _onWsMessage(m, send) {
    switch (m.op) {
      case 'event': {
        const ev = eventOf(m, '');
        if (!ev) return;
        // The id: every channel's position after this event, usable as `since` later.
        const pos = new Map(this._pos);
        pos.set(m.channel, { epoch: m.epoch, offset: m.offset });
        const o = {};
        for (const [ch, p] of pos) o[ch] = p;
        ev.id = JSON.stringify(o);
        this._emit({ t: 'event', ev });
        this._attempt = 0;
        return;
      }
      case 'subscribed':
        if (typeof m.channel !== 'string') return;
        this._attempt = 0;
        this._emit({ t: 'pos', channel: m.channel, epoch: m.epoch, offset: m.offset });
        return;
      case 'reset':
        this._emit({ t: 'reset', detail: { channel: m.channel, reason: m.reason, epoch: m.epoch, offset: m.offset } });
        return;
      case 'gap':
        this._emit({ t: 'gap', detail: { channel: m.channel, epoch: m.epoch, from: m.from, to: m.to } });
        return;
      case 'occupancy':
        this._emit({ t: 'occupancy', channel: m.channel, subscribers: m.subscribers });
        return;
      case 'auth_expiring':
        // Renew before exp when there is a token function; herald answers 'refreshed'.
        if (typeof this._o.token === 'function') {
          this._token().then((t) => { if (t) send({ op: 'refresh', token: t, id: 'refresh' }); }).catch(() => {});
        }
        this._fire('expiring', { exp: m.exp, expires_in_ms: m.expires_in_ms });
        return;
      case 'error':
        this._fire('error', { code: m.code, message: m.message, hint: m.hint, id: m.id });
        if (m.code === 'unavailable' && typeof m.id === 'string' && m.id.startsWith('sub:')) {
          const c = m.id.slice(4);
          setTimeout(() => {
            const cmd = { op: 'subscribe', channel: c, id: m.id };
            const p = this._pos.get(c);
            if (p) cmd.since = { epoch: p.epoch, offset: p.offset };
            send(cmd);
          }, 1000);
        }
        return;
      case 'unsubscribed':
        if (m.reason) this._fire('error', { code: m.reason, message: `unsubscribed from ${m.channel}`, channel: m.channel });
        return;
      default:
    }
  }

  // ---- EventSource (docs/api.md, "Subscribe over Server-Sent Events")

  _openEventSource(conn, token) {
    const u = new URL(`${this._o.url}/v1/sse`);
    for (const c of this._o.channels) u.searchParams.append('channel', c);
    u.searchParams.set('envelope', 'json');
    if (token) u.searchParams.set('token', token);
    const since = this._cursor || this._o.since;
    if (since && !positionsOf(since)) u.searchParams.set('since', since);
    let es;
    try {
      es = new EventSource(u.href, { withCredentials: this._o.withCredentials });
    } catch (e) {
      this._dropped(conn, { error: String(e.message || e) });
      return;
    }
    conn.close = () => es.close();
    const json = (e) => {
      try {
        return JSON.parse(e.data);
      } catch (err) {
        return null;
      }
    };
    es.onopen = () => { if (!conn.dead) this._opened(true); };
    const onEvent = (e) => {
      if (conn.dead) return;
      const ev = eventOf(json(e), e.lastEventId);
      if (!ev) return;
      this._emit({ t: 'event', ev });
    };
    es.onmessage = onEvent;
    for (const name of this._o.events) if (!name.startsWith('herald.')) es.addEventListener(name, onEvent);
    es.addEventListener('herald.reset', (e) => {
      const d = json(e);
      if (!conn.dead && d) this._emit({ t: 'reset', detail: d, cursor: e.lastEventId });
    });
    es.addEventListener('herald.gap', (e) => {
      const d = json(e);
      if (!conn.dead && d) this._emit({ t: 'gap', detail: d, cursor: e.lastEventId });
    });
    es.addEventListener('herald.occupancy', (e) => {
      const d = json(e);
      if (!conn.dead && d) this._emit({ t: 'occupancy', channel: d.channel, subscribers: d.subscribers });
    });
    es.addEventListener('herald.auth_expiring', (e) => {
      const d = json(e);
      if (!conn.dead && d) this._fire('expiring', d);
    });
    es.addEventListener('herald.disconnect', (e) => {
      const d = json(e) || {};
      if (conn.dead) return;
      this._emit({ t: 'disconnect', detail: d });
      // Reconnect by hand (a fresh token, since= the cursor), not with the browser's same URL.
      es.close();
      this._dropped(conn, { code: d.code, reason: d.reason }, d.reconnect !== false);
    });
    es.onerror = () => {
      if (conn.dead) return;
      es.close();
      this._dropped(conn, {});
    };
  }
}

export default HeraldClient;
