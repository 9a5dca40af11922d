// Package wire is steadyws's wire protocol: the envelope's scanner and
// encoder, and the one classification of an inbound frame that every path
// (the Go client, the JavaScript API, the server) routes by. It allocates
// little and imports neither encoding/json nor fmt, so the browser build
// stays small.
package wire

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Envelope is the routing part of a message. Data and Error are the raw
// JSON values, sliced from the frame without decoding them.
type Envelope struct {
	Type  string
	ID    int64
	Re    int64
	Seq   int64 // reliable mode's event number; 0 when absent or not a positive integer
	Data  []byte
	Error []byte
}

// Scan reads type, id and re from a frame and locates data and
// error, skipping over every value it does not need. It checks the structure
// it walks (a top-level object, balanced brackets, terminated strings) but
// does not validate data's contents beyond that: the typed handler's decoder
// does. The frame must be valid UTF-8, as JSON text is: receive checks that
// natively, and browsers deliver nothing else.
func Scan(b []byte) (Envelope, error) {
	var e Envelope
	s := scanner{b: b}
	s.space()
	if !s.eat('{') {
		return e, s.fail("not a JSON object")
	}
	s.space()
	if !s.eat('}') {
		for {
			s.space()
			key, ok := s.key()
			if !ok {
				return e, s.fail("expected a string key")
			}
			s.space()
			if !s.eat(':') {
				return e, s.fail("expected ':'")
			}
			s.space()
			start := s.i
			switch string(key) {
			case "type":
				t, ok := s.stringValue()
				if !ok {
					return e, s.fail(`"type" must be a string`)
				}
				e.Type = t
			case "id", "re":
				n, ok := s.positiveInt()
				if !ok {
					return e, s.fail(`"` + string(key) + `" must be a positive integer`)
				}
				if string(key) == "id" {
					e.ID = n
				} else {
					e.Re = n
				}
			case "seq":
				n, ok := s.seq()
				if !ok {
					return e, s.fail("bad value for \"seq\"")
				}
				e.Seq = n
			default:
				if !s.skipValue() {
					return e, s.fail("bad value for " + Quote(string(key)))
				}
				if string(key) == "data" {
					e.Data = b[start:s.i]
				} else if string(key) == "error" {
					e.Error = b[start:s.i]
				}
			}
			s.space()
			if s.eat('}') {
				break
			}
			if !s.eat(',') {
				return e, s.fail("expected ',' or '}'")
			}
		}
	}
	s.space()
	if s.i != len(b) {
		return e, s.fail("trailing data after the object")
	}
	if e.Type == "" {
		return e, s.fail(`missing "type"`)
	}
	if e.ID > 0 && e.Re > 0 {
		return e, s.fail(`both "id" and "re" set`)
	}
	return e, nil
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) fail(reason string) error {
	p := s.b
	if len(p) > 64 {
		p = p[:64]
	}
	return &SyntaxError{Reason: reason, Prefix: string(p)}
}

func (s *scanner) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// skipString moves past a string starting at s.i. Runs without escapes
// are skipped with bytes.IndexByte, so a large data string costs little.
// Raw control characters are left for the data's decoder to refuse.
func (s *scanner) skipString() bool {
	if !s.eat('"') {
		return false
	}
	for {
		q := bytes.IndexByte(s.b[s.i:], '"')
		if q < 0 {
			return false
		}
		e := bytes.IndexByte(s.b[s.i:s.i+q], '\\')
		if e < 0 {
			s.i += q + 1
			return true
		}
		s.i += e + 2 // the backslash and the character it escapes
		if s.i > len(s.b) {
			return false
		}
	}
}

// stringValue returns a string's unescaped contents. Keys are read with it
// too, so that "typ\u0065" is the type, as JSON says.
// key reads an object key. It allocates only for a key with escapes, so
// that comparing string(key) costs nothing on the per-message path.
func (s *scanner) key() ([]byte, bool) {
	start := s.i + 1
	if !s.skipString() {
		return nil, false
	}
	raw := s.b[start : s.i-1]
	if bytes.IndexByte(raw, '\\') >= 0 {
		k, ok := unescape(raw)
		return []byte(k), ok
	}
	return raw, true
}

func (s *scanner) stringValue() (string, bool) {
	start := s.i + 1
	if !s.skipString() {
		return "", false
	}
	raw := s.b[start : s.i-1]
	if bytes.IndexByte(raw, '\\') >= 0 {
		return unescape(raw)
	}
	return string(raw), true
}

