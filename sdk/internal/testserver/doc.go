// Package testserver is a fault-injecting WebSocket server for the tests of
// the steadyws client, used natively (Go tests call its methods) and from a
// browser (tests in headless Chromium drive it over the HTTP control surface
// served at ControlURL, which stays up during an outage).
//
// It speaks the steadyws envelope protocol on /ws (see README.md, "Wire
// protocol") and answers a fixed set of requests that let a test make it
// misbehave: echo, sum, fail, slow, drop, close, send, big and ask. Every
// request type is documented on Server.
//
// It only listens on loopback addresses.
package testserver
