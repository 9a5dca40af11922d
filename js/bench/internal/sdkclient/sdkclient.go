// Package sdkclient runs the bench workloads the way a user of steadyws's
// typed Go API would write them: sdk.Request for round trips, sdk.Go from
// one goroutine when pipelining, sdk.Send and sdk.Handle for events. The
// native harness runs it as client F, the wasm program in ../../wasmgo as
// client C.
package sdkclient

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/steadyws/steadyws/js/bench/internal/workload"
	"github.com/steadyws/steadyws/sdk"
)

// Run runs p and never panics or hangs past ctx.
func Run(ctx context.Context, p workload.Params) workload.Result {
	switch p.Workload {
	case workload.RTT, workload.Bulk:
		return sequential(ctx, p)
	case workload.Pipelined:
		return pipelined(ctx, p)
	case workload.Events, workload.EventsBulk:
		return events(ctx, p)
	case workload.Reconnect:
		return reconnect(ctx, p)
	}
	return workload.Fail(workload.Result{GC: -1}, workload.ErrUnknown)
}

func dial(ctx context.Context, p workload.Params) (*sdk.Client, error) {
	return sdk.Dial(ctx, p.URL, options(p))
}

func options(p workload.Params) *sdk.Options {
	o := &sdk.Options{
		// Every request in a pipelined run is in flight at once; give the
		// last ones the whole run instead of the default 10 s.
		RequestTimeout: time.Duration(p.TimeoutMs) * time.Millisecond,
		Reliable:       p.Reliable,
	}
	if p.Reliable {
		// Every event of a pipelined run may wait for its ack at once;
		// reliable mode counts them against the queue.
		o.Queue = sdk.Queue{Limit: 1 << 20, Bytes: 1 << 30}
	}
	return o
}

func sequential(ctx context.Context, p workload.Params) workload.Result {
	r := workload.Result{GC: -1}
	c, err := dial(ctx, p)
	if err != nil {
		return workload.Fail(r, err)
	}
	defer c.Close()
	pad := workload.PadString(p.Pad)
	var seq int64
	roundTrip := func() error {
		seq++
		out, err := sdk.Request[workload.Data](ctx, c, "echo", workload.Data{Seq: seq, Pad: pad})
		if err != nil {
			return err
		}
		return workload.Check(out, seq, pad)
	}
	for range p.Warmup {
		if err := roundTrip(); err != nil {
			return workload.Fail(r, err)
		}
	}
	r.LatUs = make([]float64, 0, p.N)
	var t workload.Timer
	t.Start()
	for range p.N {
		t0 := time.Now()
		if err := roundTrip(); err != nil {
			return workload.Fail(r, err)
		}
		r.LatUs = append(r.LatUs, workload.Us(time.Since(t0)))
		r.N++
	}
	t.Stop(&r)
	return r
}

func pipelined(ctx context.Context, p workload.Params) workload.Result {
	r := workload.Result{GC: -1}
	c, err := dial(ctx, p)
	if err != nil {
		return workload.Fail(r, err)
	}
	defer c.Close()
	pad := workload.PadString(p.Pad)
	for i := range p.Warmup {
		seq := int64(-1 - i)
		out, err := sdk.Request[workload.Data](ctx, c, "echo", workload.Data{Seq: seq, Pad: pad})
		if err == nil {
			err = workload.Check(out, seq, pad)
		}
		if err != nil {
			return workload.Fail(r, err)
		}
	}
	// One goroutine starts every request with sdk.Go while this one
	// takes the outcomes in order, as they come.
	lat := make([]float64, p.N)
	type started struct {
		call *sdk.Call[workload.Data]
		t0   time.Time
	}
	calls := make(chan started, p.N)
	var t workload.Timer
	t.Start()
	go func() {
		for i := range p.N {
			seq, t0 := int64(i+1), time.Now()
			calls <- started{sdk.Go[workload.Data](ctx, c, "echo", workload.Data{Seq: seq, Pad: pad}), t0}
		}
	}()
	for i := range p.N {
		s := <-calls
		out, err := s.call.Result()
		if err == nil {
			err = workload.Check(out, int64(i+1), pad)
		}
		if err != nil {
			return workload.Fail(r, err)
		}
		lat[i] = workload.Us(time.Since(s.t0))
		r.N++
	}
	t.Stop(&r)
	r.LatUs = lat
	return r
}

