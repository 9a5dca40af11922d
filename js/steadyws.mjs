// steadyws: a WebSocket client that survives the real network. This module
// loads the Go core (steadyws.wasm) and builds the JavaScript API on it.
// Strings, JSON and your handlers stay in JavaScript; the Go core decides,
// from numbers and the first bytes of each message, what happens to it.

import {
  ACT_EVENT, ACT_REPLY, ACT_REQUEST, ACT_RAW,
  SEND_YIELD, SEND_SOCKET, SEND_NUMBERED, SEND_QUEUED, SEND_QUEUE_FULL, SEND_NO_QUEUE, SEND_DUPLICATE_ID,
  NAME_MALFORMED, NAME_HANDLER, NAME_UNHANDLED_FRAME,
  CODE_TIMEOUT, CODE_CLOSED, CODE_QUEUE_FULL, CODE_NOT_CONNECTED, CODE_DUPLICATE_ID, CODE_TOO_LARGE, SEND_TOO_LARGE,
  TEXT_QUEUE_FULL, TEXT_NOT_CONNECTED, TEXT_DUPLICATE_ID,
} from "./constants.mjs";   // generated from sdk/jsabi.go

/** Defaults of every option; the README's table is checked against it. */
export const DEFAULTS = Object.freeze({
  protocols: Object.freeze([]),
  connectTimeoutMs: 10000,
  backoff: Object.freeze({ initialMs: 500, maxMs: 30000, factor: 2, jitter: 0.5, resetAfterMs: 5000 }),
  maxRetries: 0,
  heartbeat: Object.freeze({ intervalMs: 25000, timeoutMs: 10000 }),
  queue: Object.freeze({ limit: 1000, bytes: 1048576, maxAgeMs: 0 }),
  readLimit: 1048576,
  requestTimeoutMs: 10000,
  raw: false,
  reliable: false,
});

import makeShim from "./shim.mjs";   // sdk/internal/jsws/shim.js as a module, made by make wasm

const EXPORTS = Symbol.for("steadyws.exports");
let loading = null;

/**
 * Loads steadyws.wasm and the Go runtime glue (wasm_exec.js) next to this
 * module once; later calls return the same instance. options.wasmURL or a
 * compiled options.wasmModule replaces the wasm, options.wasmExecURL the glue.
 */
export function load(options = {}) {
  if (loading === null) {
    loading = start(options);
    loading.catch(() => { loading = null; });
  }
  return loading;
}

async function start(options) {
  // The literal new URL(relative path, import.meta.url) forms are what Vite and
  // webpack recognise: they copy the files into a build and rewrite these.
  const base = globalThis.document?.baseURI ?? globalThis.location?.href ?? import.meta.url;
  const execURL = options.wasmExecURL !== undefined ? new URL(options.wasmExecURL, base) : new URL("./wasm_exec.js", import.meta.url);
  const Go = await goRuntime(execURL);
  const go = new Go();
  let instance;
  let source;
  if (options.wasmModule !== undefined) {
    if (!(options.wasmModule instanceof WebAssembly.Module)) throw new TypeError("steadyws: load({ wasmModule }): wasmModule must be a WebAssembly.Module");
    source = "the wasmModule passed to load()";
    instance = await WebAssembly.instantiate(options.wasmModule, go.importObject);
  } else {
    const wasmURL = options.wasmURL !== undefined ? new URL(options.wasmURL, base) : new URL("./steadyws.wasm", import.meta.url);
    source = wasmURL.href;
    instance = await instantiateURL(wasmURL, go.importObject);
  }
  const exports = instance.exports;
  globalThis[EXPORTS] = exports;   // the Go side's socket shim picks them up at start
  globalThis.__steadywsShim = makeShim;   // and Go makes the shim with this, without eval
  go.run(instance);                // main runs synchronously until it waits
  delete globalThis[EXPORTS];
  delete globalThis.__steadywsShim;
  const core = globalThis.__steadyws;
  delete globalThis.__steadyws;
  if (!core) throw new Error("steadyws: " + source + " did not start");
  return makeAPI(guard(core), exports, go);
}

