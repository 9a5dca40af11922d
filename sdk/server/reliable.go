//go:build !js

package server

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/steadyws/steadyws/sdk/internal/reliable"
	"github.com/steadyws/steadyws/sdk/internal/wire"
)

// Session ids the server accepts in a $hello: the client's are 16 random
// bytes in base64url (22 characters); a shorter one would be guessable.
const (
	minSessionID = 16
	maxSessionID = 256
)

// session is one reliable-mode session held by this server. Its id is
// never kept: only a one-way hash of it.
type session struct {
	sum       [32]byte // SHA-256 of the id, domain-separated
	key       string   // hex of sum: the store's key and the map's
	principal string

	// handling is held while one of the session's events is handed to
	// handlers, so that they run one at a time and in order even across a
	// takeover, when the old connection's handler may still be running.
	handling sync.Mutex

	mu       sync.Mutex
	conn     *Conn     // the attached connection; nil when detached
	detached time.Time // when it was detached (conn == nil)
	gone     bool      // forgotten: never attached again
	send     reliable.Sender
	recv     reliable.Receiver
}

// relServer is the server's reliable-mode state.
type relServer struct {
	mu       sync.Mutex // never held while taking a session's mu
	sessions map[string]*session
	swept    time.Time

	stopEvents atomic.Bool // Shutdown is draining: inbound events are no longer taken

	resent, duplicates, forgotten atomic.Int64
}

// relConn is a connection's reliable-mode state.
type relConn struct {
	decided bool                    // the first frame was read (read loop only)
	ready   atomic.Bool             // OnConnect ran: Conns and Broadcast see the connection
	sess    atomic.Pointer[session] // set once, by the $hello
	timer   *time.Timer             // the pending acknowledgement; guarded by sess.mu
	armed   bool                    // timer is pending; guarded by sess.mu
}

// Stats are a server's reliable-mode counters.
type Stats struct {
	Sessions   int   // sessions held, attached or waiting for a resume
	Unacked    int   // events sent to them and not yet acknowledged
	Resent     int64 // events written again at a resume
	Duplicates int64 // inbound events dropped as already handled
	Forgotten  int64 // sessions forgotten: expired, or past the window
}

// Stats returns the reliable-mode counters.
func (s *Server) Stats() Stats {
	st := Stats{Resent: s.rel.resent.Load(), Duplicates: s.rel.duplicates.Load(), Forgotten: s.rel.forgotten.Load()}
	for _, sess := range s.heldSessions() {
		sess.mu.Lock()
		if !sess.gone && !s.expired(sess, time.Now()) {
			st.Sessions++
			st.Unacked += sess.send.Len()
		}
		sess.mu.Unlock()
	}
	return st
}

// Reliable reports whether the connection belongs to a reliable-mode
// session: its first frame was a $hello.
func (c *Conn) Reliable() bool { return c.rel.sess.Load() != nil }

// EventKey returns, inside a handler of a reliable-mode event, a key that
// names that event and no other: the same for the same session and event
// number on any server of a fleet, and different for every other. Store it
// with what the handler writes, in the same transaction, to make handling
// idempotent should a session resumed from a shared SessionStore hand an
// event to handlers twice. It is a one-way hash of the session and the
// number: it does not reveal the session id. ok is false outside a handler
// of a numbered event.
func EventKey(ctx context.Context) (key string, ok bool) {
	ek, ok := ctx.Value(eventKeyCtx{}).(eventKey)
	if !ok {
		return "", false
	}
	h := sha256.New()
	h.Write([]byte("steadyws/event\x00"))
	h.Write(ek.sum[:])
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(ek.seq))
	h.Write(n[:])
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:18]), true
}

type eventKeyCtx struct{}

type eventKey struct {
	sum [32]byte
	seq int64
}

func sessionSum(id string) [32]byte {
	return sha256.Sum256([]byte("steadyws/session\x00" + id))
}

// connected makes c visible (Conns, Broadcast) and runs OnConnect.
func (c *Conn) connected() {
	c.rel.ready.Store(true)
	for _, fn := range c.s.hooks.Load().connect {
		c.guard("connect", func() { fn(c) })
	}
	c.setUp()
}

// setUp lets ServeHTTP return: the connection is set up, or has ended.
func (c *Conn) setUp() {
	if c.started != nil {
		close(c.started)
		c.started = nil
	}
}