func unescape(raw []byte) (string, bool) {
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			out = append(out, c)
			continue
		}
		i++
		if i >= len(raw) {
			return "", false
		}
		switch raw[i] {
		case '"', '\\', '/':
			out = append(out, raw[i])
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(raw[i+1:])
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					r2, ok = hex4(raw[i+3:])
				}
				if d := utf16.DecodeRune(r, r2); ok && d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			return "", false
		}
	}
	return string(out), true
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// MaxSafeInt is the largest integer JavaScript numbers hold exactly
// (Number.MAX_SAFE_INTEGER): ids beyond it could not be told apart there.
const MaxSafeInt = 1<<53 - 1

// positiveInt reads an id: digits only (no sign, fraction or exponent, and
// no leading zero, which JSON forbids), from 1 to MaxSafeInt.
func (s *scanner) positiveInt() (int64, bool) {
	if s.i >= len(s.b) || s.b[s.i] < '1' || s.b[s.i] > '9' {
		return 0, false
	}
	var n int64
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		d := int64(s.b[s.i] - '0')
		if n > (MaxSafeInt-d)/10 {
			return 0, false
		}
		n = n*10 + d
		s.i++
	}
	return n, true
}

// seq reads reliable mode's "seq": a positive integer is the number. Only
// reliable mode gives seq a meaning, so elsewhere it is any other key: a
// value that is not such a number is skipped and gives 0. ok is false for
// a value that is not JSON.
func (s *scanner) seq() (n int64, ok bool) {
	at := s.i
	if n, ok := s.positiveInt(); ok && s.i < len(s.b) && (s.b[s.i] == ',' || s.b[s.i] == '}' || s.b[s.i] <= ' ') {
		return n, true
	}
	s.i = at
	return 0, s.skipValue()
}

// skipValue moves past any JSON value.
func (s *scanner) skipValue() bool {
	if s.i >= len(s.b) {
		return false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.skipString()
	case c == '{' || c == '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if !s.skipString() {
					return false
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return true
				}
			}
			s.i++
		}
		return false
	default:
		start := s.i
		for s.i < len(s.b) {
			switch c := s.b[s.i]; {
			case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c == '-', c == '+', c == '.', c == 'E':
				s.i++
				continue
			}
			break
		}
		if s.i == start {
			return false
		}
		switch v := string(s.b[start:s.i]); v {
		case "true", "false", "null":
			return true
		default:
			return v[0] == '-' || v[0] >= '0' && v[0] <= '9'
		}
	}
}

// Append appends {"type":t,"id"|"re":n,"data"|"error":raw} to dst.
// key is "id", "re" or "" (no number); payloadKey is "data" or "error";
// raw must be valid JSON or empty (omitted).
func Append(dst []byte, t string, key string, n int64, payloadKey string, raw []byte) []byte {
	dst = append(dst, `{"type":`...)
	dst = AppendString(dst, t)
	if key != "" {
		dst = append(dst, ',', '"')
		dst = append(dst, key...)
		dst = append(dst, '"', ':')
		dst = strconv.AppendInt(dst, n, 10)
	}
	if len(raw) > 0 {
		dst = append(dst, ',', '"')
		dst = append(dst, payloadKey...)
		dst = append(dst, '"', ':')
		dst = append(dst, raw...)
	}
	return append(dst, '}')
}

// AppendError appends {"code":code,"message":msg}.
func AppendError(dst []byte, code, msg string) []byte {
	dst = append(dst, `{"code":`...)
	dst = AppendString(dst, code)
	dst = append(dst, `,"message":`...)
	dst = AppendString(dst, msg)
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// Quote is strconv.Quote for messages, without strconv's Unicode tables
// (they would weigh on the browser build).
func Quote(s string) string { return string(AppendString(nil, s)) }

// QuoteShort is Quote for text a peer or a page chose, cut after 64 bytes
// so that no error message grows with it.
func QuoteShort(s string) string {
	if len(s) > 64 {
		return Quote(s[:64]) + "…"
	}
	return Quote(s)
}

// AppendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+size]...)
		}
		i += size
	}
	return append(dst, '"')
}

