// The steadyws demo page. It uses only the public JavaScript API of
// steadyws (load, connect, on, handle, send, request, reconnect, stats and
// the WebSocket-like events); everything else here is plain DOM code.

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
// Hidden knobs for tests and impatient people:
// ?restartMs=1500&silentMs=8000&heartbeatMs=1000&heartbeatTimeoutMs=1000
const restartMs = clampInt(params.get("restartMs"), 5000, 100, 60000);
const silentMs = clampInt(params.get("silentMs"), 15000, 100, 60000);
// Short by default, so that "go silent" is noticed within about 8 s.
const heartbeatMs = clampInt(params.get("heartbeatMs"), 5000, 100, 60000);
const heartbeatTimeoutMs = clampInt(params.get("heartbeatTimeoutMs"), 3000, 100, 60000);

const me = {
  nick: "",
  joined: false,
  // The session lets a reconnect take our nickname back even if the server
  // has not yet noticed that the old connection died.
  session: sessionStorage.getItem("steadyws-demo-session") || randomId(),
};
sessionStorage.setItem("steadyws-demo-session", me.session);

let client = null;
let reconnectAt = 0; // performance.now() of the next attempt, while waiting
let seq = 0;
const own = new Map(); // cid → { li, status } for messages we sent

$("restart-secs").textContent = formatSeconds(restartMs);
if (location.host !== "127.0.0.1:8001") {
  $("cli-cmd").textContent += ` -url ws://${location.host}/ws`;
}
$("nick").value = params.get("nick") || localStorage.getItem("steadyws-demo-nick") || "";

start();