// decide settles, at the first frame of a connection to a reliable server
// that is not a $hello, that the connection is served without reliable
// mode.
func (c *Conn) decide() {
	if c.s.opts.Reliable && !c.rel.decided {
		c.rel.decided = true
		c.connected()
	}
}

// reliableFrame handles reliable mode's own frames on a reliable server
// and reports whether e was one (or is dropped).
func (c *Conn) reliableFrame(e wire.Envelope) bool {
	if !c.rel.decided {
		c.rel.decided = true
		if e.Type == wire.TypeHello && e.Kind() == wire.KindRequest {
			if c.hello(e) {
				c.connected()
			}
			return true
		}
		c.connected()
		return false
	}
	sess := c.rel.sess.Load()
	if sess == nil {
		return false
	}
	switch {
	case e.Type == wire.TypeHello:
		c.closeWith(websocket.StatusProtocolError, "$hello is only the first frame", fmt.Errorf("%w: a $hello after the first frame", ErrProtocol))
		return true
	case e.Type == wire.TypeAck && e.Kind() == wire.KindEvent:
		c.takeAck(sess, e.Seq)
		return true
	case e.Seq > 0 && e.Kind() == wire.KindEvent && c.s.rel.stopEvents.Load():
		return true // draining: not taken, not acknowledged; the client keeps it
	}
	return false
}

// hello answers the $hello request e: it attaches c to the session it
// names, new or resumed, replies, and writes again the events the client
// has not acknowledged. It reports whether c goes on.
func (c *Conn) hello(e wire.Envelope) bool {
	s := c.s
	id, ack, err := wire.ScanHello(e.Data)
	if err == nil && (len(id) < minSessionID || len(id) > maxSessionID) {
		err = fmt.Errorf("session id of %d bytes; want %d to %d", len(id), minSessionID, maxSessionID)
	}
	if err != nil {
		err = fmt.Errorf("%w: bad $hello: %v", ErrProtocol, err)
		c.report(err)
		c.closeWith(websocket.StatusProtocolError, "bad $hello", err)
		return false
	}
	sum := sessionSum(id)
	for {
		sess, known := s.findSession(sum, c.principal)
		sess.mu.Lock()
		if sess.gone {
			sess.mu.Unlock()
			continue // forgotten meanwhile
		}
		if sess.principal != c.principal {
			sess.mu.Unlock()
			c.report(ErrSessionPrincipal)
			c.closeWith(websocket.StatusPolicyViolation, "session belongs to another principal", ErrSessionPrincipal)
			return false
		}
		resumed := known
		if known {
			if sess.send.Ack(ack, nil) != nil {
				// The client acknowledges events this session never sent:
				// what is held is older than what it knows. Start afresh.
				sess.send.Reset()
				sess.recv.Reset()
				resumed = false
			}
		}
		old := sess.conn
		sess.conn = c
		c.rel.sess.Store(sess)
		data := wire.AppendWelcome(nil, sess.recv.Last(), resumed)
		_ = c.enqueue(websocket.MessageText, wire.Append(nil, wire.TypeHello, "re", e.ID, "data", data))
		sess.recv.Resumed()
		kept := sess.send.Unacked()
		for _, ev := range kept {
			_ = c.enqueue(websocket.MessageText, ev.Frame)
		}
		s.rel.resent.Add(int64(len(kept)))
		sess.mu.Unlock()
		if old != nil && old != c {
			old.closeWith(websocket.StatusNormalClosure, "session resumed on another connection", ErrTakenOver)
		}
		return true
	}
}

// findSession returns the session with id sum, held, loaded from the
// store, or new (bound to principal); known says it existed.
func (s *Server) findSession(sum [32]byte, principal string) (sess *session, known bool) {
	key := hex.EncodeToString(sum[:])
	now := time.Now()
	s.rel.mu.Lock()
	sess = s.rel.sessions[key]
	s.rel.mu.Unlock()
	if sess != nil {
		sess.mu.Lock()
		if !sess.gone && s.expired(sess, now) {
			s.forget(sess)
		}
		gone := sess.gone
		sess.mu.Unlock()
		if !gone {
			return sess, true
		}
	}
	s.sweep(now)

	fresh := &session{sum: sum, key: key, principal: principal}
	st, err := s.opts.Store.Load(s.ctx, key)
	if err != nil {
		s.report(fmt.Errorf("steadyws/server: session store: %w", err))
	}
	if st != nil && (st.Expires.IsZero() || now.Before(st.Expires)) {
		known = true
		fresh.principal = st.Principal
		kept := make([]reliable.Event, len(st.Kept))
		for i, k := range st.Kept {
			kept[i] = reliable.Event{Seq: k.Seq, Type: k.Type, Frame: k.Frame, Size: len(k.Frame)}
		}
		fresh.send.Restore(st.Sent, kept)
		fresh.recv.Restore(st.Received)
	}
	s.rel.mu.Lock()
	defer s.rel.mu.Unlock()
	if other := s.rel.sessions[key]; other != nil && other != sess {
		return other, true // another $hello got there first
	}
	if s.rel.sessions == nil {
		s.rel.sessions = make(map[string]*session)
	}
	s.rel.sessions[key] = fresh
	return fresh, known
}

