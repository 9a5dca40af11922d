// The bench page's side of the harness. The Go program drives it through
// the DevTools protocol: bench.load(client) once per tab, then
// bench.run(client, params) for each run; every call resolves with a plain
// object (never rejects), with an err field when something went wrong.
//
//   A  plain WebSocket + JSON.parse, the fastest loop a plain page can run
//   B  steadyws through its JavaScript API (dist/steadyws.mjs)
//   C  steadyws's typed Go API compiled to wasm (bench/c.wasm)
//   D  coder/websocket's wasm port + wsjson (bench/d.wasm)
//   G  B with reliable: true
//
// Params and results have the shape of workload.Params and workload.Result
// in internal/workload.

const now = () => performance.now();
const isEvents = (wl) => wl === "events" || wl === "events-bulk";
const isPipelined = (wl) => wl === "pipelined" || wl === "events";
const us = (ms) => ms * 1000;

function padString(n) {
  const letters = "abcdefghijklmnopqrstuvwxyz";
  return letters.repeat(Math.floor(n / letters.length) + 1).slice(0, n);
}

function check(data, seq, pad) {
  if (!data || data.seq !== seq || typeof data.pad !== "string" || data.pad.length !== pad.length) {
    throw new Error(`reply mismatch: got ${JSON.stringify(data)?.slice(0, 80)}, want seq ${seq}`);
  }
}

function withTimeout(p, ms, what) {
  let timer;
  const t = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

// ---- the page's record of its WebSockets ----------------------------------

// Every WebSocket the page creates, whichever client creates it, is noted
// with the times (performance.now(), ms) of its constructor call, its
// open event and its close event; bench.dials() hands the record of the
// current run to the harness. The reconnect table splits each delay with
// it: from `new WebSocket` to open is the browser's share (Chromium holds
// back a page's new WebSocket after failed ones), the rest is the SDK's.
// A subclass changes nothing a client sees; it costs two listeners per
// connection, never anything per message, and every client pays it alike.
let dials = [];
globalThis.WebSocket = class extends WebSocket {
  constructor(...args) {
    const d = { newAt: now(), openAt: -1, closeAt: -1 };
    super(...args);
    dials.push(d);
    this.addEventListener("open", () => (d.openAt = now()));
    this.addEventListener("close", () => (d.closeAt = now()));
  }
};

// ---- A: plain WebSocket ----------------------------------------------------

function openSocket(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
  });
}

// plainRun keeps one socket and does its work in onmessage, as the fastest
// plain page would: no promise and no await per message (in pipelined
// runs, a promise per request cost A about a fifth of its throughput,
// which made every ratio to A look better than it was). Each reply is
// parsed and its id matched against the requests still open (events carry
// no id: each must be the next seq), as in every other client.
function plainRun(p) {
  const events = isEvents(p.workload);
  const pipelined = isPipelined(p.workload);
  const pad = padString(p.pad);
  const total = p.warmup + p.n;
  return openSocket(p.url).then(
    (ws) =>
      new Promise((resolve, reject) => {
        // sentAt[seq] is when request seq left (0: not sent, -1: answered).
        const sentAt = new Float64Array(total + 1);
        const lat = new Array(p.n);
        let sent = 0;
        let got = 0;
        let t0 = 0;
        const fail = (err) => {
          ws.onmessage = ws.onclose = null;
          ws.close();
          reject(err);
        };
        const send = () => {
          const seq = ++sent;
          sentAt[seq] = now();
          const env = events ? { type: "echo", data: { seq, pad } } : { type: "echo", id: seq, data: { seq, pad } };
          ws.send(JSON.stringify(env));
        };
        const start = () => {
          t0 = now();
          if (!pipelined) return send();
          for (let i = 0; i < p.n; i++) send();
        };
        ws.onmessage = (e) => {
          try {
            const m = JSON.parse(e.data);
            const seq = events ? m.data?.seq : m.re;
            if (m.type !== "echo" || (events && (m.re !== undefined || seq !== got + 1)) || !(sentAt[seq] > 0)) {
              throw new Error(`unexpected reply ${String(e.data).slice(0, 80)}`);
            }
            check(m.data, seq, pad);
            got++;
            if (seq > p.warmup) lat[seq - p.warmup - 1] = us(now() - sentAt[seq]);
            sentAt[seq] = -1;
            if (got === total) {
              const seconds = (now() - t0) / 1000;
              ws.onmessage = ws.onclose = null;
              ws.close();
              resolve({ n: p.n, seconds, latUs: lat, gc: -1 });
            } else if (got === p.warmup) {
              start();
            } else if (got < p.warmup || !pipelined) {
              send();
            }
          } catch (err) {
            fail(err);
          }
        };
        ws.onclose = () => fail(new Error("connection closed"));
        if (p.warmup > 0) send();
        else start();
      }),
  );
}