// events sends events of type echo and takes the server's echoes in a
// handler: one at a time (EventsBulk), or all from one goroutine while this
// one takes the echoes as they come (Events).
func events(ctx context.Context, p workload.Params) workload.Result {
	r := workload.Result{GC: -1}
	c, err := dial(ctx, p)
	if err != nil {
		return workload.Fail(r, err)
	}
	defer c.Close()
	// Registered before the first event is sent, so no echo can miss it.
	echoes := make(chan workload.Data, p.Warmup+p.N)
	sdk.Handle(c, "echo", func(_ context.Context, d workload.Data) { echoes <- d })
	pad := workload.PadString(p.Pad)
	// next takes the echo of seq, which must be the next one.
	next := func(seq int64) error {
		select {
		case d := <-echoes:
			return workload.Check(d, seq, pad)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	send := func(seq int64) error { return sdk.Send(ctx, c, "echo", workload.Data{Seq: seq, Pad: pad}) }
	var seq int64
	for range p.Warmup {
		seq++
		if err := send(seq); err != nil {
			return workload.Fail(r, err)
		}
		if err := next(seq); err != nil {
			return workload.Fail(r, err)
		}
	}
	base := seq
	lat := make([]float64, p.N)
	var t workload.Timer
	t.Start()
	if workload.IsPipelined(p.Workload) {
		sent := make([]time.Time, p.N)
		errc := make(chan error, 1)
		var mu sync.Mutex // orders sent[i] for the race detector; the echo's arrival already does
		go func() {
			for i := range p.N {
				mu.Lock()
				sent[i] = time.Now()
				mu.Unlock()
				if err := send(base + int64(i) + 1); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
		for i := range p.N {
			if err := next(base + int64(i) + 1); err != nil {
				return workload.Fail(r, err)
			}
			mu.Lock()
			lat[i] = workload.Us(time.Since(sent[i]))
			mu.Unlock()
			r.N++
		}
		if err := <-errc; err != nil {
			return workload.Fail(r, err)
		}
	} else {
		for i := range p.N {
			t0 := time.Now()
			if err := send(base + int64(i) + 1); err != nil {
				return workload.Fail(r, err)
			}
			if err := next(base + int64(i) + 1); err != nil {
				return workload.Fail(r, err)
			}
			lat[i] = workload.Us(time.Since(t0))
			r.N++
		}
	}
	t.Stop(&r)
	r.LatUs = lat
	return r
}

// reconnect keeps one client connected to the outage server. Whenever an
// open connection is lost it queues a mark event; the server timestamps the
// mark's arrival and echoes it back. The run ends when p.N marks have come
// back.
func reconnect(ctx context.Context, p workload.Params) workload.Result {
	r := workload.Result{GC: -1}
	backoff := time.Duration(p.BackoffMs) * time.Millisecond
	c := sdk.New(p.URL, &sdk.Options{
		Backoff: sdk.Backoff{Initial: backoff, Max: backoff, Factor: 1, Jitter: -1},
	})
	defer c.Close()

	var (
		mu        sync.Mutex
		wasOpen   bool
		k         int
		due       time.Duration
		sendErrs  []error
		notQueued int
	)
	marks := make(chan int, p.N+1)
	sdk.Handle(c, "mark", func(_ context.Context, m workload.Mark) { marks <- m.K })
	c.OnOpen(func(context.Context) {
		mu.Lock()
		wasOpen = true
		mu.Unlock()
	})
	c.OnClose(func(ci sdk.CloseInfo) {
		mu.Lock()
		defer mu.Unlock()
		if !ci.WillReconnect {
			return
		}
		due = ci.Delay // the latest wait announced before the server returned
		if !wasOpen {
			return
		}
		wasOpen = false
		k++
		if err := sdk.Send(ctx, c, "mark", workload.Mark{K: k}); err != nil {
			sendErrs = append(sendErrs, err)
		} else if c.Stats().Queued == 0 {
			notQueued++
		}
	})

	var t workload.Timer
	t.Start()
	for r.N < p.N {
		select {
		case got := <-marks:
			mu.Lock()
			want, d := k, due
			errs := errors.Join(sendErrs...)
			mu.Unlock()
			if errs != nil {
				return workload.Fail(r, errs)
			}
			if got != want {
				return workload.Fail(r, errors.New("mark out of order"))
			}
			r.DueMs = append(r.DueMs, float64(d)/float64(time.Millisecond))
			r.N++
		case <-ctx.Done():
			return workload.Fail(r, ctx.Err())
		}
	}
	t.Stop(&r)
	mu.Lock()
	r.NotQueued = notQueued
	mu.Unlock()
	return r
}
