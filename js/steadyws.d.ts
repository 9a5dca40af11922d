// Types for steadyws.mjs. Describe your protocol once and every handler,
// send and request is checked against it:
//
//   type Chat = { events: { chat: { nick: string; text: string } };
//                 requests: { sum: { args: { a: number; b: number }; reply: { sum: number } } };
//                 serverRequests: { whoami: { args: {}; reply: { agent: string } } } };
//   const client = steadyws.connect<Chat>("ws://127.0.0.1:8001/ws");
//   client.on("chat", (d) => d.text);               // d: { nick: string; text: string }
//   const r = await client.request("sum", { a: 1, b: 2 });   // r: { sum: number }

/** A JSON value, as JSON.stringify writes and JSON.parse reads it. */
export type JSONValue = string | number | boolean | null | JSONValue[] | { [key: string]: JSONValue | undefined };

/** What a protocol declares; every part is optional. */
export interface Protocol {
  /** Event types (either direction) and their data. */
  events?: Record<string, unknown>;
  /** Requests the page sends: their arguments and reply data. */
  requests?: Record<string, { args: unknown; reply: unknown }>;
  /** Requests the server sends, answered with handle(). */
  serverRequests?: Record<string, { args: unknown; reply: unknown }>;
}

/** Any protocol: every type allowed, data unknown. */
export interface AnyProtocol {
  events: Record<string, unknown>;
  requests: Record<string, { args: unknown; reply: unknown }>;
  serverRequests: Record<string, { args: unknown; reply: unknown }>;
}

type Events<P extends Protocol> = P["events"] extends Record<string, unknown> ? P["events"] : Record<string, unknown>;
type Requests<P extends Protocol> = P["requests"] extends Record<string, { args: unknown; reply: unknown }> ? P["requests"] : Record<string, { args: unknown; reply: unknown }>;
type ServerRequests<P extends Protocol> = P["serverRequests"] extends Record<string, { args: unknown; reply: unknown }> ? P["serverRequests"] : Record<string, { args: unknown; reply: unknown }>;

export type State = "connecting" | "open" | "reconnecting" | "closed";

export interface BackoffOptions { initialMs?: number; maxMs?: number; factor?: number; jitter?: number; resetAfterMs?: number }
export interface HeartbeatOptions { intervalMs?: number; timeoutMs?: number }
export interface QueueOptions { limit?: number; bytes?: number; maxAgeMs?: number }

export interface CloseInfo { code: number; reason: string; wasClean: boolean }

/** Options of connect(); see DEFAULTS and the README for what each means. */
export interface Options {
  protocols?: string[];
  connectTimeoutMs?: number;
  backoff?: BackoffOptions;
  maxRetries?: number;
  heartbeat?: HeartbeatOptions;
  queue?: QueueOptions;
  readLimit?: number;
  requestTimeoutMs?: number;
  raw?: boolean;
  /** Reliable mode: events sent with send() reach the server's handlers exactly once and in order across lost connections, and the server's reach yours, while the server holds the session. */
  reliable?: boolean;
  shouldReconnect?: (info: CloseInfo) => boolean;
}

export interface Defaults {
  readonly protocols: readonly string[];
  readonly connectTimeoutMs: number;
  readonly backoff: Readonly<Required<BackoffOptions>>;
  readonly maxRetries: number;
  readonly heartbeat: Readonly<Required<HeartbeatOptions>>;
  readonly queue: Readonly<Required<QueueOptions>>;
  readonly readLimit: number;
  readonly requestTimeoutMs: number;
  readonly raw: boolean;
  readonly reliable: boolean;
}

export const DEFAULTS: Defaults;

export interface OpenEvent { type: "open" }
export interface CloseEvent extends CloseInfo { type: "close"; willReconnect: boolean; delayMs: number }
export interface ReconnectingEvent { type: "reconnecting"; attempt: number; delayMs: number }
export interface StateChangeEvent { type: "statechange"; state: State; previous: State }
export interface ErrorEvent {
  type: "error";
  /** error.name: UnknownTypeError, MalformedError, LimitError, ExpiredError, DiscardedError, UnconfirmedError, UnexpectedReplyError, UnhandledFrameError (a binary frame, or any frame with the raw option, and no raw listener), SessionLostError (reliable mode: the server lost the session; with count and types), ReliableUnsupportedError (the server does not speak reliable mode; the client stops), HandlerError or Error. */
  error: Error;
  message: string;
  /**
   * UnconfirmedError only: how many messages that send() or sendRaw()
   * sent may not have arrived. They were written to a connection that
   * ended before the server confirmed reading them (a pong, a reply, or
   * its answer to the close frame); they are not sent again, since that
   * could deliver them twice. SessionLostError: how many events send()
   * wrote that the server never acknowledged before it lost the session;
   * they are not sent again either.
   */
  count?: number;
  /** UnconfirmedError and SessionLostError: their distinct types, in the order first sent; "" stands for raw frames. */
  types?: string[];
}
export interface RawEvent { type: "raw"; data: string | ArrayBuffer }

export interface EventMap {
  open: OpenEvent;
  close: CloseEvent;
  reconnecting: ReconnectingEvent;
  statechange: StateChangeEvent;
  error: ErrorEvent;
  raw: RawEvent;
}

/** The error a request rejects with, or send throws. */
export interface SteadyError extends Error {
  /** timeout, connection_lost, aborted, closed, expired, queue_full, not_connected, or the server's error code. */
  code: string;
}

