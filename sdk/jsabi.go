package sdk

// Numbers that cross between Go and JavaScript. Each is declared once, here;
// js/constants.mjs (for steadyws.mjs) and internal/jsws/constants.js (for the
// socket shim) are generated from jsTable (see jsabi_test.go), and a test
// fails when they disagree.

// Actions: route's decision on one inbound message, which the JavaScript API
// gets from the steadyws_route export.
const (
	actNone    = 0 // handled in Go, or dropped and reported
	actEvent   = 1 // the handlers of the message's type
	actReply   = 2 // settles the request it answers (JavaScript resolves it)
	actRequest = 3 // a handler answers the request
	actRaw     = 4 // raw handlers
	actPong    = 5 // answer with {"type":"pong"}
	actFull    = 6 // the head was not enough: call again with the whole message
)
