// Compiled (not run) by `make test`: proves steadyws.d.ts types a protocol
// end to end, and rejects what it should.
import { load, DEFAULTS, type Client } from "./steadyws.mjs";

type Chat = {
  events: { chat: { nick: string; text: string }; presence: { users: string[] } };
  requests: { sum: { args: { a: number; b: number }; reply: { sum: number } } };
  serverRequests: { whoami: { args: Record<string, never>; reply: { agent: string } } };
};

async function main(): Promise<void> {
  const steadyws = await load({ wasmURL: "/steadyws.wasm" });
  const client: Client<Chat> = steadyws.connect<Chat>("ws://127.0.0.1:8001/ws", {
    backoff: { initialMs: 500, maxMs: 30000, factor: 2, jitter: 0.5 },
    heartbeat: { intervalMs: 25000, timeoutMs: 10000 },
    queue: { limit: 1000 },
  });
  const off: () => void = client.on("chat", (d) => { const n: string = d.nick; void n; });
  off();
  client.handle("whoami", async () => ({ agent: "browser" }));
  const sent: boolean = client.send("chat", { nick: "a", text: "hi" });
  const r = await client.request("sum", { a: 1, b: 2 }, { timeoutMs: 5000, signal: new AbortController().signal });
  const total: number = r.sum;
  client.addEventListener("close", (e) => { const ms: number = e.delayMs; const again: boolean = e.willReconnect; void ms; void again; });
  client.onerror = (e) => { if (e.error.name === "UnconfirmedError") { const n: number = e.count ?? 0; const ts: string[] = e.types ?? []; void n; void ts; } };
  const unconfirmed: number = client.stats().unconfirmed;
  void unconfirmed;
  client.onstatechange = (e) => { const s: "connecting" | "open" | "reconnecting" | "closed" = e.state; void s; };
  const limit: number = DEFAULTS.queue.limit;
  void sent; void total; void limit;

  // @ts-expect-error: unknown event type
  client.on("caht", () => {});
  // @ts-expect-error: wrong data shape
  client.send("chat", { text: 1 });
  // @ts-expect-error: misspelt option
  steadyws.connect("ws://x", { backof: {} });
  // @ts-expect-error: reply has no field "total"
  const bad: number = (await client.request("sum", { a: 1, b: 2 })).total;
  void bad;

  // Without a protocol, everything is allowed and data is unknown.
  const loose = steadyws.connect(async () => "ws://x");
  loose.on("anything", (d) => { const u: unknown = d; void u; });
}
void main;