// guard wraps the Go core's functions: a call that panicked in Go (which
// recovers, so the program keeps serving every other client) throws here.
function guard(core) {
  const out = { shim: core.shim, fast: core.fast };
  for (const [name, f] of Object.entries(core)) {
    if (typeof f !== "function") continue;
    out[name] = (...args) => {
      const r = f(...args);
      if (r !== null && typeof r === "object" && typeof r.panic === "string") throw new Error(r.panic);
      return r;
    };
  }
  return out;
}

let goClass = null;

const HINT = " The dev servers of Vite 7 and older need optimizeDeps: { exclude: [\"steadyws\"] } in vite.config;" +
  " elsewhere, serve steadyws.wasm and wasm_exec.js where they are, or pass load({ wasmURL, wasmExecURL }).";

// goRuntime evaluates Go's wasm_exec.js and returns its Go class without
// leaving it on the page: while the glue runs, globalThis.Go reads as it
// did before, and the class the glue assigns to it is caught here. The glue
// itself defines fs, process and path, which the Go runtime reads while it
// runs, only where the page has none.
async function goRuntime(url) {
  if (goClass !== null) return goClass;   // an import runs a module once
  const before = Object.getOwnPropertyDescriptor(globalThis, "Go");
  let made;
  let caught = true;
  try {
    Object.defineProperty(globalThis, "Go", {
      configurable: true,
      get: () => before === undefined ? undefined : before.get ? before.get.call(globalThis) : before.value,
      set: (v) => { made = v; },
    });
  } catch {
    caught = false;   // a page's non-configurable Go: the glue replaces it, as a script tag would
  }
  try {
    await import(/* webpackIgnore: true */ /* @vite-ignore */ url.href);
  } catch (err) {
    throw new Error("steadyws: could not import Go's runtime glue from " + url.href + " (" + message(err) + ")." + HINT);
  } finally {
    if (caught) {
      if (before === undefined) delete globalThis.Go;
      else Object.defineProperty(globalThis, "Go", before);
    }
  }
  if (!caught) made = globalThis.Go;
  if (typeof made !== "function") throw new Error("steadyws: " + url.href + " did not define Go's runtime: is it the wasm_exec.js of the Go that built steadyws.wasm?");
  goClass = made;
  return made;
}

// instantiateURL compiles the wasm as it downloads when the server sends
// it as application/wasm, and otherwise (which browsers refuse to stream)
// from the whole body, with a warning.
async function instantiateURL(url, imports) {
  const response = await fetch(url);
  if (!response.ok) throw new Error("steadyws: fetching " + url.href + ": HTTP " + response.status);
  const type = response.headers.get("Content-Type") ?? "";
  if (type.split(";")[0].trim().toLowerCase() === "application/wasm" && WebAssembly.instantiateStreaming) {
    return (await WebAssembly.instantiateStreaming(response, imports)).instance;
  }
  const bytes = await response.arrayBuffer();
  const head = new Uint8Array(bytes, 0, Math.min(4, bytes.byteLength));
  if (String.fromCharCode(...head) !== "\0asm") {
    throw new Error("steadyws: " + url.href + " is not a WebAssembly module (served as " + (type || "no Content-Type") + ")." + HINT);
  }
  console.warn("steadyws: " + url.href + " was served as " + (type || "no Content-Type") +
    ", not application/wasm, so it cannot be compiled while it downloads; loading it whole instead (slower start). Serve .wasm files as application/wasm.");
  return (await WebAssembly.instantiate(bytes, imports)).instance;
}