func (s *Server) expired(sess *session, now time.Time) bool {
	return sess.conn == nil && !sess.detached.IsZero() && now.Sub(sess.detached) > s.opts.SessionTTL
}

// forget drops sess for good; sess.mu is held.
func (s *Server) forget(sess *session) {
	if sess.gone {
		return
	}
	sess.gone = true
	s.rel.forgotten.Add(1)
	s.rel.mu.Lock()
	if s.rel.sessions[sess.key] == sess {
		delete(s.rel.sessions, sess.key)
	}
	s.rel.mu.Unlock()
	if err := s.opts.Store.Delete(s.ctx, sess.key); err != nil {
		s.report(fmt.Errorf("steadyws/server: session store: %w", err))
	}
	sess.send.Reset()
}

// sweep forgets expired sessions, at most once a second.
func (s *Server) sweep(now time.Time) {
	s.rel.mu.Lock()
	if now.Sub(s.rel.swept) < time.Second {
		s.rel.mu.Unlock()
		return
	}
	s.rel.swept = now
	s.rel.mu.Unlock()
	for _, sess := range s.heldSessions() {
		sess.mu.Lock()
		if s.expired(sess, now) {
			s.forget(sess)
		}
		sess.mu.Unlock()
	}
}

func (s *Server) heldSessions() []*session {
	s.rel.mu.Lock()
	defer s.rel.mu.Unlock()
	out := make([]*session, 0, len(s.rel.sessions))
	for _, sess := range s.rel.sessions {
		out = append(out, sess)
	}
	return out
}

// detach runs when c has ended: its session, if c is still the one
// attached, waits SessionTTL for a resume, saved to the store.
func (c *Conn) detach() {
	sess := c.rel.sess.Load()
	if sess == nil {
		return
	}
	s := c.s
	now := time.Now()
	sess.mu.Lock()
	if c.rel.timer != nil {
		c.rel.timer.Stop()
		c.rel.armed = false
	}
	if sess.conn == c && !sess.gone {
		sess.conn, sess.detached = nil, now
		st := &StoredSession{
			Principal: sess.principal,
			Expires:   now.Add(s.opts.SessionTTL),
			Received:  sess.recv.Last(),
			Sent:      sess.send.Last(),
		}
		for _, ev := range sess.send.Unacked() {
			st.Kept = append(st.Kept, KeptEvent{Seq: ev.Seq, Type: ev.Type, Frame: ev.Frame})
		}
		if err := s.opts.Store.Save(s.ctx, sess.key, st); err != nil {
			s.report(fmt.Errorf("steadyws/server: session store: %w", err))
		}
	}
	sess.mu.Unlock()
	s.sweep(now)
}

// sendSession numbers an event, keeps it until the client acknowledges it,
// and writes it to the session's connection, if one is attached.
func (s *Server) sendSession(sess *session, t string, data []byte) error {
	sess.mu.Lock()
	defer sess.mu.Unlock()
	if sess.gone {
		return ErrClosed
	}
	if s.expired(sess, time.Now()) {
		s.forget(sess)
		return ErrClosed
	}
	seq, err := sess.send.Next()
	if err != nil {
		return err
	}
	frame := wire.AppendEvent(nil, t, seq, data)
	if sess.send.Len()+1 > s.opts.SessionWindow || sess.send.Bytes()+len(frame) > s.opts.SessionWindowBytes {
		conn := sess.conn
		s.forget(sess)
		if conn != nil {
			conn.closeWith(websocket.StatusTryAgainLater, "session window full", ErrWindowFull)
		}
		return ErrWindowFull
	}
	sess.send.Keep(reliable.Event{Seq: seq, Type: t, Frame: frame, Size: len(frame)})
	if conn := sess.conn; conn != nil {
		_ = conn.enqueue(websocket.MessageText, frame) // kept either way: resent at the resume
	}
	return nil
}

