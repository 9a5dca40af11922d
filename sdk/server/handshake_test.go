//go:build !js

package server_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/steadyws/steadyws/sdk/server"
)

// TestFramesBehindTheHandshake: a client may send frames right behind its
// handshake, before the 101 arrives; they reach the server in the same
// read as the handshake and must not be lost when the connection gets its
// own buffers.
func TestFramesBehindTheHandshake(t *testing.T) {
	h := start(t, nil)
	conn, err := net.Dial("tcp", h.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	ping := `{"type":"ping"}`
	// A masked text frame with a zero mask key: the payload goes as is.
	frame := append([]byte{0x81, 0x80 | byte(len(ping)), 0, 0, 0, 0}, ping...)
	hs := fmt.Sprintf("GET / HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: sN9cRrP/n9NdMgdcy2VJFQ==\r\nSec-WebSocket-Version: 13\r\n\r\n", h.ts.Listener.Addr())
	if _, err := conn.Write(append([]byte(hs), frame...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	head := make([]byte, 2)
	if _, err := br.Read(head[:1]); err != nil {
		t.Fatal(err)
	}
	if _, err := br.Read(head[1:]); err != nil {
		t.Fatal(err)
	}
	body := make([]byte, head[1]&0x7f)
	for n := 0; n < len(body); {
		k, err := br.Read(body[n:])
		if err != nil {
			t.Fatalf("read the answer to the ping: %v", err)
		}
		n += k
	}
	if head[0] != 0x81 || string(body) != `{"type":"pong"}` {
		t.Fatalf("got frame %x %q, want a text frame {\"type\":\"pong\"}", head, body)
	}
}

// TestMessagesLargerThanTheBuffers: requests and replies larger than the
// connection's read and write buffers, and than net/http's, arrive whole.
func TestMessagesLargerThanTheBuffers(t *testing.T) {
	h := start(t, nil)
	server.HandleRequest(h.srv, "echo", func(ctx context.Context, c *server.Conn, s string) (string, error) { return s, nil })
	ws := dial(t, h.url)
	ws.SetReadLimit(1 << 20)
	for _, size := range []int{100, 600, 1000, 1100, 3000, 5000, 64 << 10} {
		s := strings.Repeat("x", size)
		write(t, ws, fmt.Sprintf(`{"type":"echo","id":%d,"data":%q}`, size, s))
		e := readEnv(t, ws)
		if e.Re != int64(size) || string(e.Data) != fmt.Sprintf("%q", s) {
			t.Fatalf("reply to the %d-byte request: re %d, %d bytes of data", size, e.Re, len(e.Data))
		}
	}
}

// TestServeHTTPReturnsOnceConnected: ServeHTTP gives its goroutine back to
// net/http once OnConnect ran (on a reliable server, after the $hello was
// answered), and the connection is served on.
func TestServeHTTPReturnsOnceConnected(t *testing.T) {
	for _, reliable := range []bool{false, true} {
		t.Run(fmt.Sprintf("reliable=%v", reliable), func(t *testing.T) {
			srv := server.New(&server.Options{Reliable: reliable})
			connected := make(chan struct{})
			srv.OnConnect(func(c *server.Conn) { close(connected) })
			returned := make(chan struct{})
			ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				srv.ServeHTTP(w, r)
				select {
				case <-connected:
				default:
					t.Error("ServeHTTP returned before OnConnect ran")
				}
				close(returned)
			}))
			t.Cleanup(func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				if err := srv.Shutdown(ctx); err != nil {
					t.Errorf("Shutdown: %v", err)
				}
				ts.Close()
			})
			ws := dial(t, "ws"+strings.TrimPrefix(ts.URL, "http"))
			if reliable {
				select {
				case <-returned:
					t.Fatal("ServeHTTP returned before the $hello")
				case <-time.After(50 * time.Millisecond):
				}
				hello(t, ws, "c2Vzc2lvbi1vZi10aGUtdGVzdA", 0)
			}
			select {
			case <-returned:
			case <-time.After(5 * time.Second):
				t.Fatal("ServeHTTP still runs after the connection was set up")
			}
			pingPong(t, ws)
		})
	}
}

// lateHeaderWriter holds the status back until WriteHeaderNow, as gin's
// writer does.
type lateHeaderWriter struct {
	http.ResponseWriter
	status int
}

func (w *lateHeaderWriter) WriteHeader(status int) { w.status = status }
func (w *lateHeaderWriter) WriteHeaderNow()        { w.ResponseWriter.WriteHeader(w.status) }
func (w *lateHeaderWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// TestWriterThatSendsTheStatusLate: a framework's writer that sends the
// status line only on WriteHeaderNow (gin's) still gets its 101 out.
func TestWriterThatSendsTheStatusLate(t *testing.T) {
	srv := server.New(nil)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		srv.ServeHTTP(&lateHeaderWriter{ResponseWriter: w}, r)
	}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		ts.Close()
	})
	pingPong(t, dial(t, "ws"+strings.TrimPrefix(ts.URL, "http")))
}
