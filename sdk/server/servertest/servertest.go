//go:build !js

// Package servertest checks that a server speaks the steadyws wire
// protocol (README.md, "Wire protocol" and "Writing a server"), whatever it
// is written in. Run dials the server's WebSocket URL with a plain
// coder/websocket connection and raw TCP, never with the steadyws client,
// and returns one Result per rule:
//
//	results := servertest.Run(ctx, servertest.Config{
//		URL:      "ws://127.0.0.1:8001/ws",
//		Requests: []servertest.Request{{Type: "sum", Data: json.RawMessage(`{"a":1,"b":2}`)}},
//	})
//	if servertest.Print(os.Stdout, results) > 0 { ... }
//
// The command sdk/server/servertest/cmd/conformance does the same from a
// shell, for teams whose server is not written in Go.
package servertest

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// DefaultTimeout bounds each rule's check when Config.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Seed handshake of RFC 6455 section 1.3: the server must answer this key
// with this accept value.
const (
	SeedKey    = "sN9cRrP/n9NdMgdcy2VJFQ=="
	SeedAccept = "fFBooB7FAkLlXgRSz0BT3v4hq5s="
)

// maxSafeID is the largest id a client may send (2^53-1, exact in a
// JavaScript number): a server must echo it digit for digit.
const maxSafeID = 1<<53 - 1

// Config says which server to check.
type Config struct {
	// URL is the server's WebSocket endpoint, ws:// or wss://.
	URL string
	// Header is sent with every handshake (a token the server wants, say).
	Header http.Header
	// Requests are request types the server answers, with the data to
	// send; each must get exactly one reply (or error reply) with its type
	// and re = id. None: only the unknown-type request is checked.
	Requests []Request
	// CheckOrigin adds the rule that a handshake from a foreign Origin is
	// refused. Leave it off for endpoints that serve pages of any origin on
	// purpose.
	CheckOrigin bool
	// Timeout bounds each rule's check. Defaults to DefaultTimeout.
	Timeout time.Duration
	// TLS is the TLS configuration of wss:// handshakes. Defaults to the
	// system's roots.
	TLS *tls.Config
}

// Request is a request type the server answers, and the data to send.
type Request struct {
	Type string
	Data json.RawMessage // nil: no "data" key
}

// Result is the outcome of one rule.
type Result struct {
	Rule   string // short name, stable across versions
	Pass   bool
	Detail string // what was seen: why it failed, or a note when it passed
}

// Run checks every rule against the server at cfg.URL and returns one
// Result per rule, in a fixed order. It stops early only when ctx ends (the
// rules left fail with ctx's error).
func Run(ctx context.Context, cfg Config) []Result {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	r := &runner{cfg: cfg}
	type rule struct {
		name string
		fn   func(ctx context.Context) (string, error)
	}
	rules := []rule{
		{"handshake-rfc6455", r.handshake},
		{"version-426", r.version426},
		{"ping-pong", r.pingPong},
		{"unknown-type", r.unknownType},
		{"id-echoed-exactly", r.largeID},
	}
	for _, q := range cfg.Requests {
		rules = append(rules, rule{"reply:" + q.Type, func(ctx context.Context) (string, error) { return r.reply(ctx, q) }})
	}
	rules = append(rules,
		rule{"key-order", r.keyOrder},
		rule{"malformed-survived", r.malformed},
		rule{"close-answered", r.closeAnswered},
	)
	if cfg.CheckOrigin {
		rules = append(rules, rule{"origin-checked", r.origin})
	}
	out := make([]Result, 0, len(rules))
	for _, ru := range rules {
		rctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
		note, err := ru.fn(rctx)
		cancel()
		if err == nil && ctx.Err() != nil {
			err = ctx.Err()
		}
		res := Result{Rule: ru.name, Pass: err == nil, Detail: note}
		if err != nil {
			res.Detail = err.Error()
		}
		out = append(out, res)
	}
	return out
}

