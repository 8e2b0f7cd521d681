package integration

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/kilnhq/kiln/meta"
)

// natsURL is the machine's NATS server (JetStream on); the test is skipped
// when it is unreachable, except under CI.
func natsURL(t *testing.T) string {
	t.Helper()
	addr := "127.0.0.1:4222"
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NATS at %s: %v", addr, err)
		}
		t.Skipf("NATS at %s: %v", addr, err)
	}
	c.Close()
	return "nats://" + addr
}

// consume reads every message of a stream.
func consume(t *testing.T, js jetstream.JetStream, stream string) [][]byte {
	t.Helper()
	cons, err := js.OrderedConsumer(t.Context(), stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	info, err := js.Stream(t.Context(), stream)
	if err != nil {
		t.Fatal(err)
	}
	want := int(info.CachedInfo().State.Msgs)
	var out [][]byte
	for len(out) < want {
		batch, err := cons.Fetch(min(want-len(out), 500), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for m := range batch.Messages() {
			out = append(out, m.Data())
			n++
		}
		if n == 0 {
			t.Fatalf("stream %s: %d of %d messages", stream, len(out), want)
		}
	}
	return out
}

// Rows published to NATS JetStream, one JSON message per row or per batch:
// a consumer counts every row, values render exactly, and an incremental
// sync publishes only what changed.
func TestNATSSink(t *testing.T) {
	url := natsURL(t)
	dsn, src := mariaDB(t)
	mustExec(t, src, sinkSourceDDL, `INSERT INTO orders (id, name, amount, created, doc, dt, updated)
  SELECT seq, CONCAT('c', seq), seq * 0.25, TIMESTAMP('2024-01-01') + INTERVAL seq SECOND, '{"a": [1, 2]}', '2024-01-01', '2024-01-01' FROM seq_1_to_2500`)
	e := newEnv(t)
	e.addMySQL("shop", dsn)
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	tag := fmt.Sprintf("%d", time.Now().UnixNano())
	rowStream, batchStream := "KILN_ROWS_"+tag, "KILN_BATCH_"+tag
	t.Cleanup(func() {
		_ = js.DeleteStream(t.Context(), rowStream)
		_ = js.DeleteStream(t.Context(), batchStream)
	})

	perRow := &meta.SyncSpec{Mode: meta.SyncIncremental, Cursor: "updated", ChunkRows: 1000,
		Source: meta.SyncSource{Engine: "shop", Table: "orders"},
		Target: meta.SyncTarget{Queue: url, Subject: "kiln.rows." + tag, Stream: rowStream}}
	if m := e.sync("rows", perRow); m.Written != 2500 {
		t.Fatalf("published %d rows, want 2500", m.Written)
	}
	msgs := consume(t, js, rowStream)
	if len(msgs) != 2500 {
		t.Fatalf("consumed %d messages, want 2500", len(msgs))
	}
	var first map[string]any
	if err := json.Unmarshal(msgs[0], &first); err != nil {
		t.Fatal(err)
	}
	if first["id"] != float64(1) || first["amount"] != "0.25" || first["name"] != "c1" || first["created"] != "2024-01-01T00:00:01Z" {
		t.Errorf("first message %s", msgs[0])
	}
	// MariaDB's JSON is LONGTEXT, a VARCHAR column: its text travels as a string.
	if first["doc"] != `{"a": [1, 2]}` {
		t.Errorf("doc: %s", msgs[0])
	}

	mustExec(t, src, "UPDATE orders SET amount = 1, updated = '2024-02-01' WHERE id <= 10")
	if m := e.sync("rows", perRow); m.Written != 10 {
		t.Fatalf("the incremental run published %d rows, want 10", m.Written)
	}
	if n := len(consume(t, js, rowStream)); n != 2510 {
		t.Fatalf("%d messages after the incremental run, want 2510", n)
	}

	perBatch := &meta.SyncSpec{ChunkRows: 1000, Source: meta.SyncSource{Engine: "shop", Table: "orders"},
		Target: meta.SyncTarget{Queue: url, Subject: "kiln.batch." + tag, Stream: batchStream, Message: "batch"}}
	e.sync("batch", perBatch)
	rows := 0
	bm := consume(t, js, batchStream)
	for _, m := range bm {
		var arr []map[string]any
		if err := json.Unmarshal(m, &arr); err != nil {
			t.Fatal(err)
		}
		rows += len(arr)
	}
	if rows != 2500 || len(bm) < 3 {
		t.Errorf("%d rows in %d batch messages, want 2500 in at least 3 (one per chunk)", rows, len(bm))
	}

	bad := &meta.SyncSpec{Source: meta.SyncSource{Engine: "shop", Table: "orders"}, Target: meta.SyncTarget{Queue: "kafka://127.0.0.1:9092", Subject: "x"}}
	if err := e.syncErr("bad", bad); err == nil {
		t.Error("a kafka target succeeded")
	}
}
