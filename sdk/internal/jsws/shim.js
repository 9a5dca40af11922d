// The steadyws socket shim. It owns every browser WebSocket the Go code
// opens and keeps message strings on the JavaScript side: per message it
// copies at most a short prefix into Go memory and calls one numeric wasm
// export. Go makes every decision; this file only carries bytes.
//
// It is evaluated once per Go runtime by sdk/internal/jsws (new Function),
// and receives the runtime's wasm exports when the page's loader left them
// under Symbol.for("steadyws.exports") before go.run. Without them (a Go
// program loaded by a plain wasm_exec.js page, or go test in a browser) it
// falls back to calling Go through the js.Func it was given.
//
// The numbers it shares with Go (ACT_*, ROUTE_*, SOCK_*, MSG_*, HIGH_WATER)
// come from constants.js, generated from sdk/jsabi.go and evaluated just
// before this file, in the same function body (which it makes strict).
const HEAD = 128;              // UTF-16 units of a message copied for routing
const LOW_WATER = 1 << 20;     // bufferedAmount below which a congested socket counts as drained
const BATCH = 4096;            // frames up to this size leave in per-turn batches (see send)
const key = Symbol.for("steadyws.exports");
const X = globalThis[key] || null;
delete globalThis[key];
const enc = new TextEncoder();
const dec = new TextDecoder();
const socks = new Map();       // socket id -> {ws, cid}
const refs = new Map();        // ref -> string held for a queued message
const clients = new Map();     // client id -> dispatch(action, data) of the JavaScript API
const kept = new Map();        // client id -> {q: [seq, string, ...], head}: reliable mode's events written, not yet acknowledged
let goEvent = null;            // js.Func: (sock, kind, a, b, c)
let goYield = null;            // js.Func doing nothing: lets woken goroutines run
let bufPtr = 0, bufCap = 0, u8 = null, region = null;
let timers = 0;                // pending setTimeout calls, for live()

// view returns a view of all wasm memory and makes Go's buffer at least
// need bytes; region views just the buffer. Both are made again when the
// memory grows (which detaches them) or the buffer moves.
function view(need) {
  if (need > bufCap) {
    bufPtr = X.steadyws_buf(need);
    bufCap = need;
    u8 = null;
  }
  if (u8 === null || u8.buffer !== X.mem.buffer) {
    u8 = new Uint8Array(X.mem.buffer);
    region = u8.subarray(bufPtr, bufPtr + bufCap);
  }
  return u8;
}

// put writes s (or its first HEAD units) into Go's buffer; returns bytes
// written. A UTF-16 unit takes at most 3 bytes of UTF-8. A short ASCII
// string (most routed heads and small messages) is copied by a loop, which
// costs less than the call into encodeInto; at the first other character
// encodeInto writes the whole string over it.
function put(s) {
  const n = s.length;
  view(n * 3);
  if (n <= HEAD) {
    const r = region;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) return enc.encodeInto(s, r).written;
      r[i] = c;
    }
    return n;
  }
  return enc.encodeInto(s, region).written;
}

function onMessage(id, s, data) {
  if (X === null) {
    goEvent(id, SOCK_MESSAGE, data, 0, 0);
    return;
  }
  // The arrival time is read here, once per message event, and handed to
  // Go: a clock read from Go crosses into wasm_exec.js.
  const at = performance.now();
  let r;
  if (s.cid > 0) {
    if (typeof data === "string") {
      const complete = data.length <= HEAD;
      const n = put(complete ? data : data.slice(0, HEAD));
      r = X.steadyws_route(id, MSG_TEXT, n, data.length, complete ? ROUTE_COMPLETE : ROUTE_HEAD_ONLY, at);
      if ((r & ROUTE_ACT) === ACT_FULL) {
        r = X.steadyws_route(id, MSG_TEXT, put(data), data.length, ROUTE_COMPLETE, at);
      }
    } else {
      r = X.steadyws_route(id, MSG_BINARY, 0, data.byteLength, ROUTE_COMPLETE, at);
    }
    if (r & ROUTE_YIELD) goYield();
    const act = r & ROUTE_ACT;
    if (act === ACT_PONG) {
      sendStr(id, '{"type":"pong"}');
    } else if (act !== ACT_NONE) {
      const d = clients.get(s.cid);
      if (d) d(act, data, id);
    }
    return;
  }
  let n;
  if (typeof data === "string") {
    n = put(data);
  } else {
    const b = new Uint8Array(data);
    view(b.length || 1).set(b, bufPtr);
    n = b.length;
  }
  r = X.steadyws_frame(id, typeof data === "string" ? MSG_TEXT : MSG_BINARY, n, at);
  if (r & ROUTE_YIELD) wake(at);
  lastEnd = performance.now();
}