// echoQueue matches echoed events to the sends waiting for them: each must
// be the next one sent.
function echoQueue() {
  const waiting = new Map();
  let next = 1;
  return {
    wait(seq) {
      return new Promise((resolve, reject) => waiting.set(seq, { resolve, reject }));
    },
    arrived(data) {
      const w = waiting.get(data?.seq);
      if (!w || data.seq !== next) throw new Error(`echo of ${data?.seq} out of order, want ${next}`);
      waiting.delete(data.seq);
      next++;
      w.resolve(data);
    },
    fail(err) {
      for (const w of waiting.values()) w.reject(err);
      waiting.clear();
    },
  };
}

// ---- B: steadyws JavaScript API -------------------------------------------

let steadyws = null;

async function loadSteadyws() {
  const mod = await import("/dist/steadyws.mjs");
  steadyws = await mod.load({ wasmURL: "/dist/steadyws.wasm" });
}

function goGC() {
  const s = steadyws.goStats?.();
  return s && typeof s.numGC === "number" ? s.numGC : null;
}

function whenOpen(client, ms) {
  if (client.state === "open") return Promise.resolve();
  return withTimeout(
    new Promise((resolve, reject) => {
      client.addEventListener("open", () => resolve());
      client.addEventListener("close", (e) => {
        const info = e.detail ?? e;
        if (!info.willReconnect) reject(new Error(`closed: ${info.code} ${info.reason}`));
      });
    }),
    ms,
    "connect",
  );
}

async function steadywsRun(p) {
  if (p.workload === "reconnect") return steadywsReconnect(p);
  const opts = { requestTimeoutMs: p.timeoutMs };
  if (p.reliable) {
    // Every event of a pipelined run may wait for its ack at once; reliable
    // mode counts them against the queue.
    Object.assign(opts, { reliable: true, queue: { limit: 1 << 20, bytes: 2 ** 30 } });
  }
  const client = steadyws.connect(p.url, opts);
  try {
    await whenOpen(client, p.timeoutMs);
    const pad = padString(p.pad);
    let request = (seq) => client.request("echo", { seq, pad }).then((d) => check(d, seq, pad));
    if (isEvents(p.workload)) {
      const echoes = echoQueue();
      client.on("echo", (d) => echoes.arrived(d));
      client.addEventListener("close", () => echoes.fail(new Error("connection closed")));
      request = (seq) => {
        const echo = echoes.wait(seq);
        client.send("echo", { seq, pad });
        return echo.then((d) => check(d, seq, pad));
      };
    }
    return await measure(p, request, goGC);
  } finally {
    client.close();
  }
}

// steadywsReconnect mirrors sdkclient's reconnect: queue a mark whenever an
// open connection is lost; the server times its arrival and echoes it.
function steadywsReconnect(p) {
  const client = steadyws.connect(p.url, {
    backoff: { initialMs: p.backoffMs, maxMs: p.backoffMs, factor: 1, jitter: 0 },
  });
  let wasOpen = false;
  let k = 0;
  let due = NaN;
  const r = { n: 0, seconds: 0, gc: -1, dueMs: [], notQueued: 0 };
  const t0 = now();
  const done = new Promise((resolve, reject) => {
    client.addEventListener("open", () => {
      wasOpen = true;
    });
    client.addEventListener("close", (e) => {
      const info = e.detail ?? e;
      if (!info.willReconnect) {
        reject(new Error(`stopped: ${info.code} ${info.reason}`));
        return;
      }
      due = info.delayMs;
      if (!wasOpen) return;
      wasOpen = false;
      k++;
      try {
        if (client.send("mark", { k })) r.notQueued++;
      } catch (err) {
        reject(err);
      }
    });
    client.on("mark", (d) => {
      if (!d || d.k !== k) {
        reject(new Error(`mark ${d?.k} out of order, want ${k}`));
        return;
      }
      r.dueMs.push(due);
      if (++r.n === p.n) resolve();
    });
  });
  return withTimeout(done, p.timeoutMs, "reconnect")
    .then(() => {
      r.seconds = (now() - t0) / 1000;
      return r;
    })
    .finally(() => client.close());
}