// takeAck takes the client's cumulative acknowledgement.
func (c *Conn) takeAck(sess *session, seq int64) {
	if seq <= 0 {
		return
	}
	sess.mu.Lock()
	var err error
	if sess.conn == c {
		err = sess.send.Ack(seq, nil)
	}
	sess.mu.Unlock()
	if err != nil {
		c.closeWith(websocket.StatusProtocolError, "ack of an event never sent", fmt.Errorf("%w: ack of an event never sent", ErrProtocol))
	}
}

// acceptEvent judges numbered event e before its handlers run: ok says to
// hand it to them with ctx (which carries its EventKey), and then to call
// done, which acknowledges it in time. A duplicate is dropped and counted;
// a gap closes the connection with 1002.
func (c *Conn) acceptEvent(sess *session, e wire.Envelope) (ctx context.Context, done func(), ok bool) {
	sess.handling.Lock()
	sess.mu.Lock()
	if sess.conn != c || sess.gone {
		// Detached (taken over, forgotten): the client sends it again on
		// its current connection, if it was not handled.
		sess.mu.Unlock()
		sess.handling.Unlock()
		return nil, nil, false
	}
	v, ackNow := sess.recv.Accept(e.Seq, len(e.Data), time.Now().UnixNano())
	sess.mu.Unlock()
	switch v {
	case reliable.Duplicate:
		c.s.rel.duplicates.Add(1)
		sess.handling.Unlock()
		return nil, nil, false
	case reliable.Gap:
		sess.handling.Unlock()
		c.closeWith(websocket.StatusProtocolError, "gap in event numbers", fmt.Errorf("%w: gap in event numbers", ErrProtocol))
		return nil, nil, false
	}
	ctx = context.WithValue(c.ctx, eventKeyCtx{}, eventKey{sum: sess.sum, seq: e.Seq})
	return ctx, func() {
		sess.mu.Lock()
		if sess.conn == c {
			c.ackLocked(sess, ackNow || c.s.rel.stopEvents.Load())
		}
		sess.mu.Unlock()
		sess.handling.Unlock()
	}, true
}

// ackLocked writes the acknowledgement when it is due (or now, when now
// is set) and otherwise makes sure a timer will; sess.mu is held.
func (c *Conn) ackLocked(sess *session, now bool) {
	seq, due, wait := sess.recv.AckDue(time.Now().UnixNano())
	if seq == 0 {
		return
	}
	if due || now {
		if c.enqueue(websocket.MessageText, wire.AppendAck(nil, seq)) == nil {
			sess.recv.Acked(seq)
		}
		return
	}
	if c.rel.armed {
		return
	}
	c.rel.armed = true
	d := time.Duration(wait)
	if c.rel.timer == nil {
		c.rel.timer = time.AfterFunc(d, c.ackTick)
	} else {
		c.rel.timer.Reset(d)
	}
}

func (c *Conn) ackTick() {
	if !c.hold() {
		return
	}
	defer c.wg.Done()
	sess := c.rel.sess.Load()
	sess.mu.Lock()
	c.rel.armed = false
	if sess.conn == c {
		c.ackLocked(sess, false)
	}
	sess.mu.Unlock()
}

// drain is Shutdown's first step on a reliable server: it stops taking
// inbound events, acknowledges every event handed to handlers, and waits
// until the clients have acknowledged every event sent to them, or ctx
// ends.
func (s *Server) drain(ctx context.Context, conns []*Conn) {
	s.rel.stopEvents.Store(true)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		settled := true
		for _, c := range conns {
			sess := c.rel.sess.Load()
			if sess == nil {
				continue
			}
			c.mu.Lock()
			busy := c.running && !c.closing
			c.mu.Unlock()
			sess.mu.Lock()
			if sess.conn == c && !sess.gone {
				if busy {
					settled = false
				} else {
					c.ackLocked(sess, true)
				}
				if sess.send.Len() > 0 && c.ctx.Err() == nil {
					settled = false
				}
			}
			sess.mu.Unlock()
		}
		if settled {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// redactHello cuts a frame's prefix, kept for an error, before a session
// id could begin.
func redactHello(prefix string) string {
	if i := strings.Index(prefix, "session"); i >= 0 {
		return prefix[:i] + "…"
	}
	return prefix
}
