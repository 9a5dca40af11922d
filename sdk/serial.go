package sdk

import (
	"errors"
	"sync"
	"sync/atomic"
)

// wakeups counts goroutines made runnable from the per-message path
// (handlers queued, requests settled). In the browser an export that changed
// it asks the shim to let Go run: an export call alone schedules nothing.
var wakeups atomic.Uint32

// serial runs callbacks one at a time, in the order they were pushed, on a
// goroutine of its own, so that a handler may block (even on a Request)
// without stalling the reads that will unblock it.
type serial struct {
	mu   sync.Mutex
	q    []func()
	quit bool
	wake chan struct{}
	done chan struct{}
}

func newSerial() *serial {
	s := &serial{wake: make(chan struct{}, 1), done: make(chan struct{})}
	go s.run()
	return s
}

func (s *serial) push(f func()) {
	s.mu.Lock()
	s.q = append(s.q, f)
	s.mu.Unlock()
	wakeups.Add(1)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// finish lets the goroutine exit once everything pushed so far has run.
func (s *serial) finish() {
	s.mu.Lock()
	s.quit = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *serial) run() {
	defer close(s.done)
	for {
		s.mu.Lock()
		q, quit := s.q, s.quit
		s.q = nil
		s.mu.Unlock()
		for _, f := range q {
			f()
		}
		if len(q) == 0 {
			if quit {
				return
			}
			<-s.wake
		}
	}
}

// errPanic wraps a value recovered from a handler.
var errPanic = errors.New("handler panicked")
