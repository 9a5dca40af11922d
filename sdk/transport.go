package sdk

// conn is one live connection, as a platform transport provides it. The
// transport delivers inbound frames by calling sink.frame synchronously, one
// at a time, and sink.ended exactly once when the connection is gone (after
// which it makes no more calls). Nothing in the core blocks in a read: the
// browser transport calls the sink from JavaScript events; the native one
// from whichever goroutine reads, its own or a caller waiting for a reply
// (lead_native.go).
type conn interface {
	// write sends one frame. It may block until the frame is handed to the
	// network (native) or buffered (browser); ctx bounds that wait.
	write(ctx ctxt, f frame) error
	// close starts a close handshake with code and reason and makes sure
	// the connection is gone soon after, even if the peer never answers.
	close(code int, reason string)
	// abort drops the connection at once, without a handshake.
	abort()
}

// sink receives a connection's events; *link implements it.
type sink interface {
	frame(typ MessageType, data []byte)
	// oversize reports a message larger than the read limit that the
	// transport discarded without buffering it.
	oversize(size int64)
	ended(info CloseInfo)
}

// dialer opens the connection of link l; the transport reports to l through
// its sink methods (and, in the browser, setCongested and routeHead). dial
// must honour ctx for the whole handshake and leave nothing behind when it
// fails or ctx ends. Client.dial is platformDial, or the JavaScript API's
// (jsapi_js.go).
type dialer func(ctx ctxt, url string, o *Options, l *link) (conn, error)

// frame is one outgoing message as conn.write takes it: bytes held by Go,
// or a handle (ref > 0) on a message the transport holds for its owner (the
// browser's socket shim keeps the JavaScript API's strings, so that they
// never cross into Go memory). A frame that will never be written is
// released (release, per platform).
type frame struct {
	typ  MessageType
	data []byte
	ref  int32 // > 0: the message the transport holds
	size int   // bytes (UTF-16 units for JavaScript strings)
	// numbered marks a reliable-mode event that is numbered as it is
	// written (see number): data is then the event's JSON data (a ref,
	// the JavaScript API's envelope without seq), and seq its number
	// once given.
	numbered bool
	seq      int64
}

func bytesFrame(typ MessageType, data []byte) frame {
	return frame{typ: typ, data: data, size: len(data)}
}