// Print writes one line per result and returns how many failed.
func Print(w io.Writer, results []Result) (failed int) {
	for _, res := range results {
		status := "PASS"
		if !res.Pass {
			status = "FAIL"
			failed++
		}
		line := status + "  " + res.Rule
		if res.Detail != "" {
			line += "  " + res.Detail
		}
		fmt.Fprintln(w, line)
	}
	fmt.Fprintf(w, "%d of %d rules passed\n", len(results)-failed, len(results))
	return failed
}

type runner struct {
	cfg Config
	// seen holds every envelope the rules read, for the key-order rule.
	seen []string
}

// envelope is a frame as the rules look at it.
type envelope struct {
	Type  *string         `json:"type"`
	ID    json.RawMessage `json:"id"`
	Re    json.RawMessage `json:"re"`
	Data  json.RawMessage `json:"data"`
	Error *struct {
		Code    *string `json:"code"`
		Message *string `json:"message"`
	} `json:"error"`
}

func (r *runner) dial(ctx context.Context) (*websocket.Conn, error) {
	opts := &websocket.DialOptions{HTTPHeader: r.cfg.Header}
	if r.cfg.TLS != nil {
		opts.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: r.cfg.TLS}}
	}
	ws, resp, err := websocket.Dial(ctx, r.cfg.URL, opts)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("handshake answered %s: %w", resp.Status, err)
		}
		return nil, err
	}
	ws.SetReadLimit(1 << 20)
	return ws, nil
}

func (r *runner) write(ctx context.Context, ws *websocket.Conn, frame string) error {
	return ws.Write(ctx, websocket.MessageText, []byte(frame))
}

// await reads frames until match accepts one, skipping the rest (events,
// the server's own requests, raw frames).
func (r *runner) await(ctx context.Context, ws *websocket.Conn, what string, match func(raw []byte, e envelope) (bool, error)) error {
	for {
		typ, b, err := ws.Read(ctx)
		if err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		if typ != websocket.MessageText {
			continue
		}
		var e envelope
		if json.Unmarshal(b, &e) != nil {
			continue // raw text, for clients in raw mode
		}
		r.seen = append(r.seen, string(b))
		ok, err := match(b, e)
		if err != nil || ok {
			return err
		}
	}
}

func (r *runner) ping(ctx context.Context, ws *websocket.Conn) error {
	if err := r.write(ctx, ws, `{"type":"ping"}`); err != nil {
		return err
	}
	return r.await(ctx, ws, `{"type":"pong"}`, func(_ []byte, e envelope) (bool, error) {
		return e.Type != nil && *e.Type == "pong", nil
	})
}

func (r *runner) pingPong(ctx context.Context) (string, error) {
	ws, err := r.dial(ctx)
	if err != nil {
		return "", err
	}
	defer ws.CloseNow()
	begin := time.Now()
	if err := r.ping(ctx, ws); err != nil {
		return "", err
	}
	return fmt.Sprintf("pong after %v", time.Since(begin).Round(10*time.Microsecond)), nil
}

// expectReply sends a request and waits for its one reply, then checks
// with a ping that no second reply to the same id arrives before the pong.
func (r *runner) expectReply(ctx context.Context, ws *websocket.Conn, typ string, id int64, data json.RawMessage, check func(e envelope) error) error {
	frame := `{"type":` + quote(typ) + `,"id":` + fmt.Sprint(id)
	if data != nil {
		frame += `,"data":` + string(data)
	}
	if err := r.write(ctx, ws, frame+"}"); err != nil {
		return err
	}
	var reply envelope
	err := r.await(ctx, ws, fmt.Sprintf("the reply to %s request %d", typ, id), func(_ []byte, e envelope) (bool, error) {
		if string(e.Re) != fmt.Sprint(id) {
			return false, nil
		}
		if e.Type == nil || *e.Type != typ {
			return false, fmt.Errorf("the reply to request %d has type %s, want %q", id, typeOf(e), typ)
		}
		reply = e
		return true, nil
	})
	if err != nil {
		return err
	}
	if err := check(reply); err != nil {
		return err
	}
	// Exactly one reply: nothing more with this re before the pong.
	if err := r.write(ctx, ws, `{"type":"ping"}`); err != nil {
		return err
	}
	return r.await(ctx, ws, "the pong after the reply", func(_ []byte, e envelope) (bool, error) {
		if string(e.Re) == fmt.Sprint(id) {
			return false, fmt.Errorf("a second reply to request %d", id)
		}
		return e.Type != nil && *e.Type == "pong", nil
	})
}

