//go:build !js

package sdk_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/internal/testserver"
)

// exampleServer starts the test server that stands in for a real one.
func exampleServer() *testserver.Server {
	srv, err := testserver.Start()
	if err != nil {
		log.Fatal(err)
	}
	return srv
}

type Chat struct {
	Text string `json:"text"`
}

func ExampleDial() {
	srv := exampleServer()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := sdk.Dial(ctx, srv.URL(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	got := make(chan Chat, 1)
	stop := sdk.Handle(c, "echo", func(ctx context.Context, m Chat) { got <- m })
	defer stop()
	if err := sdk.Send(ctx, c, "echo", Chat{Text: "hi"}); err != nil {
		log.Fatal(err)
	}
	fmt.Println((<-got).Text)
	// Output: hi
}

func ExampleRequest() {
	srv := exampleServer()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := sdk.Dial(ctx, srv.URL(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	type Args struct{ A, B int }
	type Sum struct{ Sum int }
	sum, err := sdk.Request[Sum](ctx, c, "sum", Args{A: 1, B: 2})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum.Sum)
	// Output: 3
}

func ExampleHandleRequest() {
	srv := exampleServer()
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := sdk.Dial(ctx, srv.URL(), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	type Q struct{}
	type Me struct {
		Name string `json:"name"`
	}
	sdk.HandleRequest(c, "whoami", func(ctx context.Context, _ Q) (Me, error) {
		return Me{Name: "gopher"}, nil
	})
	reply, err := srv.Request(ctx, "whoami", nil) // the server asks the client
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(reply))
	// Output: {"name":"gopher"}
}

func ExampleNew() {
	srv := exampleServer()
	defer srv.Close()

	c := sdk.New(srv.URL(), &sdk.Options{
		Backoff:   sdk.Backoff{Initial: 100 * time.Millisecond, Max: 5 * time.Second},
		Heartbeat: sdk.Heartbeat{Interval: 10 * time.Second, Timeout: 5 * time.Second},
		Queue:     sdk.Queue{Limit: 100, MaxAge: time.Minute},
	})
	defer c.Close()
	opened := make(chan struct{}, 1)
	c.OnOpen(func(ctx context.Context) {
		// Sent with the open handler's ctx, this goes out before anything
		// queued while disconnected.
		if err := sdk.Send(ctx, c, "auth", map[string]string{"token": "t0k3n"}); err != nil {
			log.Print(err)
		}
		opened <- struct{}{}
	})
	c.OnClose(func(ci sdk.CloseInfo) {
		if ci.WillReconnect {
			log.Printf("lost (%d), retrying in %v", ci.Code, ci.Delay)
		}
	})
	// Sent before the connection is up: queued, then flushed after "auth".
	if err := sdk.Send(context.Background(), c, "chat", Chat{Text: "early"}); err != nil {
		log.Fatal(err)
	}
	<-opened
	msgs, err := srv.WaitReceived(context.Background(), 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(msgs[0].Type, msgs[1].Type)
	// Output: auth chat
}

// The README's quick start, kept here so that it always compiles. It needs
// the demo server (make demo), so it has no Output and does not run.
func Example() {
	type Chat struct{ Nick, Text string }
	type Args struct{ A, B int }
	type Sum struct{ Sum int }
	run := func(ctx context.Context) error {
		c, err := sdk.Dial(ctx, "ws://127.0.0.1:8001/ws", nil) // reconnects by itself from now on
		if err != nil {
			return err
		}
		defer c.Close()
		sdk.Handle(c, "chat", func(ctx context.Context, m Chat) { fmt.Println(m.Nick, m.Text) })
		if err := sdk.Send(ctx, c, "chat", Chat{Text: "hi"}); err != nil { // queued while disconnected
			return err
		}
		sum, err := sdk.Request[Sum](ctx, c, "sum", Args{A: 1, B: 2}) // fails fast if the connection drops
		if err != nil {
			return err
		}
		fmt.Println("1 + 2 =", sum.Sum)
		return nil
	}
	_ = run
}
