package sdk

import (
	"bytes"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// envelope is the routing part of a message. Data and Error are the raw
// JSON values, sliced from the frame without decoding them.
type envelope struct {
	Type  string
	ID    int64
	Re    int64
	Data  []byte
	Error []byte
}

// scanEnvelope reads type, id and re from a frame and locates data and
// error, skipping over every value it does not need. It checks the structure
// it walks (a top-level object, balanced brackets, terminated strings) but
// does not validate data's contents beyond that: the typed handler's decoder
// does. The frame must be valid UTF-8, as JSON text is: receive checks that
// natively, and browsers deliver nothing else.
func scanEnvelope(b []byte) (envelope, error) {
	var e envelope
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
			default:
				if !s.skipValue() {
					return e, s.fail("bad value for " + quote(string(key)))
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
	return &MalformedError{Reason: reason, Prefix: string(p)}
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

// maxSafeInt is the largest integer JavaScript numbers hold exactly
// (Number.MAX_SAFE_INTEGER): ids beyond it could not be told apart there.
const maxSafeInt = 1<<53 - 1

// positiveInt reads an id: digits only (no sign, fraction or exponent, and
// no leading zero, which JSON forbids), from 1 to maxSafeInt.
func (s *scanner) positiveInt() (int64, bool) {
	if s.i >= len(s.b) || s.b[s.i] < '1' || s.b[s.i] > '9' {
		return 0, false
	}
	var n int64
	for s.i < len(s.b) && s.b[s.i] >= '0' && s.b[s.i] <= '9' {
		d := int64(s.b[s.i] - '0')
		if n > (maxSafeInt-d)/10 {
			return 0, false
		}
		n = n*10 + d
		s.i++
	}
	return n, true
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

// appendEnvelope appends {"type":t,"id"|"re":n,"data"|"error":raw} to dst.
// key is "id", "re" or "" (no number); payloadKey is "data" or "error";
// raw must be valid JSON or empty (omitted).
func appendEnvelope(dst []byte, t string, key string, n int64, payloadKey string, raw []byte) []byte {
	dst = append(dst, `{"type":`...)
	dst = appendJSONString(dst, t)
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

// appendErrorPayload appends {"code":code,"message":msg}.
func appendErrorPayload(dst []byte, code, msg string) []byte {
	dst = append(dst, `{"code":`...)
	dst = appendJSONString(dst, code)
	dst = append(dst, `,"message":`...)
	dst = appendJSONString(dst, msg)
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// quote is strconv.Quote for messages, without strconv's Unicode tables
// (they would weigh on the browser build).
func quote(s string) string { return string(appendJSONString(nil, s)) }

// quoteShort is quote for text a peer or a page chose, cut after 64 bytes
// so that no error message grows with it.
func quoteShort(s string) string {
	if len(s) > 64 {
		return quote(s[:64]) + "…"
	}
	return quote(s)
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(dst []byte, s string) []byte {
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