// wake lets the goroutines a message woke run. A message dispatched right
// after the previous one's handler (queued) is likely followed by more:
// the goroutines then run once, in a task after them, instead of once per
// message; a burst that goes on for over a millisecond runs them anyway.
// Any other message runs them at once, so that a lone reply is not
// delayed.
let lastEnd = -1, yieldPosted = false, postedAt = 0, yieldPort = null;
function wake(now) {
  if (yieldPosted) {
    if (now - postedAt > 1) { postedAt = now; goYield(); }
    return;
  }
  if (now - lastEnd >= 0.02) { goYield(); return; }
  if (yieldPort === null) {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { yieldPosted = false; goYield(); };
    yieldPort = ch.port2;
  }
  yieldPosted = true;
  postedAt = now;
  yieldPort.postMessage(0);
}

function drop(id) {
  const s = socks.get(id);
  if (!s) return null;
  flush(s);
  socks.delete(id);
  const ws = s.ws;
  ws.onopen = ws.onclose = ws.onerror = ws.onmessage = null;
  return ws;
}

function watchDrain(id, s) {
  if (s.draining) return;
  s.draining = true;
  const poll = () => {
    timers--;
    if (!socks.has(id)) return;
    if (s.ws.bufferedAmount > LOW_WATER) { timers++; setTimeout(poll, 10); return; }
    s.draining = false;
    goEvent(id, SOCK_DRAINED, 0, 0, 0);
  };
  timers++;
  setTimeout(poll, 10);
}

// Frames leave in batches: send queues a frame on the socket, and a
// microtask sends every frame queued in that turn back to back, when the
// page or Go gives the thread back. WebSocket.send called back to back
// costs a fraction of one called every few tens of microseconds, when
// Chromium has to wake its network thread for each. A frame for an idle
// socket (nothing queued, nothing buffered) is sent at once: it wakes the
// network thread as its batch would, without the microtask, and a lone
// request or reply leaves sooner; the browser counts it in bufferedAmount
// at once, so the frames after it in the same turn are batched. Bytes a
// caller still owns, and frames over BATCH bytes (whose send costs more
// than the wake), are sent at once, after the queued frames; close and
// abandon send the queued frames first. The order on the wire is the
// order of the calls.
function send(s, data, size) {
  if (typeof data !== "string" || size > BATCH) {
    flush(s);
    s.ws.send(data);
    return;
  }
  if (s.out === null) {
    if (s.ws.bufferedAmount === 0) {
      s.ws.send(data);
      return;
    }
    s.out = [];
    queueMicrotask(() => flush(s));
  }
  s.out.push(data);
  s.outBytes += size;
}

// sendStr sends a JavaScript string (or bytes); past the high-water mark it
// tells Go that the socket is congested so that later sends of the
// JavaScript API queue (bounded) until the browser has drained it.
function sendStr(id, str) {
  const s = socks.get(id);
  if (!s) return false;
  send(s, str, typeof str === "string" ? str.length : str.byteLength);
  if (s.cid > 0 && s.ws.bufferedAmount + s.outBytes > HIGH_WATER) {
    X.steadyws_congested(id);
    watchDrain(id, s);
  }
  return true;
}

// sendGo sends a frame Go wrote (text when text is 1): with the exports,
// the n bytes at ptr in wasm memory; without them, the Uint8Array b Go
// copied them into. Go calls it without a method name, so that no string
// crosses per message. It returns the bytes the socket has still to send,
// or -1 when the socket is gone.
function sendGo(id, text, ptr, n, b) {
  const s = socks.get(id);
  if (!s) return -1;
  if (b === null) {
    b = view(0).subarray(ptr, ptr + n);
    if (!text) b = b.slice();   // the bytes stay Go's: send a copy
  }
  send(s, text ? dec.decode(b) : b, n);
  return s.ws.bufferedAmount + s.outBytes;
}

// Reliable mode (sdk/reliable.go): Go numbers the JavaScript API's events
// and decides when they are acknowledged or sent again; the shim keeps
// their strings, numbered, until then.

// numbered puts "seq":n into an event JavaScript wrote as
// {"type":T,"data":D} (or {"type":T}), before data as the protocol has it.
// A type's JSON string cannot hold ,"data": (its quotes are escaped), so
// the first one is the key.
function numbered(s, seq) {
  let i = s.indexOf(',"data":');
  if (i < 0) i = s.length - 1;
  return s.slice(0, i) + ',"seq":' + seq + s.slice(i);
}

// sendSeq numbers event str, keeps it for client cid and sends it.
function sendSeq(id, cid, seq, str) {
  str = numbered(str, seq);
  let k = kept.get(cid);
  if (k === undefined) kept.set(cid, k = { q: [], head: 0 });
  k.q.push(seq, str);
  return sendStr(id, str);
}