// ---- B's loop ----------------------------------------------------

// measure runs the warm-up and then the timed part of an rtt, bulk or
// pipelined workload; request(seq) must send one request and resolve once
// its reply has been decoded and checked.
async function measure(p, request, gcCount = () => null) {
  let seq = 0;
  for (let i = 0; i < p.warmup; i++) await request(++seq);
  const lat = new Array(p.n);
  const gc0 = gcCount();
  const t0 = now();
  if (isPipelined(p.workload)) {
    const all = new Array(p.n);
    for (let i = 0; i < p.n; i++) {
      const s = now();
      all[i] = request(++seq).then(() => {
        lat[i] = us(now() - s);
      });
    }
    await Promise.all(all);
  } else {
    for (let i = 0; i < p.n; i++) {
      const s = now();
      await request(++seq);
      lat[i] = us(now() - s);
    }
  }
  const seconds = (now() - t0) / 1000;
  const gc1 = gcCount();
  return { n: p.n, seconds, latUs: lat, gc: gc0 === null || gc1 === null ? -1 : gc1 - gc0 };
}

// ---- C and D: Go programs compiled to wasm --------------------------------

async function loadGo(url) {
  const go = new Go();
  const { instance } = await WebAssembly.instantiateStreaming(fetch(url), go.importObject);
  // A Go program that imports sdk picks up its exports here at start (as
  // steadyws.mjs arranges for steadyws.wasm), so that messages take the
  // numeric-export path instead of one js.Func call each.
  globalThis[Symbol.for("steadyws.exports")] = instance.exports;
  go.run(instance); // runs main until it blocks, after setting benchGo
  delete globalThis[Symbol.for("steadyws.exports")];
  if (!globalThis.benchGo) throw new Error(`${url} did not register benchGo`);
}

async function goRun(p) {
  return JSON.parse(await globalThis.benchGo.run(JSON.stringify(p)));
}

// ---- the harness's entry points -------------------------------------------

const clients = {
  A: { load: async () => {}, run: plainRun },
  B: { load: loadSteadyws, run: steadywsRun },
  C: { load: () => loadGo("/bench/c.wasm"), run: goRun },
  D: { load: () => loadGo("/bench/d.wasm"), run: goRun },
  G: { load: loadSteadyws, run: steadywsRun }, // the harness sets p.reliable
};

function errorResult(err) {
  return { n: 0, seconds: 0, gc: -1, err: String(err?.message ?? err) };
}

globalThis.bench = {
  // timerStep returns the smallest step of performance.now() seen in 50 ms,
  // in microseconds, and whether the page is cross-origin isolated.
  timerStep() {
    let step = Infinity;
    let last = now();
    const end = last + 50;
    for (;;) {
      const t = now();
      if (t !== last) {
        step = Math.min(step, t - last);
        last = t;
      }
      if (t > end) break;
    }
    return { stepUs: us(step), isolated: self.crossOriginIsolated };
  },
  async load(id) {
    try {
      await clients[id].load();
      return {};
    } catch (err) {
      return errorResult(err);
    }
  },
  // dials returns the WebSockets created since the last run started, in
  // the order they were created.
  dials() {
    return dials;
  },
  async run(id, p) {
    dials = [];
    try {
      return await withTimeout(clients[id].run(p), p.timeoutMs + 1000, `${id} ${p.workload}`);
    } catch (err) {
      return errorResult(err);
    }
  },
};