func (r *runner) unknownType(ctx context.Context) (string, error) {
	ws, err := r.dial(ctx)
	if err != nil {
		return "", err
	}
	defer ws.CloseNow()
	var code string
	err = r.expectReply(ctx, ws, "steadyws.conformance.unknown", 7, json.RawMessage(`{}`), func(e envelope) error {
		if e.Error == nil || e.Error.Code == nil {
			return fmt.Errorf("the reply to a request of an unknown type has no error.code")
		}
		if code = *e.Error.Code; code != "unknown_type" {
			return fmt.Errorf("error.code is %q, want unknown_type", code)
		}
		if e.Error.Message == nil {
			return fmt.Errorf("the error reply has no error.message")
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return "error reply unknown_type, re = id, one reply", nil
}

func (r *runner) largeID(ctx context.Context) (string, error) {
	ws, err := r.dial(ctx)
	if err != nil {
		return "", err
	}
	defer ws.CloseNow()
	err = r.expectReply(ctx, ws, "steadyws.conformance.unknown", maxSafeID, nil, func(envelope) error { return nil })
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("re %d", int64(maxSafeID)), nil
}

func (r *runner) reply(ctx context.Context, q Request) (string, error) {
	ws, err := r.dial(ctx)
	if err != nil {
		return "", err
	}
	defer ws.CloseNow()
	var note string
	err = r.expectReply(ctx, ws, q.Type, 1, q.Data, func(e envelope) error {
		switch {
		case e.Error != nil && (e.Error.Code == nil || e.Error.Message == nil):
			return fmt.Errorf("an error reply needs error.code and error.message")
		case e.Error != nil:
			note = "error reply " + *e.Error.Code
		default:
			note = "reply with re = id and its type"
		}
		return nil
	})
	return note, err
}

// keyOrder checks the envelopes read so far by the other rules (run it
// after them): "type" first, then "id"/"re", before "data"/"error".
func (r *runner) keyOrder(ctx context.Context) (string, error) {
	if len(r.seen) == 0 {
		return "", errors.New("no envelope was read to check")
	}
	for _, f := range r.seen {
		keys, err := topKeys(f)
		if err != nil {
			return "", err
		}
		if len(keys) == 0 || keys[0] != "type" {
			return "", fmt.Errorf("\"type\" is not the first key of %.80q", f)
		}
		payload := false
		for _, k := range keys {
			switch k {
			case "data", "error":
				payload = true
			case "id", "re":
				if payload {
					return "", fmt.Errorf("%q comes after the payload in %.80q", k, f)
				}
			}
		}
	}
	return fmt.Sprintf("%d frames", len(r.seen)), nil
}

func (r *runner) malformed(ctx context.Context) (string, error) {
	ws, err := r.dial(ctx)
	if err != nil {
		return "", err
	}
	defer ws.CloseNow()
	for _, f := range []string{`{"type":`, `not json`, `{"id":1}`, `[1,2]`} {
		if err := r.write(ctx, ws, f); err != nil {
			return "", err
		}
	}
	if err := r.ping(ctx, ws); err != nil {
		return "", fmt.Errorf("after malformed frames: %w", err)
	}
	return "the connection answered a ping after 4 malformed frames", nil
}

func (r *runner) closeAnswered(ctx context.Context) (string, error) {
	ws, err := r.dial(ctx)
	if err != nil {
		return "", err
	}
	defer ws.CloseNow()
	done := make(chan error, 1)
	go func() { done <- ws.Close(websocket.StatusNormalClosure, "conformance") }()
	select {
	case err := <-done:
		if err != nil {
			return "", fmt.Errorf("close frame 1000 not answered with a close frame: %w", err)
		}
		return "close frame answered", nil
	case <-ctx.Done():
		return "", fmt.Errorf("close frame 1000 not answered: %w", ctx.Err())
	}
}

// handshake sends the seed handshake of RFC 6455 by hand.
func (r *runner) handshake(ctx context.Context) (string, error) {
	resp, err := r.rawHandshake(ctx, "13", nil)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return "", fmt.Errorf("answered %s, want 101 Switching Protocols", resp.Status)
	}
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != SeedAccept {
		return "", fmt.Errorf("Sec-WebSocket-Accept is %q for key %s, want %s", got, SeedKey, SeedAccept)
	}
	if !hasToken(resp.Header, "Upgrade", "websocket") || !hasToken(resp.Header, "Connection", "upgrade") {
		return "", errors.New("101 without Upgrade: websocket and Connection: Upgrade")
	}
	return "101, " + SeedKey + " → " + SeedAccept, nil
}

func (r *runner) version426(ctx context.Context) (string, error) {
	resp, err := r.rawHandshake(ctx, "8", nil)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusUpgradeRequired {
		return "", fmt.Errorf("version 8 answered %s, want 426 Upgrade Required", resp.Status)
	}
	if !hasToken(resp.Header, "Sec-WebSocket-Version", "13") {
		return "", fmt.Errorf("426 with Sec-WebSocket-Version %q, want 13", resp.Header.Get("Sec-WebSocket-Version"))
	}
	return "426 with Sec-WebSocket-Version: 13", nil
}

func (r *runner) origin(ctx context.Context) (string, error) {
	resp, err := r.rawHandshake(ctx, "13", http.Header{"Origin": {"http://conformance.invalid"}})
	if err != nil {
		return "", err
	}
	if resp.StatusCode < 400 || resp.StatusCode > 499 {
		return "", fmt.Errorf("a handshake from Origin http://conformance.invalid answered %s, want a 4xx refusal", resp.Status)
	}
	return "foreign origin refused with " + resp.Status, nil
}

// rawHandshake writes a handshake on a new TCP (or TLS) connection and
// reads the response head.
func (r *runner) rawHandshake(ctx context.Context, version string, extra http.Header) (*http.Response, error) {
	u, err := url.Parse(r.cfg.URL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "ws" && u.Scheme != "wss" {
		return nil, fmt.Errorf("URL %q: the scheme must be ws or wss", r.cfg.URL)
	}
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "wss" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if u.Scheme == "wss" {
		cfg := r.cfg.TLS.Clone()
		if cfg == nil {
			cfg = &tls.Config{}
		}
		if cfg.ServerName == "" {
			cfg.ServerName = u.Hostname()
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, err
		}
		conn = tc
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: %s\r\n", u.RequestURI(), u.Host, SeedKey, version)
	for _, h := range []http.Header{r.cfg.Header, extra} {
		for k, vs := range h {
			for _, v := range vs {
				fmt.Fprintf(&b, "%s: %s\r\n", k, v)
			}
		}
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(conn, b.String()); err != nil {
		return nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, fmt.Errorf("reading the handshake response: %w", err)
	}
	resp.Body.Close()
	return resp, nil
}

func hasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func typeOf(e envelope) string {
	if e.Type == nil {
		return "(none)"
	}
	return quote(*e.Type)
}

// topKeys returns the keys of the JSON object f in order.
func topKeys(f string) ([]string, error) {
	dec := json.NewDecoder(strings.NewReader(f))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("not a JSON object: %.80q", f)
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		keys = append(keys, t.(string))
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
	}
	return keys, nil
}
