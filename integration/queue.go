package integration

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// publisher is a message-queue sink. NATS JetStream implements it; Kafka
// (github.com/twmb/franz-go, one Produce per message, ProduceSync per
// chunk) is meant to slot in behind the same two methods, chosen by the
// queue URL's scheme in openQueue.
type publisher interface {
	// Publish sends the messages to subject, in order, and returns once the
	// queue has acknowledged every one (at-least-once: ids let the queue
	// drop a repeat).
	Publish(ctx context.Context, subject string, msgs []queueMsg) error
	Close() error
}

// queueMsg is one message: its body and an id the queue may deduplicate on.
type queueMsg struct {
	id   string
	body []byte
}

// openQueue connects to the queue a target URL names.
func openQueue(ctx context.Context, rawURL, subject, stream string) (publisher, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("target queue: %w", err)
	}
	switch u.Scheme {
	case "nats":
		return openNATS(ctx, rawURL, subject, stream)
	case "kafka":
		return nil, fmt.Errorf("target queue %s: Kafka is not built yet (the publisher seam is in integration/queue.go)", u.Host)
	}
	return nil, fmt.Errorf("target queue %q: unknown scheme: want nats://host:port", rawURL)
}

// natsPublisher publishes to NATS JetStream.
type natsPublisher struct {
	nc *nats.Conn
	js jetstream.JetStream
}

func openNATS(ctx context.Context, rawURL, subject, stream string) (*natsPublisher, error) {
	nc, err := nats.Connect(rawURL, nats.Timeout(5*time.Second), nats.Name("kiln sync"))
	if err != nil {
		return nil, fmt.Errorf("target queue %s: cannot connect: %w", rawURL, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("target queue %s: %w", rawURL, err)
	}
	if stream != "" {
		if _, err := js.Stream(ctx, stream); err != nil {
			_, err = js.CreateStream(ctx, jetstream.StreamConfig{Name: stream, Subjects: []string{subject}})
			if err != nil {
				nc.Close()
				return nil, fmt.Errorf("target queue %s: create stream %s: %w", rawURL, stream, err)
			}
		}
	}
	return &natsPublisher{nc: nc, js: js}, nil
}

func (p *natsPublisher) Publish(ctx context.Context, subject string, msgs []queueMsg) error {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for _, m := range msgs {
		f, err := p.js.PublishMsgAsync(&nats.Msg{Subject: subject, Data: m.body}, jetstream.WithMsgID(m.id))
		if err != nil {
			return fmt.Errorf("target queue: publish to %s: %w", subject, err)
		}
		futures = append(futures, f)
	}
	select {
	case <-p.js.PublishAsyncComplete():
	case <-ctx.Done():
		return ctx.Err()
	}
	for _, f := range futures {
		select {
		case err := <-f.Err():
			return fmt.Errorf("target queue: publish to %s: %w (is there a stream for the subject? declare target.stream)", subject, err)
		default:
		}
	}
	return nil
}

func (p *natsPublisher) Close() error {
	p.nc.Close()
	return nil
}

// queueSink turns batches into JSON messages.
type queueSink struct {
	pub     publisher
	subject string
	batch   bool
	names   []string
	types   []colType
}

// maxBatchBytes keeps a batch message under NATS's default 1 MB payload.
const maxBatchBytes = 512 << 10

// messages renders rows as one JSON object each, or as JSON arrays of
// rows up to maxBatchBytes; ids are prefix plus a sequence number.
func (q *queueSink) messages(rows [][]driver.Value, prefix string) ([]queueMsg, error) {
	var out []queueMsg
	var cur []byte
	flush := func() {
		if len(cur) > 0 {
			out = append(out, queueMsg{id: fmt.Sprintf("%s-%d", prefix, len(out)), body: append(cur, ']')})
			cur = nil
		}
	}
	for _, r := range rows {
		obj, err := q.object(r)
		if err != nil {
			return nil, err
		}
		if !q.batch {
			out = append(out, queueMsg{id: fmt.Sprintf("%s-%d", prefix, len(out)), body: obj})
			continue
		}
		if len(cur)+len(obj) > maxBatchBytes {
			flush()
		}
		if cur == nil {
			cur = append(cur, '[')
		} else {
			cur = append(cur, ',')
		}
		cur = append(cur, obj...)
	}
	flush()
	return out, nil
}

// object renders one row as a JSON object in column order: decimals as
// exact strings, times in RFC 3339, JSON columns embedded, bytes base64.
func (q *queueSink) object(r []driver.Value) ([]byte, error) {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range r {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(q.names[i])
		b.Write(k)
		b.WriteByte(':')
		var val any = sinkValue(&q.types[i], v)
		if raw, ok := v.(json.RawMessage); ok {
			val = raw
		}
		j, err := json.Marshal(val)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", q.names[i], err)
		}
		b.Write(j)
	}
	b.WriteByte('}')
	return []byte(b.String()), nil
}
