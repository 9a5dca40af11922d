//go:build !js

package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk/server"
)

// TestReliableChaosRaw is a raw client that follows the client half of the
// protocol (resend above the $hello reply's ack, drop repeats) against the
// server, while both send N events and connections are cut from either
// side or taken over: each side's handlers see 1..N exactly once, in order.
func TestReliableChaosRaw(t *testing.T) {
	const N = 1500
	h, rec := startReliable(t, &server.Options{WriteTimeout: 200 * time.Millisecond, SessionWindow: 2 * N})
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))

	var lastIn, serverAck int64
	var got []int
	next := int64(1) // the next client event never written
	first := true
	var pushOnce sync.Once
	pushed := make(chan struct{})
	faults := map[string]int{}
	deadline := time.Now().Add(60 * time.Second)

	for lastIn < N || serverAck < N {
		if time.Now().After(deadline) {
			t.Fatalf("stuck: client got %d, server acked %d of %d; faults %v", lastIn, serverAck, N, faults)
		}
		ws := dial(t, h.url)
		k, resumed := hello(t, ws, sessionA, lastIn)
		if !first && !resumed {
			t.Fatalf("resume after %v: resumed false", faults)
		}
		first = false
		serverAck = max(serverAck, k)
		c := h.conn(t)
		pushOnce.Do(func() {
			go func() { // the server pushes N events to the session
				defer close(pushed)
				for i := 1; i <= N; i++ {
					if err := server.Send(context.Background(), c, "n", i); err != nil {
						t.Errorf("server Send %d: %v", i, err)
						return
					}
					if i%50 == 0 {
						time.Sleep(time.Millisecond)
					}
				}
			}()
		})

		frames := make(chan rframe, 64)
		quit := make(chan struct{})
		go func() { // reads until the connection ends; after quit, discards
			defer close(frames)
			for {
				_, b, err := ws.Read(context.Background())
				if err != nil {
					return
				}
				var f rframe
				if json.Unmarshal(b, &f) != nil {
					continue
				}
				select {
				case frames <- f:
				case <-quit:
				}
			}
		}()
		writeOK := true
		send := func(s string) {
			if writeOK {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				writeOK = ws.Write(ctx, websocket.MessageText, []byte(s)) == nil
				cancel()
			}
		}
		from := serverAck + 1
		if rng.IntN(3) == 0 {
			from = max(1, from-3) // a sloppy client resends a few the server had: dropped as duplicates
		}
		for s := from; s < next; s++ {
			send(fmt.Sprintf(`{"type":"n","seq":%d,"data":%d}`, s, s))
		}
		take := func(f rframe) {
			switch {
			case f.Type == "$ack":
				serverAck = max(serverAck, f.Seq)
			case f.Seq > 0:
				if f.Seq <= lastIn {
					t.Fatalf("server event %d again after %d (the server resends only above the client's ack)", f.Seq, lastIn)
				}
				if f.Seq != lastIn+1 {
					t.Fatalf("server event %d after %d: a gap", f.Seq, lastIn)
				}
				var n int
				_ = json.Unmarshal(f.Data, &n)
				lastIn = f.Seq
				got = append(got, n)
				if lastIn%16 == 0 || lastIn == N {
					send(fmt.Sprintf(`{"type":"$ack","seq":%d}`, lastIn))
				}
			}
		}
		budget := 20 + rng.IntN(150)
		alive := true
		for budget > 0 && alive && (lastIn < N || serverAck < N) {
			if next <= N && writeOK {
				send(fmt.Sprintf(`{"type":"n","seq":%d,"data":%d}`, next, next))
				if writeOK {
					next++
				}
			}
			budget--
			timeout := time.After(20 * time.Millisecond)
			if next <= N {
				timeout = time.After(0)
			}
		drain:
			for {
				select {
				case f, ok := <-frames:
					if !ok {
						alive = false
						break drain
					}
					take(f)
				case <-timeout:
					break drain
				}
			}
			if !writeOK {
				alive = false
			}
		}
		close(quit)
		if lastIn >= N && serverAck >= N {
			_ = ws.CloseNow()
			break
		}
		switch rng.IntN(4) {
		case 0:
			faults["client cut"]++
			_ = ws.CloseNow()
		case 1:
			faults["server cut"]++
			_ = c.CloseNow()
		case 2:
			faults["server 1012"]++
			_ = c.Close(1012, "restart")
		case 3:
			faults["takeover"]++ // the old connection stays open: the next $hello takes the session over
			t.Cleanup(func() { _ = ws.CloseNow() })
		}
	}
	<-pushed
	exactly(t, "server handlers", rec.get(), N)
	exactly(t, "client handlers", got, N)
	st := h.srv.Stats()
	t.Logf("%d events each way; faults %v; server resent %d, dropped %d duplicates", N, faults, st.Resent, st.Duplicates)
	if st.Unacked != 0 {
		t.Errorf("Stats.Unacked = %d at the end", st.Unacked)
	}
}
