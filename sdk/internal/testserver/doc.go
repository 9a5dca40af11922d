// Package testserver is a fault-injecting WebSocket server for the tests of
// the steadyws client, used natively (Go tests call its methods) and from a
// browser (tests in headless Chromium drive it over the HTTP control surface
// served at ControlURL, which stays up during an outage).
//
// The protocol itself is sdk/server's (see README.md, "Wire protocol" and
// "Server"): the whole client suite runs against the server users build.
// What this package adds is only what a fault injector needs around it:
// handshake rejections, accept-then-close storms, outages, drops and close
// codes, half-open (silent) connections and delays below the WebSocket
// code, requests that misbehave on purpose, and a record of every frame
// received. Every request type is documented on Server.
//
// It only listens on loopback addresses.
package testserver
