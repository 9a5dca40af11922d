//go:build !js

package server

import (
	"context"
	"sync"
)

// PubSub carries published frames to subscribers: Broadcast publishes to
// BroadcastTopic, and every Server subscribes to it. The default,
// LocalPubSub, stays in the process; an adapter for a broker (NATS, say)
// would publish to it and deliver what it receives from it, so that a
// Broadcast reaches every instance of a fleet.
type PubSub interface {
	// Publish hands frame, which nobody may modify, to every subscriber of
	// topic and returns the sum of what their deliver funcs returned (how
	// many connections took it; an adapter for a broker counts the
	// subscribers it called in this process).
	Publish(ctx context.Context, topic string, frame []byte) (int, error)
	// Subscribe calls deliver with every frame published to topic until
	// cancel is called. deliver returns how many connections took the frame.
	Subscribe(topic string, deliver func(frame []byte) int) (cancel func(), err error)
}

// LocalPubSub is the in-process PubSub: Publish calls the subscribers'
// deliver funcs synchronously. One LocalPubSub given to several Servers in
// Options.PubSub makes a Broadcast on any of them reach all of them.
type LocalPubSub struct {
	mu   sync.RWMutex
	subs map[string][]*subscriber
}

type subscriber struct{ deliver func([]byte) int }

// NewLocalPubSub returns an empty LocalPubSub.
func NewLocalPubSub() *LocalPubSub { return &LocalPubSub{subs: make(map[string][]*subscriber)} }

// Publish implements PubSub.
func (p *LocalPubSub) Publish(ctx context.Context, topic string, frame []byte) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	p.mu.RLock()
	subs := p.subs[topic]
	p.mu.RUnlock()
	n := 0
	for _, s := range subs {
		n += s.deliver(frame)
	}
	return n, nil
}

// Subscribe implements PubSub.
func (p *LocalPubSub) Subscribe(topic string, deliver func([]byte) int) (func(), error) {
	s := &subscriber{deliver: deliver}
	p.mu.Lock()
	p.subs[topic] = append(p.subs[topic][:len(p.subs[topic]):len(p.subs[topic])], s)
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		var keep []*subscriber
		for _, x := range p.subs[topic] {
			if x != s {
				keep = append(keep, x)
			}
		}
		p.subs[topic] = keep
	}, nil
}