function makeAPI(core, X, go) {
  const shim = core.shim;
  let nextRef = 0;
  const ref = () => (nextRef = nextRef >= 0x7ffffff0 ? 1 : nextRef + 1);
  const EVENTS = ["open", "close", "reconnecting", "statechange", "error", "raw"];

  // envelope writes a frame; json is data already made JSON by toJSON, or
  // undefined for none.
  function envelope(type, key, n, json) {
    let s = '{"type":' + JSON.stringify(type);
    if (key) s += ',"' + key + '":' + n;
    if (json !== undefined) s += ',"data":' + json;
    return s + "}";
  }

  function failure(code, message) {
    const err = new Error(message);
    err.code = code;
    return err;
  }

  // A closed reliable client's session waits in Go for a reconnect() until
  // the page lets go of the client object.
  const sessions = new FinalizationRegistry((box) => { core.forget(box.cid); });

  class Client {
    #cid;
    #box = { cid: 0 };        // #cid, for sessions' callback (which must not hold this)
    #state = "connecting";
    #listeners = new Map();   // event name -> Set of listeners
    #handlers = new Map();    // message type -> Set of handlers
    #answerers = new Map();   // request type -> handler
    #pending = new Map();     // request id -> {resolve, reject, signal, onAbort}
    #nextId = 0;
    #requestTimeoutMs;
    #queueBytes;
    #typeIds = new Map();     // message type -> id Go knows it by (see #typeId)

    #url;
    #options;
    #gen = 0;                 // which Go client notifications are heard from
    #final = null;            // {stats, error} of a Go client that stopped for good

    constructor(url, options) {
      this.#url = url;
      this.#options = options ?? {};
      this.#connect();
      sessions.register(this, this.#box);
      for (const name of EVENTS) this["on" + name] = null;
    }

    // #connect makes the Go client behind this one. When that client stops
    // for good, Go lets it go (after the "closed" state, when this one
    // keeps its final stats and error), and reconnect() makes another,
    // which goes on with the old one's reliable session.
    #connect() {
      const gen = ++this.#gen;
      // The Go client may report (even stop for good, when the url function
      // fails at once) before core.connect returns: hold those until it has.
      let early = [];
      const r = core.connect(this.#url, this.#options, (...n) => {
        if (gen !== this.#gen) return;
        if (early) early.push(n);
        else this.#notify(...n);
      }, this.#cid);
      if (r.error !== undefined) throw new ({ TypeError, RangeError }[r.name] ?? Error)(r.error);
      this.#cid = this.#box.cid = r.cid;
      const held = early;
      early = null;
      queueMicrotask(() => { for (const n of held) if (gen === this.#gen) this.#notify(...n); });
      this.#requestTimeoutMs = r.requestTimeoutMs;
      this.#queueBytes = r.queueBytes;
      this.#final = null;
      this.#typeIds.clear();
      shim.clients.set(r.cid, (act, data, sock) => this.#dispatch(act, data, sock));
    }

    /** "connecting" | "open" | "reconnecting" | "closed" */
    get state() { return this.#state; }

    on(type, fn) {
      checkHandler("on", type, fn);
      let set = this.#handlers.get(type);
      if (!set) {
        set = new Set();
        this.#handlers.set(type, set);
        core.handle(this.#cid, "event", type, true);
      }
      set.add(fn);
      return () => {
        if (set.delete(fn) && set.size === 0 && this.#handlers.get(type) === set) {
          this.#handlers.delete(type);
          core.handle(this.#cid, "event", type, false);
        }
      };
    }

    handle(type, fn) {
      checkHandler("handle", type, fn);
      this.#answerers.set(type, fn);
      core.handle(this.#cid, "request", type, true);
      return () => {
        if (this.#answerers.get(type) === fn) {
          this.#answerers.delete(type);
          core.handle(this.#cid, "request", type, false);
        }
      };
    }

    send(type, data) {
      if (typeof type !== "string" || type === "") throw new TypeError("steadyws: send(type, data): type must be a non-empty string");
      if (type[0] === "$") throw reserved("send", type);
      const s = envelope(type, "", 0, toJSON("send(type, data)", data));
      return this.#push(s, s.length, this.#typeId(type));
    }

    sendRaw(data) {
      const size = typeof data === "string" ? data.length : data?.byteLength;
      if (size === undefined) throw new TypeError("steadyws: sendRaw takes a string, an ArrayBuffer or a typed array");
      return this.#push(data, size, 0);
    }

    // The Go core names what may not have arrived (UnconfirmedError) by
    // type: each type is named to it once, then passed as a number.
    #typeId(type) {
      let id = this.#typeIds.get(type);
      if (id === undefined) {
        id = this.#typeIds.size + 1;
        this.#typeIds.set(type, id);
        core.typeName(this.#cid, id, type);
      }
      return id;
    }

    // tid: the type's id, 0 for a raw frame, -1 for a reply.
    #push(s, size, tid) {
      const r = ref();
      const sock = X.steadyws_send(this.#cid, r, size, tid);
      if (sock > SEND_QUEUED) {
        // Reliable mode: Go numbered the event; the shim adds the number
        // and keeps the string until the server acknowledges it.
        if (sock & SEND_NUMBERED) shim.sendSeq(sock & SEND_SOCKET, this.#cid, X.steadyws_seq(), s);
        else shim.sendStr(sock & SEND_SOCKET, s);
        if (sock & SEND_YIELD) shim.yield();   // Go has a confirmation ping to plan
        return true;
      }
      if (sock === SEND_QUEUED) { shim.refs.set(r, s); return false; }
      throw this.#sendError(sock, size);
    }

    #sendError(code, size) {
      switch (code) {
        case SEND_TOO_LARGE: return failure(CODE_TOO_LARGE, "steadyws: message of " + size + " UTF-16 units exceeds queue.bytes (" + this.#queueBytes + ")");
        case SEND_QUEUE_FULL: return failure(CODE_QUEUE_FULL, TEXT_QUEUE_FULL);
        case SEND_NO_QUEUE: return failure(CODE_NOT_CONNECTED, TEXT_NOT_CONNECTED);
        case SEND_DUPLICATE_ID: return failure(CODE_DUPLICATE_ID, TEXT_DUPLICATE_ID);
      }
      return failure(CODE_CLOSED, this.#final?.error ?? core.lastError(this.#cid));
    }

    request(type, data, options = {}) {
      return new Promise((resolve, reject) => {
        if (typeof type !== "string" || type === "") throw new TypeError("steadyws: request(type, data): type must be a non-empty string");
        if (type[0] === "$") throw reserved("request", type);
        const { timeoutMs = 0, signal } = options;
        if (typeof timeoutMs !== "number") throw new TypeError("steadyws: request option timeoutMs must be a number");
        if (signal?.aborted) { reject(abortError(signal)); return; }
        const json = toJSON("request(type, data)", data);   // throws before an id is taken
        const id = ++this.#nextId;
        const s = envelope(type, "id", id, json);
        const r = ref();
        const p = { resolve, reject, signal, onAbort: null, deadline: 0, type, ms: 0 };
        this.#pending.set(id, p);
        const sock = X.steadyws_request(this.#cid, r, s.length, id);
        if (sock > SEND_QUEUED) shim.sendStr(sock, s);
        else if (sock === SEND_QUEUED) shim.refs.set(r, s);
        else { this.#pending.delete(id); reject(this.#sendError(sock, s.length)); return; }
        const ms = timeoutMs > 0 ? timeoutMs : this.#requestTimeoutMs;
        if (ms > 0) {
          p.deadline = performance.now() + ms;
          p.ms = ms;
          this.#armSweep(p.deadline);
        }
        if (signal) {
          p.onAbort = () => {
            X.steadyws_cancel(this.#cid, id);
            this.#settle(id)?.reject(abortError(signal));
          };
          signal.addEventListener("abort", p.onAbort, { once: true });
        }
      });
    }

    #settle(id) {
      const p = this.#pending.get(id);
      if (!p) return null;
      this.#pending.delete(id);
      if (p.onAbort) p.signal.removeEventListener("abort", p.onAbort);
      return p;
    }

    // One timer serves every request timeout: a timer per request cost
    // about 6% of the pipelined benchmark. It is armed for the earliest
    // deadline known when it was set, and re-armed after each sweep.
    #sweepAt = Infinity;
    #sweepTimer = 0;

    #armSweep(deadline) {
      if (deadline >= this.#sweepAt) return;
      clearTimeout(this.#sweepTimer);
      this.#sweepAt = deadline;
      this.#sweepTimer = setTimeout(() => this.#sweep(), Math.max(0, deadline - performance.now()));
    }

    #sweep() {
      this.#sweepAt = Infinity;
      const now = performance.now();
      let next = Infinity;
      for (const [id, p] of this.#pending) {
        if (p.deadline === 0) continue;
        if (p.deadline <= now) {
          X.steadyws_cancel(this.#cid, id);
          this.#settle(id).reject(failure(CODE_TIMEOUT, "steadyws: request \"" + p.type + "\" timed out after " + p.ms + " ms"));
        } else if (p.deadline < next) {
          next = p.deadline;
        }
      }
      if (next !== Infinity) this.#armSweep(next);
    }

    reconnect() {
      if (core.reconnect(this.#cid)) return;
      // The Go client stopped for good and was let go: start a new one,
      // with the options, handlers and answerers this one has.
      this.#connect();
      for (const type of this.#handlers.keys()) core.handle(this.#cid, "event", type, true);
      for (const type of this.#answerers.keys()) core.handle(this.#cid, "request", type, true);
      const previous = this.#state;
      if (previous !== "connecting") {
        this.#state = "connecting";
        this.#emit("statechange", { type: "statechange", state: "connecting", previous });
      }
    }

    close(code = 1000, reason = "") {
      if (code !== 1000 && (!Number.isInteger(code) || code < 3000 || code > 4999)) {
        throw new DOMException("steadyws: close code must be 1000 or in 3000-4999, got " + code, "InvalidAccessError");
      }
      if (new TextEncoder().encode(reason).length > 123) {
        throw new DOMException("steadyws: close reason must be at most 123 bytes", "SyntaxError");
      }
      core.close(this.#cid, code, String(reason));
      if (this.#state !== "closed") {
        const previous = this.#state;
        this.#state = "closed";
        this.#emit("statechange", { type: "statechange", state: "closed", previous });
      }
    }

    stats() {
      const s = this.#final?.stats ?? core.stats(this.#cid);
      // close() is synchronous for the page, while the Go core finishes
      // stopping in the background: the state says what close() did.
      if (this.#state === "closed" && s.state !== "closed") s.state = "closed";
      return s;
    }

    addEventListener(name, fn) {
      checkEvent(name);
      if (typeof fn !== "function") throw new TypeError("steadyws: addEventListener(" + name + ", fn): fn must be a function");
      if (!this.#listeners.has(name)) this.#listeners.set(name, new Set());
      this.#listeners.get(name).add(fn);
    }

    removeEventListener(name, fn) { this.#listeners.get(name)?.delete(fn); }

    // #emit calls the listeners of event name and returns how many there were.
    #emit(name, ev) {
      const fns = [];
      const prop = this["on" + name];
      if (typeof prop === "function") fns.push(prop);
      for (const fn of this.#listeners.get(name) ?? []) fns.push(fn);
      for (const fn of fns) {
        try {
          fn.call(this, ev);
        } catch (err) {
          if (name === "error") (globalThis.reportError ?? console.error)(err);
          else this.#error(NAME_HANDLER, "steadyws: " + name + " listener threw: " + message(err), err);
        }
      }
      return fns.length;
    }

    #error(name, msg, cause, count, types) {
      const error = new Error(msg, cause === undefined ? undefined : { cause });
      error.name = name;
      const ev = { type: "error", error, message: msg };
      if (count !== undefined) { ev.count = count; ev.types = types; }
      this.#emit("error", ev);
    }

    #notify(kind, a, b, c, d, e) {
      switch (kind) {
        case "state": {
          this.#final = a === "closed" ? { stats: core.stats(this.#cid), error: core.lastError(this.#cid) } : null;
          const previous = this.#state;
          if (previous === a) return;
          this.#state = a;
          this.#emit("statechange", { type: "statechange", state: a, previous });
          return;
        }
        case "open": this.#emit("open", { type: "open" }); return;
        case "close":
          this.#emit("close", { type: "close", code: a, reason: b, wasClean: c, willReconnect: d, delayMs: e });
          return;
        case "reconnecting": this.#emit("reconnecting", { type: "reconnecting", attempt: a, delayMs: b }); return;
        case "error": this.#error(b, a, undefined, c, d); return;
        case "fail": this.#settle(a)?.reject(failure(b, c)); return;
      }
    }

    #dispatch(act, data, sock) {
      if (act === ACT_RAW) {
        if (this.#emit("raw", { type: "raw", data }) === 0) {
          // As the Go API reports a frame no OnRaw handler takes.
          const text = typeof data === "string";
          const size = text ? new TextEncoder().encode(data).length : data.byteLength;
          this.#error(NAME_UNHANDLED_FRAME, "steadyws: " + (text ? "text" : "binary") + " frame of " + size + " bytes discarded: no raw listener is registered");
        }
        return;
      }
      let m;
      try {
        m = JSON.parse(data);
      } catch (err) {
        if (act === ACT_REPLY) {   // Go already matched the reply: fail its request
          const re = /"re"\s*:\s*(\d+)/.exec(data.slice(0, 256));
          if (re) this.#settle(Number(re[1]))?.reject(failure("malformed", "steadyws: malformed reply: " + message(err)));
        }
        this.#error(NAME_MALFORMED, "steadyws: malformed message: " + message(err));
        return;
      }
      if (act === ACT_EVENT && m !== null && typeof m === "object" &&
          (Number.isSafeInteger(m.re) && m.re > 0 || Number.isSafeInteger(m.id) && m.id > 0)) {
        // Go routed this event by its head, which stops at "data": an id or
        // re after data makes it a reply or a request. Go decides again, on
        // the whole message, as it does for every other.
        act = shim.reexamine(sock, data);
      }
      if (act === ACT_EVENT) {
        for (const fn of [...(this.#handlers.get(m.type) ?? [])]) {
          try { fn(m.data, m); } catch (err) { this.#error(NAME_HANDLER, "steadyws: handler for \"" + m.type + "\" threw: " + message(err), err); }
        }
      } else if (act === ACT_REPLY) {
        const p = this.#settle(m.re);
        if (!p) return;
        if (m.error) {
          const err = failure(String(m.error.code ?? "error"), String(m.error.message ?? m.error.code ?? "error"));
          err.type = m.type;
          p.reject(err);
        } else {
          p.resolve(m.data);
        }
      } else if (act === ACT_REQUEST) {
        this.#answer(m);
      }
    }

    #answer(m) {
      const fn = this.#answerers.get(m.type);
      const reply = (key, json) => {
        try {
          const s = '{"type":' + JSON.stringify(m.type) + ',"re":' + m.id + ',"' + key + '":' + json + "}";
          this.#push(s, s.length, -1);
        } catch (err) { this.#error(NAME_HANDLER, "steadyws: could not reply to \"" + m.type + "\": " + message(err), err); }
      };
      const fail = (err) => {
        const code = typeof err?.code === "string" ? err.code : "handler_error";
        reply("error", JSON.stringify({ code, message: message(err) }));
        this.#error(NAME_HANDLER, "steadyws: handler for request \"" + m.type + "\" failed: " + message(err), err);
      };
      Promise.resolve()
        .then(() => fn(m.data, m))
        .then((value) => {
          // An answer that is not JSON becomes an error reply: the server
          // hears of it, and nothing invalid goes on the wire.
          let json;
          try { json = value === undefined ? "null" : toJSON("handle(\"" + m.type + "\", fn): the answer", value); } catch (err) { fail(err); return; }
          reply("data", json);
        }, fail);
    }
  }

  function checkHandler(method, type, fn) {
    if (typeof type !== "string" || type === "") throw new TypeError("steadyws: " + method + "(type, fn): type must be a non-empty string");
    if (typeof fn !== "function") throw new TypeError("steadyws: " + method + "(\"" + type + "\", fn): fn must be a function");
    if (type[0] === "$") throw reserved(method, type);
  }

  // Types beginning with $ belong to the protocol (reliable mode's $hello
  // and $ack).
  function reserved(method, type) {
    return new TypeError("steadyws: " + method + "(" + JSON.stringify(type) + ", ...): types beginning with $ are reserved for the protocol");
  }

  function checkEvent(name) {
    if (!EVENTS.includes(name)) {
      throw new TypeError("steadyws: unknown event \"" + name + "\"; events are " + EVENTS.join(", "));
    }
  }

  return Object.freeze({
    connect: (url, options) => new Client(wsURL(url), options),
    DEFAULTS,
    /** The Go core's defaults, for checking DEFAULTS against. */
    coreDefaults: () => core.defaults(),
    /** Whether the per-message path runs through numeric wasm exports. */
    fast: core.fast,
    /** The Go runtime's GC count, for benchmarks. */
    goStats: () => core.goStats(),
    exited: () => go.exited,
  });
}

// toJSON is JSON.stringify for a message's data, refusing what JSON cannot
// hold instead of leaving it out: a function, a symbol or undefined in an
// array (JSON.stringify writes null there, or drops the key, or returns
// undefined at the top), a Map or Set (written as {}), a bigint or a
// circular value (JSON.stringify's own errors do not say which argument).
// what names the argument: "send(type, data)".
function toJSON(what, value) {
  if (value === undefined) return undefined;
  checkJSON(what, value, null, "data", []);
  return JSON.stringify(value);
}

// checkJSON checks v, found under key in the value at up ({up, key} of the
// level above, null at the top). The path an error names ("data.a[2]") is
// spelt only when there is an error: spelling it for every key cost more
// than the check.
function checkJSON(what, v, up, key, seen) {
  switch (typeof v) {
    case "function": return badJSON(what, up, key, "is a function, which JSON cannot hold");
    case "symbol": return badJSON(what, up, key, "is a symbol, which JSON cannot hold");
    case "bigint": return badJSON(what, up, key, "is a bigint, which JSON cannot hold: convert it (String(n) or Number(n))");
    case "object": break;
    default: return;
  }
  if (v === null || typeof v.toJSON === "function") return;   // Date and friends write themselves
  if (v instanceof Map || v instanceof Set) badJSON(what, up, key, "is a " + v.constructor.name + ", which JSON.stringify writes as {}: convert it (Object.fromEntries(m), [...s])");
  if (seen.includes(v)) badJSON(what, up, key, "refers back to an object that contains it (a circular value)");
  seen.push(v);
  const here = { up, key };
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (v[i] === undefined) throw new TypeError("steadyws: " + what + ": " + jsonPath(here, i) + " is undefined, which JSON writes as null");
      checkJSON(what, v[i], here, i, seen);
    }
  } else {
    for (const k of Object.keys(v)) checkJSON(what, v[k], here, k, seen);
  }
  seen.pop();
}

function badJSON(what, up, key, why) {
  throw new TypeError("steadyws: " + what + ": " + jsonPath(up, key) + " " + why);
}

// jsonPath spells the path of key under up for checkJSON's errors: data,
// data.a, data[2], data["a b"].
function jsonPath(up, key) {
  if (up === null) return key;
  const head = jsonPath(up.up, up.key);
  if (typeof key === "number") return head + "[" + key + "]";
  return head + (/^[A-Za-z_$][\w$]*$/.test(key) ? "." + key : "[" + JSON.stringify(key) + "]");
}

// wsURL checks a connect() URL that is given at once (a function's is
// checked before each attempt, by the Go core): a URL object or a string,
// absolute with ws:, wss:, http: or https: (the latter two become ws: and
// wss:), or a path starting with /, ./ or ../, resolved against the page.
// Anything else can never connect, so it throws instead of retrying.
function wsURL(url) {
  if (typeof url === "function") return url;
  if (url instanceof URL) url = url.href;
  if (typeof url !== "string") {
    throw new TypeError("steadyws: connect(url, options): url must be a string, a URL or a function returning one, got " + (url === null ? "null" : typeof url));
  }
  const relative = /^(\/|\.\.?\/)/.test(url);
  let u;
  try {
    u = relative ? new URL(url, globalThis.document?.baseURI ?? globalThis.location?.href) : new URL(url);
  } catch {
    u = null;
  }
  if (u === null) {
    throw new TypeError("steadyws: connect: " + JSON.stringify(redactURL(url)) + " is not a URL: write ws://host/path, wss://host/path, or a path starting with / for this page's host");
  }
  const scheme = { "ws:": "ws:", "wss:": "wss:", "http:": "ws:", "https:": "wss:" }[u.protocol];
  if (!scheme) {
    throw new TypeError("steadyws: connect: " + JSON.stringify(redactURL(url)) + " has the scheme " + u.protocol + " which a WebSocket cannot use: use ws: or wss: (http: and https: are taken as ws: and wss:)");
  }
  u.protocol = scheme;
  return u.href;
}

// redactURL hides what may be secret in a URL, as the Go core does: its
// userinfo, query and fragment ("wss://***@host/ws?REDACTED"). It is cut
// after 64 characters so that no message grows with what a page passed.
function redactURL(s) {
  s = s.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1***@").replace(/[?#].*$/s, (m) => m[0] + "REDACTED");
  return s.length > 64 ? s.slice(0, 64) + "…" : s;
}

function abortError(signal) {
  const err = new Error("steadyws: request aborted" + (signal.reason !== undefined ? ": " + message(signal.reason) : ""));
  err.code = "aborted";
  err.name = "AbortError";
  return err;
}

function message(err) {
  try {
    return err instanceof Error ? String(err.message) : String(err);
  } catch {
    return "(a value that cannot be shown as text)";
  }
}
