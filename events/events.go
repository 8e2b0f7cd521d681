// Package events is Kiln's in-process event bus: workers publish what
// happens to instances, and the scheduler, alerting and tests subscribe.
// Publishing never blocks: a subscriber that falls behind loses events and
// is told so by Dropped.
package events

import (
	"sync"
	"sync/atomic"

	"github.com/kilnhq/kiln/meta"
)

// Kind names an event.
type Kind string

// The instance events.
const (
	InstanceQueued   Kind = "instance.queued"
	InstanceStarted  Kind = "instance.started"
	InstanceFinished Kind = "instance.finished"  // success, failed or killed
	InstanceRetried  Kind = "instance.retried"   // failed with retries left: queued again after its delay
	InstanceTimedOut Kind = "instance.timed_out" // ran past its task's timeout
	InstanceFailed   Kind = "instance.failed"    // failed for good: out of retries
	InstanceLate     Kind = "instance.late"      // not finished by its task's deadline
)

// Event is one thing that happened to an instance.
type Event struct {
	Kind     Kind
	Instance meta.Instance
}

// Bus fans events out to subscribers.
type Bus struct {
	mu   sync.RWMutex
	subs map[*Subscription]struct{}
}

// New returns an empty Bus.
func New() *Bus { return &Bus{subs: map[*Subscription]struct{}{}} }

// Subscription receives events on C until Close.
type Subscription struct {
	C       <-chan Event
	c       chan Event
	bus     *Bus
	dropped atomic.Int64
}

// Subscribe returns a subscription buffering up to buf events.
func (b *Bus) Subscribe(buf int) *Subscription {
	c := make(chan Event, buf)
	s := &Subscription{C: c, c: c, bus: b}
	b.mu.Lock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Close stops the subscription.
func (s *Subscription) Close() {
	s.bus.mu.Lock()
	delete(s.bus.subs, s)
	s.bus.mu.Unlock()
}

// Dropped is how many events this subscriber missed because it was full.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// Publish sends e to every subscriber that has room.
func (b *Bus) Publish(e Event) {
	if b == nil {
		return
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	for s := range b.subs {
		select {
		case s.c <- e:
		default:
			s.dropped.Add(1)
		}
	}
}