async function start() {
  let steadyws;
  try {
    const { load } = await import("/dist/steadyws.mjs");
    steadyws = await load({ wasmURL: "/dist/steadyws.wasm" });
  } catch (err) {
    setBadge("closed", "not loaded");
    showBanner(`Could not load steadyws from /dist/ (${err.message}). Run <code>make wasm</code>, then reload.`);
    log("error", `loading steadyws failed: ${err.message}`);
    return;
  }

  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`;
  // Reliable mode: every chat line we send, and every one the room sends
  // us, arrives exactly once and in order, even across the fault buttons'
  // lost connections (the server keeps our session while we are away).
  client = steadyws.connect(url, {
    reliable: true,
    backoff: { initialMs: 500, maxMs: 5000 },
    heartbeat: { intervalMs: heartbeatMs, timeoutMs: heartbeatTimeoutMs },
  });
  log("state", `connecting to ${url}`);

  client.addEventListener("statechange", (e) => {
    if (e.state !== "reconnecting") reconnectAt = 0;
    renderBadge();
    log("state", `${e.previous} → ${e.state}`);
  });
  client.addEventListener("open", () => {
    log("open", "connection open");
    // Called synchronously from the open event, so the join request goes
    // out before whatever was queued during the outage.
    if (me.nick) join();
  });
  client.addEventListener("close", (e) => {
    const what = [`code ${e.code}`, e.reason, e.wasClean ? "clean" : "not clean"].filter(Boolean).join(", ");
    log("close", e.willReconnect
      ? `connection closed (${what}); next try in ${formatSeconds(e.delayMs)} s`
      : `connection closed for good (${what})`);
    // Reliable mode keeps what was written to the lost socket and sends it
    // again on the next connection, unless the server already has it.
    for (const [, m] of own) if (m.status === "sending") setStatus(m, "kept");
  });
  client.addEventListener("reconnecting", (e) => {
    reconnectAt = performance.now() + e.delayMs;
    log("retry", `attempt ${e.attempt} in ${formatSeconds(e.delayMs)} s`);
    renderBadge();
  });
  client.addEventListener("error", (e) => {
    log("error", e.message);
    // The server forgot our session (restarted, or we were away too
    // long): what it never acknowledged may or may not have arrived.
    if (e.error?.name === "SessionLostError") {
      for (const [, m] of own) if (m.status === "sending" || m.status === "kept") setStatus(m, "unconfirmed");
    }
  });

  client.on("chat", onChat);
  client.on("presence", onPresence);
  client.on("error", (e) => {
    log("server", `${e.code}: ${e.message}`);
    const m = e.cid && own.get(e.cid);
    if (m) setStatus(m, "failed", e.message);
  });
  // The server asks every new member who it is: a server-to-client request.
  client.handle("whoami", async () => {
    log("server", "asked whoami; answered browser");
    return { nick: me.nick, agent: "browser" };
  });

  setInterval(renderStats, 200);
  renderBadge();
}

// --- joining -------------------------------------------------------------

$("join-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const nick = $("nick").value.trim();
  if (!nick) return;
  me.nick = nick;
  localStorage.setItem("steadyws-demo-nick", nick);
  $("join-error").hidden = true;
  if (client && client.state === "open") join();
  else log("join", `will join as ${nick} once connected`);
});

async function join() {
  const nick = me.nick;
  $("me-state").textContent = "joining…";
  try {
    const r = await client.request("join", { nick, session: me.session }, { timeoutMs: 5000 });
    me.nick = r.nick;
    const first = !me.joined;
    me.joined = true;
    renderUsers(r.users);
    $("me-state").textContent = `joined as ${r.nick}`;
    $("join").textContent = "Rename";
    $("room-note").textContent = `you are ${r.nick}`;
    setComposer(true);
    log("join", `${first ? "joined" : "joined again"} as ${r.nick}`);
    if (first) $("text").focus();
  } catch (err) {
    if (err.code === "bad_nick" || err.code === "nick_taken") {
      log("join", `refused: ${err.message}`);
      me.nick = "";
      $("join-error").textContent = err.message;
      $("join-error").hidden = false;
      $("me-state").textContent = me.joined ? "joined" : "not joined";
      return;
    }
    // connection_lost, timeout…: the next open joins again.
    $("me-state").textContent = "will rejoin";
    log("join", `join failed (${err.code || err.message}); retrying on the next connection`);
  }
}

// --- sending ---------------------------------------------------------------

$("composer").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = $("text");
  const text = input.value.trim();
  if (!text || !client) return;
  const cid = `${me.session}-${++seq}`;
  let sent;
  try {
    sent = client.send("chat", { text, cid });
  } catch (err) {
    log("error", `not sent: ${err.message}`);
    const m = addOwn(text, cid);
    setStatus(m, "failed", err.message);
    return;
  }
  input.value = "";
  setStatus(addOwn(text, cid), sent ? "sending" : "queued");
});

function addOwn(text, cid) {
  const li = messageItem(me.nick, text, Date.now(), true);
  const m = { li, status: "" };
  own.set(cid, m);
  appendMessage(li);
  return m;
}

const statusText = {
  queued: "queued — goes out when the connection is back",
  sending: "sending…",
  kept: "kept — sent again when the connection is back",
  delivered: "delivered",
  unconfirmed: "not confirmed — the server lost our session before the echo",
  failed: "failed",
};

function setStatus(m, status, detail) {
  m.status = status;
  m.li.dataset.status = status;
  m.li.querySelector(".status").textContent = detail ? `${statusText[status]}: ${detail}` : statusText[status];
}

// --- receiving -------------------------------------------------------------

function onChat(m) {
  const mine = m.cid && own.get(m.cid);
  if (mine) {
    mine.li.querySelector("time").textContent = clock(m.ts);
    setStatus(mine, "delivered");
    return;
  }
  appendMessage(messageItem(m.nick, m.text, m.ts, m.nick === me.nick));
}

function onPresence(p) {
  renderUsers(p.users);
  if (p.joined && p.joined !== me.nick) appendSystem(`${p.joined} joined`);
  if (p.left && p.left !== me.nick) appendSystem(`${p.left} left`);
}

function renderUsers(users) {
  const ul = $("users");
  ul.replaceChildren(...users.map((u) => {
    const li = el("li", "user");
    const av = el("span", "avatar", initial(u.nick));
    av.style.setProperty("--nick", nickColor(u.nick));
    li.append(av, el("span", "who", u.nick));
    if (u.nick === me.nick) li.append(el("span", "you", "you"));
    if (u.agent) li.append(el("span", `agent agent-${u.agent}`, u.agent));
    return li;
  }));
  $("online-count").textContent = `${users.length} online`;
}

// --- the message list ----------------------------------------------------

function messageItem(nick, text, ts, mine) {
  const li = el("li", mine ? "msg own" : "msg");
  const meta = el("div", "meta");
  const who = el("span", "nick", nick);
  who.style.setProperty("--nick", nickColor(nick));
  meta.append(who, el("time", "", clock(ts)));
  li.append(meta, el("div", "text", text));
  if (mine) li.append(el("div", "status"));
  return li;
}

function appendSystem(text) {
  appendMessage(el("li", "sys", text));
}

function appendMessage(li) {
  const list = $("messages");
  $("empty")?.remove();
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.append(li);
  if (atBottom || li.classList.contains("own")) list.scrollTop = list.scrollHeight;
}

// --- the badge and the numbers --------------------------------------------

function renderBadge() {
  if (!client) return;
  const state = client.state;
  let text = state;
  if (state === "reconnecting") {
    const left = reconnectAt - performance.now();
    text = reconnectAt && left > 0 ? `reconnecting in ${formatSeconds(left)} s` : "reconnecting…";
  } else if (state === "connecting") {
    text = "connecting…";
  }
  setBadge(state, text);
  $("retry").hidden = !(state === "reconnecting" || state === "closed");
}

function setBadge(state, text) {
  $("badge").dataset.state = state;
  $("badge-text").textContent = text;
}

function renderStats() {
  renderBadge();
  const s = client.stats();
  $("stat-attempts").textContent = s.attempts;
  $("stat-reconnects").textContent = s.reconnects;
  $("stat-queued").textContent = s.queued;
  $("stat-queued").parentElement.classList.toggle("hot", s.queued > 0);
  $("stat-rtt").textContent = s.rttMs > 0 ? `${s.rttMs < 10 ? s.rttMs.toFixed(1) : Math.round(s.rttMs)} ms` : "–";
  // Reliable mode's work: events written again after a reconnect, repeats
  // from the server dropped unseen, and events waiting for the server's
  // acknowledgement.
  $("stat-resent").textContent = s.resent;
  $("stat-duplicates").textContent = s.duplicates;
  $("stat-unacked").textContent = s.unacked;
  if (s.queued === 0) {
    // The queue has been flushed onto the new connection.
    for (const [, m] of own) if (m.status === "queued") setStatus(m, "sending");
  }
}

$("retry").addEventListener("click", () => {
  log("state", "reconnect() called");
  client?.reconnect();
});

// --- breaking things -------------------------------------------------------

for (const b of document.querySelectorAll("[data-fault]")) {
  b.addEventListener("click", () => fault(b.dataset.fault));
}

function setComposer(on) {
  $("text").disabled = !on;
  $("send").disabled = !on;
  $("text").placeholder = on ? "Say something — Enter sends" : "Join the room to chat";
  for (const b of document.querySelectorAll('[data-fault="drop"], [data-fault="silent"]')) b.disabled = !on;
}

async function fault(kind) {
  const nick = encodeURIComponent(me.nick);
  const url = {
    drop: `/fault/drop?nick=${nick}`,
    "drop-all": "/fault/drop-all",
    restart: `/fault/restart?ms=${restartMs}`,
    silent: `/fault/silent?nick=${nick}&ms=${silentMs}`,
  }[kind];
  const what = {
    drop: "dropping my connection",
    "drop-all": "dropping everyone",
    restart: `restarting the server for ${formatSeconds(restartMs)} s`,
    silent: `going silent for ${formatSeconds(silentMs)} s (the heartbeat should notice within ${formatSeconds(heartbeatMs + heartbeatTimeoutMs)} s)`,
  }[kind];
  log("fault", what);
  try {
    const resp = await fetch(url, { method: "POST" });
    const body = await resp.json();
    if (!body.ok) log("fault", `refused: ${body.error}`);
  } catch (err) {
    log("fault", `request failed: ${err.message}`);
  }
}

// --- the event log -------------------------------------------------------

function log(kind, text) {
  const list = $("log");
  const li = el("li", `entry kind-${kind}`);
  li.append(el("time", "", clock(Date.now(), true)), el("span", "kind", kind), el("span", "what", text));
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 30;
  list.append(li);
  while (list.children.length > 300) list.firstElementChild.remove();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

$("clear-log").addEventListener("click", () => $("log").replaceChildren());

// --- helpers ---------------------------------------------------------------

function showBanner(html) {
  $("banner").innerHTML = html;
  $("banner").hidden = false;
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function clock(ms, withMillis) {
  const d = new Date(ms);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  const s = `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  return withMillis ? `${s}.${p(d.getMilliseconds(), 3)}` : s;
}

function formatSeconds(ms) {
  const s = ms / 1000;
  return s >= 10 || Number.isInteger(s) ? String(Math.round(s)) : s.toFixed(1);
}

function initial(nick) {
  return [...nick][0]?.toUpperCase() ?? "?";
}

const palette = ["#2563eb", "#0f766e", "#b45309", "#be185d", "#7c3aed", "#15803d", "#c2410c", "#0369a1"];

function nickColor(s) {
  let h = 0;
  for (const ch of s) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return palette[h % palette.length];
}

function randomId() {
  return crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2);
}

function clampInt(v, def, lo, hi) {
  const n = Number.parseInt(v ?? "", 10);
  return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : def;
}
