package sdk

// Numbers and names that cross between Go and JavaScript, each declared
// once, here. js/constants.mjs (imported by js/steadyws.mjs) and
// internal/jsws/constants.js (evaluated with the socket shim) are generated
// from them by jsabi_test.go, which fails when a committed file is out of
// date:
//
//	go test ./sdk -run TestJSConstants -update

// Actions: route's decision on one inbound message, as the JavaScript API
// gets it from the steadyws_route export (and the shim acts on actPong and
// actFull itself).
const (
	actNone    = 0 // handled in Go, or dropped and reported
	actEvent   = 1 // the handlers of the message's type
	actReply   = 2 // settles the request it answers (JavaScript resolves it)
	actRequest = 3 // a handler answers the request
	actRaw     = 4 // raw handlers
	actPong    = 5 // answer with {"type":"pong"}
	actFull    = 6 // the head was not enough: call again with the whole message
)

// The results of steadyws_route and steadyws_frame: an action in the low
// byte, and routeYield when the call woke goroutines, which run only once
// JavaScript lets Go run (WASM-NOTES.md: an export call schedules nothing).
const (
	routeAct   = 0xff
	routeYield = 0x100
)

// What the routing exports are told about the message they are given: the
// head of a longer message, the whole message, or the whole message again
// after a head routed it as an event although id or re follow data (it
// was counted already).
const (
	routeHeadOnly  = 0
	routeComplete  = 1
	routeReexamine = 2
)

// Results of the send exports (steadyws_send, steadyws_request): a positive
// socket id means "send it now on that socket", with sendYield set when
// JavaScript should then let Go run; the others mean what they say.
const (
	sendYield = 1 << 30
	// sendNumbered: reliable mode numbered the event; JavaScript reads its
	// number from steadyws_seq and sends it with it.
	sendNumbered    = 1 << 29
	sendSocket      = sendNumbered - 1
	sendQueued      = 0
	sendClosed      = -1
	sendQueueFull   = -2
	sendNoQueue     = -3
	sendNoClient    = -4
	sendDuplicateID = -5
	sendTooLarge    = -6 // larger than queue.bytes
)

// Socket events the shim reports through its js.Func.
const (
	sockOpen    = 1
	sockClose   = 2
	sockMessage = 3 // without the wasm exports only
	sockDrained = 4
)

// highWater is the bufferedAmount past which a socket counts as congested:
// a Go write waits for the browser to drain it, and sends of the JavaScript
// API queue until the shim reports it drained.
const highWater = 4 << 20

// Error names (error.name in JavaScript) and the codes of the errors
// JavaScript throws or rejects with (error.code).
const (
	nameUnknownType     = "UnknownTypeError"
	nameMalformed       = "MalformedError"
	nameLimit           = "LimitError"
	nameExpired         = "ExpiredError"
	nameDiscarded       = "DiscardedError"
	nameHandler         = "HandlerError"
	nameUnexpectedReply = "UnexpectedReplyError"
	nameUnconfirmed     = "UnconfirmedError"
	nameUnhandledFrame  = "UnhandledFrameError"
	nameUnreachable     = "UnreachableError"
	nameSessionLost     = "SessionLostError"
	nameUnsupported     = "ReliableUnsupportedError"
	nameReserved        = "ReservedTypeError"

	codeTimeout        = "timeout"
	codeExpired        = "expired"
	codeConnectionLost = "connection_lost"
	codeClosed         = "closed"
	codeQueueFull      = "queue_full"
	codeNotConnected   = "not_connected"
	codeDuplicateID    = "duplicate_id"
	codeTooLarge       = "too_large"
)
