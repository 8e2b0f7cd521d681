package integration

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/runner"
)

// toSink runs a sync into a MySQL or Postgres sink. full and partition
// replace the rows in one transaction (readers see the old rows until it
// commits; a failed run leaves them); incremental merges chunk by chunk on
// the key, each chunk and its checkpoint in one transaction.
func (r *run) toSink(ctx context.Context) error {
	p, s := r.p, r.p.out
	changes, err := s.prepare(ctx, p.cols, p.keys)
	if err != nil {
		return err
	}
	for _, c := range changes {
		r.logf("sync: target %s column %s: %s %s", s.qtable(), c.Column, c.Change, c.NewType)
	}
	names := make([]string, len(p.cols))
	for i, c := range p.cols {
		names[i] = c.Name
	}
	if p.spec.Mode == meta.SyncIncremental {
		return r.sinkIncremental(ctx, names)
	}
	return r.sinkReplace(ctx, names)
}

func (r *run) sinkReplace(ctx context.Context, names []string) error {
	p, s := r.p, r.p.out
	st, err := s.loadState(ctx, p.key)
	if err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("target %s: %w", s.name, err)
	}
	defer tx.Rollback()
	del, args := "DELETE FROM "+s.qtable(), []any(nil)
	if p.spec.Mode == meta.SyncPartition {
		del += " WHERE " + s.quote(p.spec.PartitionColumn) + " = " + s.ph(1)
		args = append(args, p.pValue)
	}
	if _, err := tx.ExecContext(ctx, del, args...); err != nil {
		return fmt.Errorf("target %s: %s: %w", s.name, del, err)
	}
	err = r.readAll(ctx, &syncState{}, "", nil, func(b *batch) error {
		if err := s.insert(ctx, tx, names, b.rows); err != nil {
			return err
		}
		if err := s.writeDirty(ctx, tx, p.key, p.instance, p.reads[b.shard].shard.String(), b.dirty); err != nil {
			return err
		}
		r.m.Written += int64(len(b.rows))
		return r.checkDirty(false)
	})
	if err == nil {
		err = r.checkDirty(true)
	}
	if err != nil {
		return err
	}
	if err := s.saveState(ctx, tx, p.key, &syncState{Watermark: st.Watermark}); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("target %s: commit: %w", s.name, err)
	}
	return nil
}

func (r *run) sinkIncremental(ctx context.Context, names []string) error {
	p, s := r.p, r.p.out
	st, err := s.loadState(ctx, p.key)
	if err != nil {
		return err
	}
	sig := columnsSig(p.cols)
	if st.Loading && st.Columns == sig && st.High != "" {
		r.logf("sync: resuming the incremental load up to %s at shard %d after key %v", st.High, st.Shard, st.After)
	} else {
		high, err := r.cursorMax(ctx)
		if err != nil {
			return err
		}
		st = &syncState{Watermark: st.Watermark, High: high, Loading: true, Columns: sig, Instance: p.instance}
	}
	if st.High == "" {
		r.logf("sync: the source has no rows with a cursor value")
		return nil
	}
	cond, args, err := r.cursorRange(st)
	if err != nil {
		return err
	}
	keyIdx := make([]int, len(p.keys))
	for i, k := range p.keys {
		keyIdx[i] = -1
		for j, n := range names {
			if strings.EqualFold(n, k) {
				keyIdx[i] = j
			}
		}
	}
	chunk := func(f func(tx *sql.Tx) error) error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("target %s: %w", s.name, err)
		}
		defer tx.Rollback()
		if err := f(tx); err != nil {
			return err
		}
		return tx.Commit()
	}
	err = r.readAll(ctx, st, cond, args, func(b *batch) error {
		err := chunk(func(tx *sql.Tx) error {
			if err := s.deleteKeys(ctx, tx, p.keys, keyIdx, b.rows); err != nil {
				return err
			}
			if err := s.insert(ctx, tx, names, b.rows); err != nil {
				return err
			}
			if err := s.writeDirty(ctx, tx, p.key, p.instance, p.reads[b.shard].shard.String(), b.dirty); err != nil {
				return err
			}
			if b.done {
				st.Shard, st.After = b.shard+1, nil
			} else {
				st.Shard, st.After = b.shard, b.last
			}
			st.Rows += int64(len(b.rows))
			return s.saveState(ctx, tx, p.key, st)
		})
		if err != nil {
			return err
		}
		r.m.Written += int64(len(b.rows))
		return r.checkDirty(false)
	})
	if err == nil {
		err = r.checkDirty(true)
	}
	if err != nil {
		return err
	}
	return chunk(func(tx *sql.Tx) error { return s.saveState(ctx, tx, p.key, &syncState{Watermark: st.High}) })
}