// ScanHead reads type, id and re from the start of a message that goes on
// beyond head. It stops at the first "data" or "error" key once the type is
// known: senders put type, id and re first (as the SDK does), so the head of
// even a large message routes it. Anything else is an error, and the caller
// scans the whole message instead. What comes after data goes unseen: an id
// or re there (route then scans the whole message unless the type has event
// handlers; steadyws.mjs then finds it in the parsed message and settles or
// answers it instead of calling the handlers), or a routing key repeated (JSON.parse, which JavaScript runs
// on the whole message, keeps the last); FuzzScanHead and FuzzRoute check
// that nothing else can tell head and whole message apart.
func ScanHead(b []byte) (Envelope, error) {
	var e Envelope
	s := scanner{b: b}
	s.space()
	if !s.eat('{') {
		return e, s.fail("not a JSON object")
	}
	for {
		s.space()
		key, ok := s.key()
		if !ok {
			return e, s.fail("head too short")
		}
		s.space()
		if !s.eat(':') {
			return e, s.fail("head too short")
		}
		s.space()
		switch string(key) {
		case "type":
			if e.Type, ok = s.stringValue(); !ok {
				return e, s.fail("head too short")
			}
		case "id", "re":
			n, ok := s.positiveInt()
			if !ok || s.i >= len(s.b) {
				return e, s.fail("head too short")
			}
			if string(key) == "id" {
				e.ID = n
			} else {
				e.Re = n
			}
		case "seq":
			n, ok := s.seq()
			if !ok || s.i >= len(s.b) {
				return e, s.fail("head too short")
			}
			e.Seq = n
		case "data", "error":
			if e.Type == "" || e.ID > 0 && e.Re > 0 {
				return e, s.fail("head too short")
			}
			return e, nil
		default:
			if !s.skipValue() {
				return e, s.fail("head too short")
			}
		}
		s.space()
		if !s.eat(',') {
			return e, s.fail("head too short")
		}
	}
}

// DecodeError reads an error reply's {"code":..,"message":..} with the
// scanner's primitives, so that no encoding/json is needed. A payload that
// is not an object gives code "error" and the payload as the message.
func DecodeError(raw []byte) (code, message string) {
	code = "error"
	s := scanner{b: raw}
	s.space()
	if !s.eat('{') {
		return code, string(raw)
	}
	for {
		s.space()
		key, ok := s.stringValue()
		if !ok {
			return code, message
		}
		s.space()
		s.eat(':')
		s.space()
		if key == "code" || key == "message" {
			if v, ok := s.stringValue(); ok {
				if key == "code" {
					code = v
				} else {
					message = v
				}
			} else if !s.skipValue() {
				return code, message
			}
		} else if !s.skipValue() {
			return code, message
		}
		s.space()
		if !s.eat(',') {
			return code, message
		}
	}
}

// ErrorReply is the error reply to request id of type t.
func ErrorReply(t string, id int64, code, msg string) []byte {
	return Append(nil, t, "re", id, "error", AppendError(nil, code, msg))
}

// Heartbeat frames.
var (
	PingFrame = []byte(`{"type":"ping"}`)
	PongFrame = []byte(`{"type":"pong"}`)
)

// SyntaxError is a text frame that is not an envelope. sdk reports it as
// *sdk.MalformedError.
type SyntaxError struct {
	Reason string
	// Prefix is the start of the frame, at most 64 bytes.
	Prefix string
}

func (e *SyntaxError) Error() string { return e.Reason + ": " + Quote(e.Prefix) }

// Kind is what an inbound envelope is, decided once for every path that
// routes frames.
type Kind uint8

const (
	KindEvent   Kind = iota // {"type":t,"data":..}: the handlers of t
	KindRequest             // with "id": one handler answers it
	KindReply               // with "re": settles the request it answers
	KindPing                // {"type":"ping"}: answer with a pong
	KindPong                // {"type":"pong"}: the answer to our ping
)

// Kind classifies e.
func (e *Envelope) Kind() Kind {
	switch {
	case e.Re > 0:
		return KindReply
	case e.ID == 0 && e.Type == "ping":
		return KindPing
	case e.ID == 0 && e.Type == "pong":
		return KindPong
	case e.ID > 0:
		return KindRequest
	}
	return KindEvent
}

// TopKeys returns the top-level keys of an object, in order, as far as
// the scanner can read them (tests compare the scanner with encoding/json
// by it).
func TopKeys(b []byte) []string {
	var keys []string
	s := scanner{b: b}
	s.space()
	s.eat('{')
	for {
		s.space()
		k, ok := s.stringValue()
		if !ok {
			return keys
		}
		keys = append(keys, k)
		s.space()
		s.eat(':')
		s.space()
		if !s.skipValue() {
			return keys
		}
		s.space()
		if !s.eat(',') {
			return keys
		}
	}
}

// AppendEvent appends a reliable-mode event, {"type":t,"seq":seq,"data":raw}.
func AppendEvent(dst []byte, t string, seq int64, raw []byte) []byte {
	return Append(dst, t, "seq", seq, "data", raw)
}

// AppendAck appends a reliable-mode acknowledgement, {"type":"$ack","seq":seq}.
func AppendAck(dst []byte, seq int64) []byte {
	return Append(dst, "$ack", "seq", seq, "", nil)
}
