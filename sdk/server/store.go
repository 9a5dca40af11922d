//go:build !js

package server

import (
	"context"
	"sync"
	"time"
)

// SessionStore keeps reliable-mode sessions beyond this server's memory,
// the seam for a fleet to keep them in an existing store later. The server
// saves a session when its last connection ends (with the time it expires),
// deletes it when it is forgotten (TTL, window overflow), and loads it when
// a $hello names a session the server does not hold. key is derived from the
// session id by a one-way hash: a store never sees the id, which is a
// secret. Save and Delete are called with the session's lock held: keep
// them quick.
//
// Sessions a server holds stay in its memory, so the store is not asked for
// every event: with a store shared by a fleet, a session resumed on another
// instance gets what was kept when its last connection ended, and the
// events handed to handlers since then may be handed again (see EventKey).
type SessionStore interface {
	Load(ctx context.Context, key string) (*StoredSession, error) // nil, nil when unknown
	Save(ctx context.Context, key string, s *StoredSession) error
	Delete(ctx context.Context, key string) error
}

// StoredSession is a reliable-mode session at rest.
type StoredSession struct {
	// Principal is what Options.Authorize returned when the session began;
	// the session is only resumed for the same principal.
	Principal string
	// Expires is when the session is forgotten; a store may drop it then.
	Expires time.Time
	// Received is the number of the last client event handed to handlers:
	// the ack of the $hello reply.
	Received int64
	// Sent is the number of the last event sent to the client.
	Sent int64
	// Kept are the events sent and not acknowledged, in ascending Seq.
	Kept []KeptEvent
}

// KeptEvent is an event sent to a client and kept until acknowledged.
// Frame is the frame as written, sent again as is at a resume.
type KeptEvent struct {
	Seq   int64
	Type  string
	Frame []byte
}

// MemoryStore is the in-process SessionStore, the default. It drops
// expired sessions when it is next used.
type MemoryStore struct {
	mu    sync.Mutex
	m     map[string]*StoredSession
	swept time.Time
}

// NewMemoryStore returns an empty MemoryStore.
func NewMemoryStore() *MemoryStore { return &MemoryStore{m: make(map[string]*StoredSession)} }

// Load implements SessionStore.
func (m *MemoryStore) Load(ctx context.Context, key string) (*StoredSession, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	m.sweep(now)
	s := m.m[key]
	if s != nil && !s.Expires.IsZero() && now.After(s.Expires) {
		delete(m.m, key)
		return nil, nil
	}
	return s, nil
}

// Save implements SessionStore.
func (m *MemoryStore) Save(ctx context.Context, key string, s *StoredSession) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sweep(time.Now())
	m.m[key] = s
	return nil
}

// Delete implements SessionStore.
func (m *MemoryStore) Delete(ctx context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.m, key)
	return nil
}

// Len is the number of sessions stored and not expired.
func (m *MemoryStore) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.swept = time.Time{}
	m.sweep(time.Now())
	return len(m.m)
}

// sweep drops expired sessions, at most once a second.
func (m *MemoryStore) sweep(now time.Time) {
	if now.Sub(m.swept) < time.Second {
		return
	}
	m.swept = now
	for k, s := range m.m {
		if !s.Expires.IsZero() && now.After(s.Expires) {
			delete(m.m, k)
		}
	}
}
