// Command cli is a terminal client for the demo chat, built on the native
// build of the same sdk package the page runs as WebAssembly:
//
//	go -C demo run ./cli -nick NAME [-url ws://127.0.0.1:8001/ws]
//
// Lines typed are sent as chat; /sum A B and /time send requests, /quit
// (or end of input, or Ctrl-C) leaves. Reconnects are printed as they
// happen; what is typed meanwhile is queued and sent after.
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/steadyws/steadyws/sdk"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "cli:", err)
		os.Exit(1)
	}
}

// Messages of the demo protocol (see package chat).
type (
	user struct {
		Nick  string `json:"nick"`
		Agent string `json:"agent"`
	}
	join struct {
		Nick    string `json:"nick"`
		Session string `json:"session"`
	}
	joined struct {
		Nick  string `json:"nick"`
		Users []user `json:"users"`
	}
	chatIn struct {
		Text string `json:"text"`
		CID  string `json:"cid"`
	}
	chatOut struct {
		Nick string `json:"nick"`
		Text string `json:"text"`
		TS   int64  `json:"ts"`
		CID  string `json:"cid"`
	}
	presence struct {
		Users  []user `json:"users"`
		Joined string `json:"joined"`
		Left   string `json:"left"`
	}
	serverError struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	whoami struct {
		Nick  string `json:"nick"`
		Agent string `json:"agent"`
	}
)

// drainWait bounds how long the client waits, at end of input, for what it
// queued to go out.
const drainWait = 5 * time.Second

func run(ctx context.Context, args []string, in io.Reader, out io.Writer) error {
	fs := flag.NewFlagSet("cli", flag.ContinueOnError)
	fs.SetOutput(out)
	nick := fs.String("nick", "", "your nickname in the room (required)")
	url := fs.String("url", "ws://127.0.0.1:8001/ws", "the demo server's WebSocket endpoint")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if strings.TrimSpace(*nick) == "" {
		fmt.Fprintln(out, "usage: cli -nick NAME [-url ws://127.0.0.1:8001/ws]")
		return flag.ErrHelp
	}
	p := &printer{w: out}

	// sdk.New starts connecting at once: hold the first dial until every
	// handler is registered, so that the server's whoami, which follows the
	// join, never arrives before its handler.
	ready := make(chan struct{})
	c := sdk.New(*url, &sdk.Options{
		// Reliable mode: the lines typed here and the room's lines arrive
		// exactly once and in order, across lost connections, while the
		// server keeps the session.
		Reliable: true,
		// Short, so that "go silent" on the page is noticed in seconds.
		Heartbeat: sdk.Heartbeat{Interval: 5 * time.Second, Timeout: 3 * time.Second},
		Backoff:   sdk.Backoff{Max: 10 * time.Second},
		URL: func(ctx context.Context) (string, error) {
			select {
			case <-ready:
				return *url, nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		},
	})
	defer c.Close()

	session := newSession()
	fatal := make(chan error, 1)
	// Join on every open: the OnOpen ctx sends the join ahead of whatever
	// was typed during an outage, so it is never said as a guest.
	c.OnOpen(func(ctx context.Context) {
		j, err := sdk.Request[joined](ctx, c, "join", join{Nick: *nick, Session: session})
		var re *sdk.RemoteError
		switch {
		case errors.As(err, &re) && (re.Code == "bad_nick" || re.Code == "nick_taken"):
			select {
			case fatal <- fmt.Errorf("cannot join: %s", re.Message):
			default:
			}
		case err != nil:
			p.printf("! join failed: %v", err)
		default:
			p.printf("* joined as %s · online: %s", j.Nick, listUsers(j.Users))
		}
	})
	sdk.HandleRequest(c, "whoami", func(context.Context, struct{}) (whoami, error) {
		return whoami{Nick: *nick, Agent: "terminal"}, nil
	})
	sent := &sentLines{text: map[string]string{}}
	sdk.Handle(c, "chat", func(_ context.Context, m chatOut) {
		if m.Nick == *nick {
			sent.echoed(m.CID)
		}
		p.printf("%s <%s> %s", time.UnixMilli(m.TS).Format("15:04:05"), m.Nick, m.Text)
	})
	sdk.Handle(c, "presence", func(_ context.Context, m presence) {
		switch {
		case m.Joined == *nick || m.Left == *nick:
			// Our own join is printed from its reply.
		case m.Joined != "":
			p.printf("* %s joined · online: %s", m.Joined, listUsers(m.Users))
		case m.Left != "":
			p.printf("* %s left · online: %s", m.Left, listUsers(m.Users))
		}
	})
	sdk.Handle(c, "error", func(_ context.Context, e serverError) {
		p.printf("! server: %s: %s", e.Code, e.Message)
	})
	c.OnClose(func(i sdk.CloseInfo) {
		why := fmt.Sprintf("code %d", i.Code)
		if i.Err != nil {
			why += ": " + i.Err.Error()
		} else if i.Reason != "" {
			why += ": " + i.Reason
		}
		if i.WillReconnect {
			p.printf("* connection lost (%s); reconnecting in %.1f s", why, i.Delay.Seconds())
		} else {
			p.printf("* connection closed (%s)", why)
		}
	})
	c.OnStateChange(func(s sdk.State) {
		switch s {
		case sdk.Open:
			if n := c.Stats().Reconnects; n > 0 {
				p.printf("* reconnected (reconnect #%d)", n)
			} else {
				p.printf("* connected to %s", *url)
			}
		case sdk.Reconnecting:
			p.printf("* reconnecting…")
		}
	})
	c.OnError(func(err error) {
		// In reliable mode lines are only at risk when the server lost the
		// session (restarted, or we were away too long). The SDK cannot
		// know what the server read before that; the echoes can: only
		// lines never echoed may be lost.
		var sl *sdk.SessionLostError
		var ue *sdk.UnconfirmedError
		var count int
		switch {
		case errors.As(err, &sl):
			count = sl.Count
		case errors.As(err, &ue):
			count = ue.Count
		default:
			p.printf("! %v", err)
			return
		}
		for _, text := range sent.lost(count, c.Stats().Queued) {
			p.printf("! may not have arrived (the connection dropped before the server echoed it): %q", text)
		}
	})
	close(ready)

	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
	}()

	for {
		select {
		case <-ctx.Done():
			p.printf("* bye")
			return nil
		case err := <-fatal:
			return err
		case line, ok := <-lines:
			if !ok {
				drain(ctx, c)
				return nil
			}
			if quit := command(ctx, c, p, sent, strings.TrimSpace(line)); quit {
				return nil
			}
		}
	}
}

