// Package chat is the steadyws demo server: a chat room spoken over the
// steadyws envelope protocol on /ws, the demo page on /, the built SDK
// (steadyws.wasm, wasm_exec.js, steadyws.mjs) on /dist/, and fault
// endpoints under /fault/ that break connections on purpose so the SDK's
// recovery can be watched. The protocol itself is sdk/server's; this
// package is the room, the faults and the page.
//
// /ws serves reliable mode (sdk/server's Options.Reliable): chat lines and
// error events go to a client that opened with a $hello numbered, kept
// until acknowledged and resent at its resume, and its chat events are
// handed to the room exactly once, so the fault buttons lose and double
// nothing. Sessions are bound to the principal authorize returns (see
// principal.go). Clients that do not ask for reliable mode are served as
// before.
//
// / also accepts a WebSocket upgrade, for the seed tutorial's page
// (new WebSocket("ws://127.0.0.1:8001/")): its plain text frames go to the
// room as chat lines from "seed-XXXX", and it gets the room's chat lines
// as plain text, "nick: text". It is served by a second, ordinary
// server.Server with the same handlers, so that the room's Broadcast on
// /ws never reaches it.
//
// # Protocol
//
// Requests from a client (answered with a reply, or an error reply):
//
//	join {"nick":"ada","session":"s1"}  → {"nick":"ada","users":[{"nick":"ada","agent":"browser"}]}
//	sum  {"a":1,"b":2}                 → {"sum":3}
//	time                               → {"now":"2006-01-02T15:04:05Z","unixMs":1136214245000}
//
// Events from a client:
//
//	chat {"text":"hi","cid":"c1"}      broadcast as chat {"nick","text","ts","cid"} to everyone connected;
//	                                   a client that has not joined speaks as "guest-XXXX"
//	ping                               answered with pong
//
// Events from the server: chat, presence {"users":[...],"joined":"ada"} or
// {"users":[...],"left":"ada"} on every change of the room, and error
// {"code","message","type","cid"} for a bad event or frame. After a join
// the server asks the client the request whoami and expects
// {"nick":"ada","agent":"browser"}; the answer goes out as a presence
// update (with neither joined nor left).
//
// A nickname is 1–24 characters after trimming and unique in the room; a
// join with a nickname held by a connection of the same session (a client
// that reconnected before the server noticed the old connection died)
// takes it over. Chat text is at most 2000 characters, a message at most
// 16 KiB. Nothing a client sends crashes the server: bad JSON and unknown
// types are answered with errors and the connection stays up.
package chat