export interface RequestOptions {
  /** Defaults to the client's requestTimeoutMs. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface Envelope<D> { type: string; id?: number; re?: number; seq?: number; data: D }

export interface Stats {
  state: State;
  attempts: number;
  reconnects: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  queued: number;
  dropped: number;
  /** Sent messages reported as UnconfirmedError: they may not have arrived. */
  unconfirmed: number;
  /** Replies that came after their request timed out or was aborted: expected, so not reported as errors. */
  lateReplies: number;
  /** Reliable mode: events written again after a reconnect because the server had not acknowledged them. */
  resent: number;
  /** Reliable mode: inbound events dropped as already handled. */
  duplicates: number;
  /** Reliable mode: events written and waiting for the server's acknowledgement. */
  unacked: number;
  /** Reliable mode: resumes that found the session gone on the server (numbering restarted from 1). */
  sessionRestarts: number;
  rttMs: number;
  /** Milliseconds since the epoch; 0 when not connected. */
  connectedSince: number;
}

export interface Client<P extends Protocol = AnyProtocol> {
  readonly state: State;
  /** Handles events of a type; returns a function that removes the handler. */
  on<K extends keyof Events<P> & string>(type: K, fn: (data: Events<P>[K], message: Envelope<Events<P>[K]>) => void): () => void;
  /** Answers the server's requests of a type (one handler per type). */
  handle<K extends keyof ServerRequests<P> & string>(
    type: K,
    fn: (data: ServerRequests<P>[K]["args"]) => ServerRequests<P>[K]["reply"] | Promise<ServerRequests<P>[K]["reply"]>,
  ): () => void;
  /**
   * true: sent now; false: queued until the connection is back. Throws a SteadyError when the queue is full or the client closed.
   * A message sent is delivered at most once: if its connection ends before the server confirmed reading it, an error event
   * with an UnconfirmedError says it may not have arrived.
   * data must be JSON: a function, symbol or bigint anywhere in it, undefined in an array, a Map or Set (which
   * JSON.stringify would write as {}) or a circular value throws a TypeError naming its path ("data.a[1].b").
   */
  send<K extends keyof Events<P> & string>(type: K, data?: Events<P>[K]): boolean;
  /** data must be JSON, as for send(); the promise rejects with a TypeError otherwise. */
  request<K extends keyof Requests<P> & string>(type: K, data: Requests<P>[K]["args"], options?: RequestOptions): Promise<Requests<P>[K]["reply"]>;
  /** Sends a frame without the envelope. */
  sendRaw(data: string | ArrayBuffer | ArrayBufferView): boolean;
  /** Closes an open connection and dials again at once, or dials at once during a backoff wait; a closed client starts again with its options, handlers and answerers. */
  reconnect(): void;
  /** code: 1000 or 3000–4999; reason: at most 123 bytes of UTF-8. */
  close(code?: number, reason?: string): void;
  /** After the client has closed: its final numbers. */
  stats(): Stats;
  addEventListener<K extends keyof EventMap>(type: K, fn: (this: Client<P>, ev: EventMap[K]) => void): void;
  removeEventListener<K extends keyof EventMap>(type: K, fn: (this: Client<P>, ev: EventMap[K]) => void): void;
  onopen: ((ev: OpenEvent) => void) | null;
  onclose: ((ev: CloseEvent) => void) | null;
  onreconnecting: ((ev: ReconnectingEvent) => void) | null;
  onstatechange: ((ev: StateChangeEvent) => void) | null;
  onerror: ((ev: ErrorEvent) => void) | null;
  onraw: ((ev: RawEvent) => void) | null;
}

export interface GoStats {
  numGC: number;
  /** JavaScript API clients the Go half keeps; one that stopped for good is let go. */
  clients: number;
  /** The same, counted in the socket shim. */
  shimClients: number;
  /** Sessions of closed reliable clients, kept for a reconnect() until the page drops the client object. */
  retiredSessions: number;
  /** js.Func values the Go half holds (one per running timer); back where it started once clients close. */
  funcs: number;
}

export interface Steadyws {
  /**
   * url: ws:, wss:, http: or https: (taken as ws: and wss:), a path starting with /, ./ or ../ (resolved against the page),
   * a URL object, or a function returning a URL string before every attempt. Anything else throws a TypeError; an option of
   * the wrong type throws a TypeError, one out of range a RangeError.
   */
  connect<P extends Protocol = AnyProtocol>(url: string | URL | (() => string | Promise<string>), options?: Options): Client<P>;
  readonly DEFAULTS: Defaults;
  /** The Go core's defaults (DEFAULTS is checked against them). */
  coreDefaults(): Defaults;
  /** Whether messages take the numeric-export fast path. */
  readonly fast: boolean;
  goStats(): GoStats;
  exited(): boolean;
}

export interface LoadOptions {
  /** Where to fetch the wasm from (relative to the page). Defaults to steadyws.wasm next to this module. */
  wasmURL?: string | URL;
  /**
   * steadyws.wasm already compiled, for example with
   * `WebAssembly.compileStreaming(fetch(url))`; nothing is fetched then.
   * Takes precedence over wasmURL.
   */
  wasmModule?: WebAssembly.Module;
  /** Where to import Go's runtime glue from. Defaults to wasm_exec.js next to this module. */
  wasmExecURL?: string | URL;
}

/** Loads the wasm once; later calls return the same instance. */
export function load(options?: LoadOptions): Promise<Steadyws>;
