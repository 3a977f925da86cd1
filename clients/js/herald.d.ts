// Types for herald.js, the herald browser client (see README.md).

export type Transport = 'websocket' | 'eventsource';

export interface HeraldClientOptions {
  /** herald's public base URL, e.g. 'http://127.0.0.1:8080' (http(s) or ws(s)). */
  url: string;
  /** Channels to subscribe to: at least one; 1-200 of A-Z a-z 0-9 _ . : @ / = - each. */
  channels: string[];
  /** Default 'websocket'. */
  transport?: Transport;
  /**
   * A subscriber JWT, or a (sync or async) function returning one, called before every connect
   * and reconnect (and, over WebSocket, when herald announces the token's expiry, to send
   * `refresh`). Sent as `?token=`. Leave it out for open channels or cookie auth.
   */
  token?: string | null | (() => string | null | undefined | Promise<string | null | undefined>);
  /**
   * Where the first connect starts: 'latest', 'earliest', or a message's `id` from an earlier
   * session (an SSE cursor, or a WebSocket id). Reconnects always resume from the last position.
   * Default: live events only (a keyed channel still gets its snapshot).
   */
  since?: 'latest' | 'earliest' | string | null;
  /** Default true: one connection for all tabs of the origin with the same url+channels+transport. */
  shared?: boolean;
  /** Reconnect delay: grows from initialMs (default 500) to maxMs (default 15000), with jitter. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** EventSource only: named events (the publish `event` field) to receive besides unnamed ones. */
  events?: string[];
  /** EventSource only: send cookies cross-origin (herald's --token-cookie with --allowed-origin). */
  withCredentials?: boolean;
}

export interface HeraldMessage {
  channel: string;
  offset: number;
  epoch: string;
  /** The position after this event, usable as `since` for a later client of the same channels. */
  id: string;
  /** The event's data (JSON value, or text as a string); absent on a deletion. */
  data?: unknown;
  /** The event name, when the publish had one. */
  event?: string;
  /** Keyed channels: the key this event sets or deletes. */
  key?: string;
  /** Keyed channels: true when the key was deleted. */
  deleted?: boolean;
  /** ms since the Unix epoch. */
  published_at?: number;
}

export interface HeraldReset {
  channel: string;
  reason: 'history_gone' | 'epoch_changed' | 'bad_cursor' | string;
  epoch: string;
  offset: number;
}

export interface HeraldGap {
  channel: string;
  epoch: string;
  from: number;
  to: number;
}

export interface HeraldDisconnect {
  /** herald's close code (docs/close-codes.md), e.g. 1012 shutdown, 4001 slow_consumer. */
  code?: number;
  name?: string;
  reason?: string;
  /** false: the client does not reconnect (e.g. 4102 user_disconnected, 41xx refusals). */
  reconnect?: boolean;
  cursor?: string | null;
}

export interface HeraldKeyedChange {
  channel: string;
  key: string;
  value: unknown;
  deleted: boolean;
  /** true when the key went because the channel was reset (its snapshot follows). */
  reset?: boolean;
}

/** A channel with the policy occupancy: true: how many subscribers (connections) it has across herald's nodes. */
export interface HeraldOccupancy {
  channel: string;
  subscribers: number;
}

export interface HeraldError {
  code: string;
  message?: string;
  hint?: string;
  id?: string | number;
  channel?: string;
}

export interface HeraldClientEventMap {
  message: CustomEvent<HeraldMessage>;
  reset: CustomEvent<HeraldReset>;
  gap: CustomEvent<HeraldGap>;
  disconnect: CustomEvent<HeraldDisconnect>;
  open: CustomEvent<{ leader: boolean }>;
  close: CustomEvent<{ code?: number; reason?: string; closed?: boolean; error?: string }>;
  keyed: CustomEvent<HeraldKeyedChange>;
  occupancy: CustomEvent<HeraldOccupancy>;
  role: CustomEvent<{ leader: boolean }>;
  expiring: CustomEvent<{ exp: number; expires_in_ms: number }>;
  error: CustomEvent<HeraldError>;
}

export declare class HeraldClient extends EventTarget {
  constructor(options: HeraldClientOptions);
  /** The normalized base URL (http or https, no trailing slash). */
  readonly url: string;
  readonly channels: string[];
  readonly transport: Transport;
  readonly shared: boolean;
  /** The tabs' shared lock and BroadcastChannel name suffix (from url + channels + transport). */
  readonly key: string;
  /** True while this client holds the stream (always, once started, with shared: false). */
  readonly leader: boolean;
  /** Connects, or joins the tabs' shared connection. Returns this. */
  start(): this;
  /** A live Map of a keyed channel's keys to their values (the same Map object for the client's life). */
  keyed<V = unknown>(channel: string): Map<string, V>;
  /** Ends this client; a leader hands the stream over to another tab. */
  close(): void;

  addEventListener<K extends keyof HeraldClientEventMap>(
    type: K, listener: (this: HeraldClient, ev: HeraldClientEventMap[K]) => any,
    options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof HeraldClientEventMap>(
    type: K, listener: (this: HeraldClient, ev: HeraldClientEventMap[K]) => any,
    options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions): void;
}

export default HeraldClient;
