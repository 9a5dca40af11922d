package chat_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk/server/servertest"
)

// The demo speaks the protocol as the conformance kit checks it, on /ws
// and on / (the seed tutorial's endpoint). It lets pages of any origin in
// on purpose, so the origin rule is left out.
func TestConformance(t *testing.T) {
	base := start(t)
	for _, url := range []string{wsURL(base), "ws" + strings.TrimPrefix(base, "http") + "/"} {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		results := servertest.Run(ctx, servertest.Config{
			URL: url,
			Requests: []servertest.Request{
				{Type: "sum", Data: json.RawMessage(`{"a":1,"b":2}`)},
				{Type: "time"},
				{Type: "join", Data: json.RawMessage(`{"nick":"conformance"}`)},
			},
		})
		cancel()
		var out strings.Builder
		if servertest.Print(&out, results) > 0 || len(results) != 11 {
			t.Errorf("%s:\n%s", url, out.String())
		}
	}
}