// command handles one line of input; it reports whether to quit.
func command(ctx context.Context, c *sdk.Client, p *printer, sent *sentLines, line string) (quit bool) {
	fields := strings.Fields(line)
	switch {
	case line == "":
	case line == "/quit":
		return true
	case line == "/help":
		p.printf("  type to chat · /sum A B · /time · /quit")
	case fields[0] == "/sum":
		if len(fields) != 3 {
			p.printf("  usage: /sum A B")
			return false
		}
		a, errA := strconv.ParseFloat(fields[1], 64)
		b, errB := strconv.ParseFloat(fields[2], 64)
		if errA != nil || errB != nil {
			p.printf("  /sum takes two numbers")
			return false
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		r, err := sdk.Request[struct{ Sum float64 }](rctx, c, "sum", map[string]float64{"a": a, "b": b})
		if err != nil {
			p.printf("! sum: %v", err)
			return false
		}
		p.printf("  %v + %v = %v (answered by the server)", a, b, r.Sum)
	case line == "/time":
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		r, err := sdk.Request[struct {
			Now string `json:"now"`
		}](rctx, c, "time", nil)
		if err != nil {
			p.printf("! time: %v", err)
			return false
		}
		p.printf("  server time: %s", r.Now)
	case strings.HasPrefix(line, "/"):
		p.printf("  unknown command %s; /help lists them", fields[0])
	default:
		queued := c.State() != sdk.Open
		cid := sent.add(line)
		if err := sdk.Send(ctx, c, "chat", chatIn{Text: line, CID: cid}); err != nil {
			sent.echoed(cid)
			p.printf("! not sent: %v", err)
		} else if queued {
			p.printf("  (queued: it goes out when the connection is back)")
		}
	}
	return false
}

// sentLines are the chat lines sent and not yet echoed. The demo server
// echoes every line to everyone, its sender included, so an echo proves
// delivery, and the terminal never calls an echoed line lost.
type sentLines struct {
	mu    sync.Mutex
	next  int
	order []string          // cids in the order sent
	text  map[string]string // cid → line, until echoed
}

func (s *sentLines) add(line string) (cid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next++
	cid = "t" + strconv.Itoa(s.next)
	s.order = append(s.order, cid)
	s.text[cid] = line
	return cid
}

func (s *sentLines) echoed(cid string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.text, cid)
	s.trimLocked()
}

// trimLocked drops the settled lines from the front of order.
func (s *sentLines) trimLocked() {
	for len(s.order) > 0 {
		if _, open := s.text[s.order[0]]; open {
			return
		}
		s.order = s.order[1:]
	}
}

// lost returns the lines that may not have arrived when a connection
// dropped with unconfirmed messages written on it: the newest unechoed
// lines, apart from the queued ones that have not been written yet (the
// queue is the tail of what was sent). They are forgotten: their echo
// would have come on the connection that is gone.
func (s *sentLines) lost(unconfirmed, queued int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var open []string
	for _, cid := range s.order {
		if _, ok := s.text[cid]; ok {
			open = append(open, cid)
		}
	}
	written := open[:max(len(open)-queued, 0)]
	written = written[max(len(written)-unconfirmed, 0):]
	out := make([]string, len(written))
	for i, cid := range written {
		out[i] = s.text[cid]
		delete(s.text, cid)
	}
	s.trimLocked()
	return out
}

// drain waits, at end of input, until what was typed has gone out and
// the server has acknowledged it (reliable mode): handed it to the room.
func drain(ctx context.Context, c *sdk.Client) {
	ctx, cancel := context.WithTimeout(ctx, drainWait)
	defer cancel()
	for {
		if st := c.Stats(); st.State == sdk.Open && st.Queued == 0 && st.Unacked == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func listUsers(us []user) string {
	if len(us) == 0 {
		return "nobody"
	}
	parts := make([]string, len(us))
	for i, u := range us {
		parts[i] = u.Nick
		if u.Agent != "" {
			parts[i] += " (" + u.Agent + ")"
		}
	}
	return strings.Join(parts, ", ")
}

func newSession() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "cli-" + hex.EncodeToString(b)
}

// printer writes whole lines from any goroutine.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *printer) printf(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", args...)
}
