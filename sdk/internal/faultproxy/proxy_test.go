//go:build !js

package faultproxy

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// echoServer echoes every connection on loopback until the test ends; it
// counts the connections that ended.
type echoServer struct {
	ln    net.Listener
	wg    sync.WaitGroup
	mu    sync.Mutex
	ended int
}

func startEcho(t *testing.T) *echoServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &echoServer{ln: ln}
	var conns sync.Map
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Store(c, true)
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				_, _ = io.Copy(c, c)
				c.Close()
				conns.Delete(c)
				s.mu.Lock()
				s.ended++
				s.mu.Unlock()
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
		s.wg.Wait()
	})
	return s
}

func (s *echoServer) endedConns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ended
}

func startProxy(t *testing.T, target string) *Proxy {
	t.Helper()
	p, err := Start(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

func dialProxy(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// roundTrip writes msg and reads it back within 5 s.
func roundTrip(c net.Conn, msg []byte) error {
	if _, err := c.Write(msg); err != nil {
		return err
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	defer c.SetReadDeadline(time.Time{})
	got := make([]byte, len(msg))
	if _, err := io.ReadFull(c, got); err != nil {
		return err
	}
	if !bytes.Equal(got, msg) {
		return errors.New("echo differs")
	}
	return nil
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestForwardsBothWaysInOrder(t *testing.T) {
	p := startProxy(t, startEcho(t).ln.Addr().String())
	c := dialProxy(t, p)
	big := bytes.Repeat([]byte("0123456789"), 20_000) // several chunks
	for i := 0; i < 3; i++ {
		if err := roundTrip(c, big); err != nil {
			t.Fatal(err)
		}
	}
	if st := p.Stats(); st.Conns != 1 || st.Cuts+st.Stalls+st.Delays+st.Refusals != 0 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestCutAllClosesBothSides(t *testing.T) {
	echo := startEcho(t)
	p := startProxy(t, echo.ln.Addr().String())
	a, b := dialProxy(t, p), dialProxy(t, p)
	for _, c := range []net.Conn{a, b} {
		if err := roundTrip(c, []byte("hi")); err != nil {
			t.Fatal(err)
		}
	}
	if n := p.CutAll(); n != 2 {
		t.Fatalf("CutAll cut %d connections, want 2", n)
	}
	for _, c := range []net.Conn{a, b} {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("read after cut: %v, want a closed connection", err)
		}
	}
	eventually(t, "the server side to be closed", func() bool { return echo.endedConns() == 2 })
	if st := p.Stats(); st.Cuts != 1 || st.ConnsCut != 2 || p.Conns() != 0 {
		t.Fatalf("stats = %+v, conns %d", st, p.Conns())
	}
	// The proxy still works for new connections.
	if err := roundTrip(dialProxy(t, p), []byte("again")); err != nil {
		t.Fatal(err)
	}
}

func TestStallIsHalfOpenUntilClientLeaves(t *testing.T) {
	echo := startEcho(t)
	p := startProxy(t, echo.ln.Addr().String())
	c := dialProxy(t, p)
	if err := roundTrip(c, []byte("before")); err != nil {
		t.Fatal(err)
	}
	if n := p.StallAll(); n != 1 {
		t.Fatalf("StallAll stalled %d, want 1", n)
	}
	if _, err := c.Write([]byte("lost")); err != nil {
		t.Fatalf("write to a stalled connection: %v (it should look open)", err)
	}
	c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var ne net.Error
	if n, err := c.Read(make([]byte, 8)); !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read on a stalled connection = %d, %v; want nothing until the deadline", n, err)
	}
	if echo.endedConns() != 0 || p.Conns() != 1 {
		t.Fatal("a stall closed something")
	}
	c.Close()
	eventually(t, "the server side to close after the client left", func() bool { return echo.endedConns() == 1 && p.Conns() == 0 })
	if st := p.Stats(); st.Stalls != 1 || st.ConnsStalled != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestRefuseResetsNewConnectionsForAWhile(t *testing.T) {
	p := startProxy(t, startEcho(t).ln.Addr().String())
	open := dialProxy(t, p)
	if err := roundTrip(open, []byte("accepted")); err != nil {
		t.Fatal(err)
	}
	p.Refuse(time.Hour)
	// The reset may come while connecting or at the first read.
	if refused, err := net.Dial("tcp", p.Addr()); err == nil {
		defer refused.Close()
		refused.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := refused.Read(make([]byte, 1)); err == nil {
			t.Fatal("a refused connection delivered data")
		}
	}
	eventually(t, "the refusal to be counted", func() bool { return p.Stats().ConnsRefused == 1 })
	if err := roundTrip(open, []byte("still fine")); err != nil {
		t.Fatalf("an open connection suffered from a refusal: %v", err)
	}
	p.Heal()
	if err := roundTrip(dialProxy(t, p), []byte("healed")); err != nil {
		t.Fatal(err)
	}
	if st := p.Stats(); st.Refusals != 1 || st.ConnsRefused != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestDelayHoldsBytesInOrder(t *testing.T) {
	p := startProxy(t, startEcho(t).ln.Addr().String())
	c := dialProxy(t, p)
	const d = 100 * time.Millisecond
	p.SetDelay(d)
	start := time.Now()
	var want []byte
	for i := byte(0); i < 50; i++ {
		msg := bytes.Repeat([]byte{'a' + i%26}, 100+int(i))
		want = append(want, msg...)
		if _, err := c.Write(msg); err != nil {
			t.Fatal(err)
		}
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	// Each direction holds bytes for d: the echo comes back after 2·d at
	// the earliest. (A lower bound only: it cannot fail on a slow machine.)
	if el := time.Since(start); el < 2*d {
		t.Fatalf("echo after %v, want at least %v", el, 2*d)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("delayed bytes came back out of order")
	}
}

func TestChaosRunInjectsFaultsAndHeals(t *testing.T) {
	p := startProxy(t, startEcho(t).ln.Addr().String())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		p.Run(ctx, Chaos{Seed: 1, Gap: 10 * time.Millisecond, MaxHold: 20 * time.Millisecond})
	}()
	// Keep connections coming until every kind of fault has happened.
	eventually(t, "every kind of fault", func() bool {
		if c, err := net.Dial("tcp", p.Addr()); err == nil {
			_, _ = c.Write([]byte("x"))
			t.Cleanup(func() { c.Close() })
		}
		st := p.Stats()
		return st.Cuts > 0 && st.Stalls > 0 && st.Delays > 0 && st.Refusals > 0
	})
	cancel()
	<-done
	if err := roundTrip(dialProxy(t, p), []byte("after chaos")); err != nil {
		t.Fatalf("proxy not healed after Run: %v", err)
	}
	t.Logf("%+v", p.Stats())
}
