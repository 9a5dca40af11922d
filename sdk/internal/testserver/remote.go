package testserver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Remote drives a server made by a Factory over HTTP. It has the same
// methods as *Server, so one test body runs natively against a *Server and
// in a browser against a Remote.
type Remote struct {
	factory string
	id      int
	ws      string
	control string
	// Fatal reports a control request that failed (t.Fatalf, say).
	Fatal func(format string, args ...any)
}

// NewRemote asks the factory at factoryURL for a fresh server.
func NewRemote(ctx context.Context, factoryURL string, fatal func(string, ...any)) (*Remote, error) {
	var out struct {
		ID      int    `json:"id"`
		WS      string `json:"ws"`
		Control string `json:"control"`
	}
	if err := post(ctx, factoryURL+"/new", &out); err != nil {
		return nil, err
	}
	return &Remote{factory: factoryURL, id: out.ID, ws: out.WS, control: out.Control, Fatal: fatal}, nil
}

func post(ctx context.Context, u string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New("testserver: " + u + ": " + resp.Status + ": " + strings.TrimSpace(string(body)))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(body, out)
}

func (r *Remote) call(ctx context.Context, name string, q url.Values, out any) error {
	u := r.control + "/" + name
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return post(ctx, u, out)
}

// do runs a control call that must not fail.
func (r *Remote) do(name string, q url.Values, out any) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := r.call(ctx, name, q, out); err != nil {
		r.Fatal("%v", err)
	}
}

func (r *Remote) URL() string { return r.ws }

// ReliableURL is the ws:// URL of the server's /reliable (reliable.go).
func (r *Remote) ReliableURL() string { return strings.TrimSuffix(r.ws, "/ws") + "/reliable" }

func (r *Remote) DropAll() { r.do("drop", nil, nil) }
func (r *Remote) CloseAll(code int, reason string) {
	r.do("close", url.Values{"code": {strconv.Itoa(code)}, "reason": {reason}}, nil)
}
func (r *Remote) Down() { r.do("down", nil, nil) }
func (r *Remote) Up() error {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return r.call(ctx, "up", nil, nil)
}
func (r *Remote) Outage(d time.Duration) {
	r.do("outage", url.Values{"ms": {strconv.FormatInt(d.Milliseconds(), 10)}}, nil)
}
func (r *Remote) RejectHandshake(status int) {
	r.do("reject", url.Values{"status": {strconv.Itoa(status)}}, nil)
}
func (r *Remote) Silent(on bool) { r.do("silent", url.Values{"on": {strconv.FormatBool(on)}}, nil) }
func (r *Remote) AcceptThenClose(code int) {
	r.do("storm", url.Values{"code": {strconv.Itoa(code)}}, nil)
}
func (r *Remote) SetDelay(d time.Duration) {
	r.do("delay", url.Values{"ms": {strconv.FormatInt(d.Milliseconds(), 10)}}, nil)
}
func (r *Remote) Broadcast(frame string) { r.do("broadcast", url.Values{"frame": {frame}}, nil) }
func (r *Remote) BroadcastBinary(b []byte) {
	r.do("broadcast", url.Values{"frame": {base64.StdEncoding.EncodeToString(b)}, "binary": {"1"}}, nil)
}
func (r *Remote) Reset() { r.do("reset", nil, nil) }

func (r *Remote) stats() Stats {
	var s Stats
	r.do("stats", nil, &s)
	return s
}
func (r *Remote) Accepted() int { return r.stats().Accepted }
func (r *Remote) Conns() int    { return r.stats().Conns }

func (r *Remote) Attempts() []time.Time {
	var ms []int64
	r.do("attempts", nil, &ms)
	out := make([]time.Time, len(ms))
	for i, m := range ms {
		out[i] = time.UnixMilli(m)
	}
	return out
}

func (r *Remote) Received() []Message {
	var m []Message
	r.do("received", nil, &m)
	return m
}

func (r *Remote) WaitReceived(ctx context.Context, n int) ([]Message, error) {
	timeout := 10 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	var m []Message
	err := r.call(ctx, "wait", url.Values{"n": {strconv.Itoa(n)}, "timeoutMs": {strconv.FormatInt(timeout.Milliseconds(), 10)}}, &m)
	return m, err
}

func (r *Remote) Request(ctx context.Context, typ string, data json.RawMessage) (json.RawMessage, error) {
	q := url.Values{"type": {typ}}
	if len(data) > 0 {
		q.Set("data", string(data))
	}
	if d, ok := ctx.Deadline(); ok {
		q.Set("timeoutMs", strconv.FormatInt(time.Until(d).Milliseconds(), 10))
	}
	var out struct {
		Reply json.RawMessage `json:"reply"`
	}
	if err := r.call(ctx, "request", q, &out); err != nil {
		return nil, err
	}
	return out.Reply, nil
}

// Close frees the server.
func (r *Remote) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_ = post(ctx, r.factory+"/free?id="+strconv.Itoa(r.id), nil)
}
