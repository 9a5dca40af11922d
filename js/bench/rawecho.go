//go:build !js

package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"github.com/coder/websocket"
)

// The raw echo on /echo serves the request workloads (rtt, pipelined,
// bulk) to every client. It reads and writes on one goroutine and turns a
// request into its reply in place, so that the server adds as little as
// it can to what the clients are compared on. sdk/server hands each
// message to a handler goroutine and each reply to a writer goroutine,
// which more than doubled a native round trip (raw coder/websocket, client
// E: about 40 µs against this echo, 90–120 µs against sdk/server on a
// 2-vCPU VM), and a handler's json.RawMessage is checked by encoding/json
// on the way in and out, which costs a 64 KiB echo more than the browser
// clients take to decode it: against sdk/server, the clients' differences
// disappear in the server's cost. Every client gets the same echo, so
// that no ratio charges one client for a server the other did not have.
// `-server sdk` runs these workloads against sdk/server instead.

func (s *server) serveRaw(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		// The bench page and the outage server live on different ports.
		OriginPatterns:  []string{"127.0.0.1:*"},
		CompressionMode: websocket.CompressionDisabled,
	})
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.hs == nil { // went down during the handshake
		s.mu.Unlock()
		c.CloseNow()
		return
	}
	s.rawConns[c] = true
	s.wg.Add(1)
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.rawConns, c)
		s.mu.Unlock()
		c.CloseNow()
		s.wg.Done()
	}()
	c.SetReadLimit(4 << 20)
	ctx := context.Background() // the connection ends by CloseNow, not by ctx
	var buf bytes.Buffer
	for {
		typ, rd, err := c.Reader(ctx)
		if err != nil {
			return
		}
		buf.Reset()
		if _, err := buf.ReadFrom(rd); err != nil {
			return
		}
		msg := buf.Bytes()
		if typ == websocket.MessageText {
			toReply(msg)
		}
		if err := c.Write(ctx, typ, msg); err != nil {
			return
		}
	}
}

// toReply turns an envelope into the server's answer in place: a request
// {"type":T,"id":N,"data":D} becomes the reply {"type":T,"re":N,"data":D},
// a ping becomes a pong, and an event stays as it is. Both rewrites keep
// the length, so the echo costs no allocation and no JSON decoding beyond
// a scan of the top-level keys. Anything that is not a JSON object is left
// alone.
func toReply(b []byte) {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return
	}
	i++
	for {
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != '"' {
			return
		}
		keyStart := i + 1
		i = skipString(b, i)
		if i < 0 {
			return
		}
		key := b[keyStart : i-1]
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ':' {
			return
		}
		i = skipSpace(b, i+1)
		valStart := i
		i = skipValue(b, i)
		if i < 0 {
			return
		}
		switch string(key) {
		case "id":
			copy(key, "re")
		case "type":
			if string(b[valStart:i]) == `"ping"` {
				copy(b[valStart+1:], "pong")
			}
		}
		i = skipSpace(b, i)
		if i >= len(b) || b[i] != ',' {
			return
		}
		i++
	}
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipString returns the index after the string starting at b[i] == '"',
// or -1.
func skipString(b []byte, i int) int {
	i++
	for {
		j := bytes.IndexAny(b[i:], `"\`)
		if j < 0 {
			return -1
		}
		i += j
		if b[i] == '"' {
			return i + 1
		}
		i += 2 // an escape: skip the backslash and the byte after it
		if i > len(b) {
			return -1
		}
	}
}

// skipValue returns the index after the JSON value at b[i], or -1.
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				if i < 0 {
					return -1
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return -1
	default: // number, true, false, null
		for i < len(b) && !strings.ContainsRune(",}] \t\r\n", rune(b[i])) {
			i++
		}
		return i
	}
}
