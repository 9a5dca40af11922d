// Client P, the independent check of client A: the same rtt, pipelined and
// bulk workloads written again from scratch, as small as a page can write
// them, sharing no code with bench.mjs. If A (or the way the harness runs
// it) costs something plain JavaScript does not have to pay, P's ratio to
// A shows it. It speaks the harness's protocol (bench.load, bench.run)
// with the same params and result as bench.mjs.

globalThis.bench = {
  async load() {
    return {};
  },
  run(_id, p) {
    return check(p).catch((err) => ({ n: 0, seconds: 0, gc: -1, err: String(err?.message ?? err) }));
  },
};

function check(p) {
  const pad = "abcdefghijklmnopqrstuvwxyz".repeat(Math.ceil(p.pad / 26) + 1).slice(0, p.pad);
  const all = p.workload === "pipelined";
  const last = p.warmup + p.n;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(p.url);
    const sentAt = new Float64Array(last + 1);
    const latUs = new Array(p.n);
    const timer = setTimeout(() => done(new Error(`P ${p.workload}: timed out`)), p.timeoutMs);
    let id = 0;
    let got = 0;
    let t0 = 0;
    const done = (err, result) => {
      clearTimeout(timer);
      ws.onmessage = ws.onclose = ws.onerror = null;
      ws.close();
      err ? reject(err) : resolve(result);
    };
    const send = () => {
      id++;
      sentAt[id] = performance.now();
      ws.send(JSON.stringify({ type: "echo", id, data: { seq: id, pad } }));
    };
    ws.onerror = () => done(new Error(`cannot connect to ${p.url}`));
    ws.onclose = () => done(new Error("connection closed"));
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      const k = m.re;
      if (!(sentAt[k] > 0) || m.data?.seq !== k || m.data.pad?.length !== p.pad) {
        return done(new Error(`bad reply ${String(e.data).slice(0, 80)}`));
      }
      const t = performance.now();
      if (k > p.warmup) latUs[k - p.warmup - 1] = (t - sentAt[k]) * 1000;
      sentAt[k] = -1;
      got++;
      if (got === last) return done(null, { n: p.n, seconds: (t - t0) / 1000, latUs, gc: -1 });
      if (got === p.warmup) start();
      else if (got < p.warmup || !all) send();
    };
    // Warm-up requests go one at a time; then the timed ones.
    const start = () => {
      t0 = performance.now();
      if (all) while (id < last) send();
      else send();
    };
    ws.onopen = () => (p.warmup > 0 ? send() : start());
  });
}
