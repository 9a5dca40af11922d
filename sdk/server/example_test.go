//go:build !js

package server_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/steadyws/steadyws/sdk"
	"github.com/steadyws/steadyws/sdk/server"
)

type Chat struct {
	Text string `json:"text"`
}

// Example serves a chat room and a sum service, then talks to it with the
// native client.
func Example() {
	srv := server.New(&server.Options{IdleTimeout: time.Minute})
	server.Handle(srv, "chat", func(ctx context.Context, c *server.Conn, m Chat) {
		server.Broadcast(ctx, srv, "chat", m) // to every connection
	})
	server.HandleRequest(srv, "sum", func(ctx context.Context, c *server.Conn, a Args) (Sum, error) {
		if a.A < 0 {
			return Sum{}, &sdk.RemoteError{Code: "bad_args", Message: "A must not be negative"}
		}
		return Sum{a.A + a.B}, nil
	})
	srv.OnError(func(err error) { log.Print(err) })
	mux := http.NewServeMux()
	mux.Handle("/ws", srv)
	hs := httptest.NewServer(mux) // http.ListenAndServe("127.0.0.1:8001", mux) in a real program
	defer hs.Close()
	defer srv.Shutdown(context.Background()) // closes with 1012: clients reconnect elsewhere

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := sdk.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http")+"/ws", nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	got := make(chan Chat, 1)
	sdk.Handle(c, "chat", func(ctx context.Context, m Chat) { got <- m })
	if err := sdk.Send(ctx, c, "chat", Chat{Text: "hi"}); err != nil {
		log.Fatal(err)
	}
	fmt.Println((<-got).Text)
	sum, err := sdk.Request[Sum](ctx, c, "sum", Args{A: 2, B: 3})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(sum.Sum)
	_, err = sdk.Request[Sum](ctx, c, "sum", Args{A: -1})
	fmt.Println(err)
	// Output:
	// hi
	// 5
	// steadyws: sum: bad_args: A must not be negative
}