// openQueueTarget plans a message-queue target. Its state (checkpoints and
// the incremental watermark) lives in the project's DuckDB warehouse.
func (x *Executor) openQueueTarget(ctx context.Context, job *runner.Job, p *plan) error {
	t := p.spec.Target
	if p.spec.Mode == meta.SyncCDC {
		return fmt.Errorf("target queue %s: a cdc sync writes into the DuckDB warehouse", t.Queue)
	}
	if t.Subject == "" {
		return fmt.Errorf("target queue %s: subject is required", t.Queue)
	}
	if t.Message != "" && t.Message != "row" && t.Message != "batch" {
		return fmt.Errorf("target queue %s: message %q: want row or batch", t.Queue, t.Message)
	}
	if err := p.checkPartition(); err != nil {
		return err
	}
	q := &queueSink{subject: t.Subject, batch: t.Message == "batch"}
	for _, c := range p.cols {
		ct, err := mapDuckDB(c.Type)
		if err != nil {
			return fmt.Errorf("target queue: column %s: %w", c.Name, err)
		}
		q.names, q.types = append(q.names, c.Name), append(q.types, ct)
	}
	if e, err := job.Engines.Engine(ctx, job.Project.ID, job.Project.DefaultEngine); err == nil && e.Dialect() == "duckdb" {
		if db, ok := dbOf(e); ok {
			if p.tgt, err = openWarehouse(ctx, db); err != nil {
				return err
			}
		}
	}
	if p.tgt == nil && p.spec.Mode == meta.SyncIncremental {
		return fmt.Errorf("target queue %s: an incremental sync keeps its watermark in the project's DuckDB warehouse, and there is none", t.Queue)
	}
	pub, err := openQueue(ctx, t.Queue, t.Subject, t.Stream)
	if err != nil {
		return err
	}
	q.pub = pub
	p.queue = q
	return nil
}

// toQueue publishes the rows read as JSON messages, chunk by chunk; an
// incremental sync saves its checkpoint after each chunk is acknowledged
// (at-least-once: a crash between the two publishes the chunk again).
func (r *run) toQueue(ctx context.Context) error {
	p, q := r.p, r.p.queue
	st := &syncState{}
	cond, args := "", []any(nil)
	inc := p.spec.Mode == meta.SyncIncremental
	if inc {
		var err error
		if st, err = p.tgt.loadState(ctx, p.key); err != nil {
			return err
		}
		if !(st.Loading && st.High != "") {
			high, err := r.cursorMax(ctx)
			if err != nil {
				return err
			}
			if high == "" {
				return nil
			}
			st = &syncState{Watermark: st.Watermark, High: high, Loading: true, Instance: p.instance}
		}
		if cond, args, err = r.cursorRange(st); err != nil {
			return err
		}
	}
	chunks := 0
	err := r.readAll(ctx, st, cond, args, func(b *batch) error {
		chunks++
		msgs, err := q.messages(b.rows, fmt.Sprintf("%s/%d/%d", p.key, p.instance, chunks))
		if err != nil {
			return fmt.Errorf("target queue: %w", err)
		}
		if err := q.pub.Publish(ctx, q.subject, msgs); err != nil {
			return err
		}
		r.m.Written += int64(len(b.rows))
		if p.tgt != nil {
			err := p.tgt.tx(ctx, func() error {
				if err := p.tgt.writeDirty(ctx, p.key, p.instance, p.reads[b.shard].shard.String(), b.dirty); err != nil {
					return err
				}
				if !inc {
					return nil
				}
				if b.done {
					st.Shard, st.After = b.shard+1, nil
				} else {
					st.Shard, st.After = b.shard, b.last
				}
				return p.tgt.saveState(ctx, p.key, st)
			})
			if err != nil {
				return err
			}
		}
		return r.checkDirty(false)
	})
	if err == nil {
		err = r.checkDirty(true)
	}
	if err != nil || !inc {
		return err
	}
	return p.tgt.tx(ctx, func() error { return p.tgt.saveState(ctx, p.key, &syncState{Watermark: st.High}) })
}
