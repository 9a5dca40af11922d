// Package coderclient runs the bench workloads on github.com/coder/websocket
// directly, building and decoding each envelope with encoding/json. It is
// client E natively (c.Read/json.Unmarshal, json.Marshal/c.Write) and, with
// WSJSON set, client D in the browser through coder's wasm port and its
// wsjson helpers — what a Go developer would pick without steadyws.
package coderclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	"github.com/steadyws/steadyws/js/bench/internal/workload"
)

// Client runs workloads; the zero value reads and writes with c.Read and
// c.Write plus encoding/json.
type Client struct {
	// WSJSON makes the client use wsjson.Read and wsjson.Write.
	WSJSON bool

	event bool // send events, {"type":"echo","data":D}, instead of requests
}

// Run runs p and never panics or hangs past ctx.
func (cl Client) Run(ctx context.Context, p workload.Params) workload.Result {
	r := workload.Result{GC: -1}
	switch p.Workload {
	case workload.RTT, workload.Bulk, workload.Pipelined, workload.Events, workload.EventsBulk:
	default:
		return workload.Fail(r, workload.ErrUnknown)
	}
	c, _, err := websocket.Dial(ctx, p.URL, nil)
	if err != nil {
		return workload.Fail(r, err)
	}
	defer c.CloseNow()
	// The default of 32 KiB would refuse the 64 KiB bulk replies.
	c.SetReadLimit(1 << 20)
	pad := workload.PadString(p.Pad)
	cl.event = workload.IsEvents(p.Workload)

	// Ids are positive and unique per connection, as the protocol wants:
	// the warm-up takes the first ones.
	for i := range p.Warmup {
		id := int64(1 + i)
		if err := cl.write(ctx, c, id, pad); err != nil {
			return workload.Fail(r, err)
		}
		if err := cl.read(ctx, c, id, pad); err != nil {
			return workload.Fail(r, err)
		}
	}
	if workload.IsPipelined(p.Workload) {
		r, err = cl.pipelined(ctx, c, int64(p.Warmup), p.N, pad)
	} else {
		r, err = cl.sequential(ctx, c, int64(p.Warmup), p.N, pad)
	}
	if err != nil {
		return workload.Fail(r, err)
	}
	c.Close(websocket.StatusNormalClosure, "")
	return r
}

func (cl Client) sequential(ctx context.Context, c *websocket.Conn, base int64, n int, pad string) (workload.Result, error) {
	r := workload.Result{GC: -1, LatUs: make([]float64, 0, n)}
	var t workload.Timer
	t.Start()
	for i := range n {
		id := base + int64(i+1)
		t0 := time.Now()
		if err := cl.write(ctx, c, id, pad); err != nil {
			return r, err
		}
		if err := cl.read(ctx, c, id, pad); err != nil {
			return r, err
		}
		r.LatUs = append(r.LatUs, workload.Us(time.Since(t0)))
		r.N++
	}
	t.Stop(&r)
	return r, nil
}

// pipelined writes from one goroutine while this one reads; the server
// answers in order, so reply i must carry id (or, for events, seq) base+i.
func (cl Client) pipelined(ctx context.Context, c *websocket.Conn, base int64, n int, pad string) (workload.Result, error) {
	r := workload.Result{GC: -1, LatUs: make([]float64, n)}
	// Atomics: the reply's arrival orders these accesses, but the race
	// detector cannot see that.
	sent := make([]atomic.Int64, n)
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	werr := make(chan error, 1)
	var t workload.Timer
	t.Start()
	go func() {
		for i := range n {
			sent[i].Store(int64(time.Since(start)))
			if err := cl.write(ctx, c, base+int64(i+1), pad); err != nil {
				werr <- err
				return
			}
		}
		werr <- nil
	}()
	for i := range n {
		if err := cl.read(ctx, c, base+int64(i+1), pad); err != nil {
			cancel()
			return r, errors.Join(err, <-werr)
		}
		r.LatUs[i] = workload.Us(time.Since(start) - time.Duration(sent[i].Load()))
		r.N++
	}
	t.Stop(&r)
	return r, <-werr
}

func (cl Client) write(ctx context.Context, c *websocket.Conn, id int64, pad string) error {
	env := workload.Envelope{Type: "echo", ID: id, Data: workload.Data{Seq: id, Pad: pad}}
	if cl.event {
		env.ID = 0 // omitted: an event
	}
	if cl.WSJSON {
		return wsjson.Write(ctx, c, env)
	}
	b, err := json.Marshal(env)
	if err != nil {
		return err
	}
	return c.Write(ctx, websocket.MessageText, b)
}

func (cl Client) read(ctx context.Context, c *websocket.Conn, id int64, pad string) error {
	var env workload.Envelope
	if cl.WSJSON {
		if err := wsjson.Read(ctx, c, &env); err != nil {
			return err
		}
	} else {
		_, b, err := c.Read(ctx)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &env); err != nil {
			return err
		}
	}
	want := id
	if cl.event {
		want = 0 // an event, not a reply
	}
	if env.Re != want {
		return fmt.Errorf("reply to %d, want %d", env.Re, want)
	}
	return workload.Check(env.Data, id, pad)
}
