//go:build !js

package main

import (
	"context"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/js/bench/internal/workload"
	"github.com/steadyws/steadyws/sdk"
)

// TestServerEcho checks what every client's check depends on: a request
// comes back as its reply, an event as the same event, a ping as a pong,
// and a mark reaches the reconnect workload's hook with the client's name.
func TestServerEcho(t *testing.T) {
	s := newServer(nil)
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	defer s.close()
	marks := make(chan string, 1)
	s.setHooks(hooks{mark: func(client string, m workload.Mark, _ time.Time) {
		if m.K == 3 {
			marks <- client
		}
	}})

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, s.URL("ws")+"/ws?client=T", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	for _, tc := range []struct{ in, want string }{
		{`{"type":"echo","id":7,"data":{"seq":7,"pad":"ab"}}`, `{"type":"echo","re":7,"data":{"seq":7,"pad":"ab"}}`},
		{`{"type":"echo","data":{"seq":8,"pad":"\"id\":"}}`, `{"type":"echo","data":{"seq":8,"pad":"\"id\":"}}`},
		{`{"type":"ping"}`, `{"type":"pong"}`},
		{`{"type":"mark","data":{"k":3}}`, `{"type":"mark","data":{"k":3}}`},
	} {
		if err := c.Write(ctx, websocket.MessageText, []byte(tc.in)); err != nil {
			t.Fatal(err)
		}
		_, got, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("sent %s, got %s, want %s", tc.in, got, tc.want)
		}
	}
	select {
	case client := <-marks:
		if client != "T" {
			t.Errorf("mark hook got client %q, want T", client)
		}
	case <-ctx.Done():
		t.Error("the mark hook did not run")
	}
}

// TestServerReliableEcho checks that the reliable endpoint echoes events in
// reliable mode: numbered and acknowledged both ways.
func TestServerReliableEcho(t *testing.T) {
	s := newServer(nil)
	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	defer s.close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := sdk.Dial(ctx, s.URL("ws")+"/reliable", &sdk.Options{Reliable: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := make(chan workload.Data, 3)
	sdk.Handle(c, "echo", func(_ context.Context, d workload.Data) { got <- d })
	for i := range int64(3) {
		if err := sdk.Send(ctx, c, "echo", workload.Data{Seq: i + 1, Pad: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range int64(3) {
		select {
		case d := <-got:
			if err := workload.Check(d, i+1, "x"); err != nil {
				t.Fatal(err)
			}
		case <-ctx.Done():
			t.Fatalf("echo %d did not come back", i+1)
		}
	}
	// The client's events are acknowledged within 100 ms.
	for c.Stats().Unacked > 0 {
		if ctx.Err() != nil {
			t.Fatalf("%d events still unacknowledged", c.Stats().Unacked)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