// flush sends the frames send queued, in order.
function flush(s) {
  const out = s.out;
  if (out === null) return;
  s.out = null;
  s.outBytes = 0;
  for (const d of out) s.ws.send(d);
}

return {
  fast: X !== null,
  exports: X,
  refs,
  clients,
  init(ev, y) { goEvent = ev; goYield = y; },
  // yield lets goroutines an export made runnable run now.
  yield() { goYield(); },
  // open creates a socket; it throws what the WebSocket constructor throws.
  open(id, url, protocols, cid) {
    const ws = protocols.length ? new WebSocket(url, protocols) : new WebSocket(url);
    ws.binaryType = "arraybuffer";
    const s = { ws, cid, draining: false, out: null, outBytes: 0 };
    socks.set(id, s);
    ws.onopen = () => goEvent(id, SOCK_OPEN, ws.protocol, 0, 0);
    ws.onclose = (e) => { drop(id); goEvent(id, SOCK_CLOSE, e.code, e.reason, e.wasClean); };
    ws.onerror = () => {};       // a close event always follows
    ws.onmessage = (e) => onMessage(id, s, e.data);
  },
  // close starts the closing handshake with a code the browser accepts
  // (1000 or 3000-4999) and a reason of at most 123 bytes.
  close(id, code, reason) {
    const s = socks.get(id);
    if (!s) return;
    flush(s);
    if (code !== 1000 && (code < 3000 || code > 4999)) code = 1000;
    while (enc.encode(reason).length > 123) reason = reason.slice(0, -1);
    try { s.ws.close(code, reason); } catch (_) { /* already closing */ }
  },
  // abandon forgets a socket at once (connect or heartbeat timeout): its
  // events no longer reach Go, and the browser is asked to close it.
  abandon(id, reason) {
    const ws = drop(id);
    if (ws) { try { ws.close(4000, reason); } catch (_) { /* closed */ } }
  },
  buffered(id) { const s = socks.get(id); return s ? s.ws.bufferedAmount + s.outBytes : 0; },
  sendGo,
  sendStr,
  sendRef(id, ref) {
    const str = refs.get(ref);
    refs.delete(ref);
    return str === undefined ? false : sendStr(id, str);
  },
  release(ref) { refs.delete(ref); },
  sendSeq,
  // sendRefSeq sends a queued event (see sendRef) with its number.
  sendRefSeq(id, ref, cid, seq) {
    const str = refs.get(ref);
    refs.delete(ref);
    return str === undefined ? false : sendSeq(id, cid, seq, str);
  },
  // acked lets go of client cid's events up to seq.
  acked(cid, seq) {
    const k = kept.get(cid);
    if (k === undefined) return;
    while (k.head < k.q.length && k.q[k.head] <= seq) { k.q[k.head + 1] = null; k.head += 2; }
    if (k.head === k.q.length) { k.q.length = 0; k.head = 0; }
    else if (k.head > 1024 && k.head * 2 > k.q.length) { k.q.splice(0, k.head); k.head = 0; }
  },
  // resend sends client cid's kept events again, in order, on socket id;
  // -1 when the socket is gone.
  resend(cid, id) {
    const k = kept.get(cid);
    if (!socks.has(id)) return -1;
    if (k === undefined) return 0;
    for (let i = k.head + 1; i < k.q.length; i += 2) sendStr(id, k.q[i]);
    return (k.q.length - k.head) / 2;
  },
  forget(cid) { kept.delete(cid); },
  // rekey hands client from's kept events to client to: a JavaScript
  // client restarted after close() goes on with its session.
  rekey(from, to) {
    const k = kept.get(from);
    kept.delete(from);
    if (k !== undefined) kept.set(to, k);
  },
  // reexamine asks Go to route a message of socket id again, whole: the
  // JavaScript API found id or re after data in a message Go routed by its
  // head as an event. It returns the action.
  reexamine(id, data) {
    const r = X.steadyws_route(id, MSG_TEXT, put(data), data.length, ROUTE_REEXAMINE, performance.now());
    if (r & ROUTE_YIELD) goYield();
    return r & ROUTE_ACT;
  },
  // live counts what the shim holds, for tests that check that nothing is
  // left behind: sockets (each with its four event handlers), strings held
  // for queued messages, pending timers, registered JavaScript clients,
  // events kept for reliable sessions.
  live() {
    let k = 0;
    for (const v of kept.values()) k += (v.q.length - v.head) / 2;
    return { sockets: socks.size, refs: refs.size, timers, clients: clients.size, kept: k };
  },
};
