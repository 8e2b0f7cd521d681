package integration

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/runner"
)

// Executor runs sync tasks; register it on the runner for meta.TaskSync.
type Executor struct {
	// BaseDir resolves relative file and SQLite paths (the data directory).
	BaseDir string
	// Progress is how often a long sync logs a progress line; default 5s.
	Progress time.Duration
	// CDC, when set, runs cdc syncs: an instance of one starts its job.
	CDC *CDC
	// Metrics, when set, keeps each run's metrics for the instance.
	Metrics meta.SyncMetricsStore
}

var _ runner.Executor = (*Executor)(nil)

// Metrics are what one run moved.
type Metrics struct {
	Read, Written, Dirty, Bytes int64
	Duration                    time.Duration
	// TargetCPU is the CPU time spent writing the target (appending,
	// committing, publishing), on Linux: the benchmark separates the
	// Go-side CPU of reading and converting with it.
	TargetCPU time.Duration
	// ReadCPU is the CPU time of the reader goroutines (source driver and
	// conversion), on Linux.
	ReadCPU time.Duration
}

func (m Metrics) String() string {
	rate := 0.0
	if m.Duration > 0 {
		rate = float64(m.Read) / m.Duration.Seconds()
	}
	return fmt.Sprintf("rows read %d, rows written %d, dirty %d, bytes %d, %s (%.0f rows/s)",
		m.Read, m.Written, m.Dirty, m.Bytes, m.Duration.Round(time.Millisecond), rate)
}

// ErrDirtyLimit is wrapped when dirty rows pass the task's limit.
var ErrDirtyLimit = errors.New("dirty rows over the limit")

// Run implements runner.Executor.
func (x *Executor) Run(ctx context.Context, job *runner.Job) runner.Outcome {
	if s := job.Spec.Sync; s != nil && s.Mode == meta.SyncCDC && x.CDC != nil {
		st, err := x.CDC.StartJob(ctx, job.Project.Name, job.Spec.Name)
		if err != nil {
			return runner.Outcome{State: meta.StateFailed, Error: err.Error()}
		}
		job.Log.Printf("sync: cdc job %s is %s (kiln cdc status shows its lag)", job.Spec.Name, st.State)
		return runner.Outcome{State: meta.StateSuccess}
	}
	start := time.Now()
	m, err := x.Sync(ctx, job)
	m.Duration = time.Since(start)
	job.Log.Printf("sync: %s", m)
	if x.Metrics != nil && job.Instance != nil {
		rec := &meta.SyncMetrics{InstanceID: job.Instance.ID, Attempt: job.Instance.Attempt, RowsRead: m.Read,
			RowsWritten: m.Written, DirtyRows: m.Dirty, Bytes: m.Bytes, DurationMs: m.Duration.Milliseconds()}
		if err := x.Metrics.PutSyncMetrics(context.WithoutCancel(ctx), rec); err != nil {
			job.Log.Printf("sync: recording the run's metrics: %v", err)
		}
	}
	if err != nil {
		return runner.Outcome{State: meta.StateFailed, Error: err.Error(), Rows: m.Written}
	}
	return runner.Outcome{State: meta.StateSuccess, Rows: m.Written}
}

// Sync runs one sync job and returns what it moved.
func (x *Executor) Sync(ctx context.Context, job *runner.Job) (*Metrics, error) {
	m := &Metrics{}
	p, err := x.build(ctx, job)
	if err != nil {
		return m, err
	}
	defer p.close()
	for _, c := range p.changes {
		job.Log.Printf("sync: target %s column %s: %s %s %s", p.table, c.Column, c.Change, c.OldType, c.NewType)
	}
	r := &run{x: x, p: p, job: job, m: m, lastLog: time.Now(), logf: job.Log.Printf}
	switch p.spec.Mode {
	case meta.SyncIncremental, meta.SyncFull, meta.SyncPartition, "":
		if p.out != nil {
			return m, r.toSink(ctx)
		}
		if p.queue != nil {
			return m, r.toQueue(ctx)
		}
	}
	switch p.spec.Mode {
	case meta.SyncIncremental:
		err = r.incremental(ctx)
	case meta.SyncCDC:
		err = fmt.Errorf("a cdc sync is a long-running job: start it with kiln cdc start (or run it on a server, which starts it)")
	case meta.SyncPartition, meta.SyncFull, "":
		err = r.staged(ctx)
	default:
		err = fmt.Errorf("unknown sync mode %q: want full, incremental or partition", p.spec.Mode)
	}
	if err == nil && p.file != nil {
		err = p.file.write(ctx, p.tgt)
	}
	return m, err
}

// run is one execution of a plan.
type run struct {
	x       *Executor
	p       *plan
	job     *runner.Job
	m       *Metrics
	lastLog time.Time
	// logf writes the instance log (a CDC job: the server log).
	logf func(format string, args ...any)
	// inTx says a chunk's warehouse transaction is open (chunkTx), with
	// chunkRows rows appended in it so far.
	inTx      bool
	chunkRows int64
}

func (r *run) progress() {
	every := r.x.Progress
	if every <= 0 {
		every = 5 * time.Second
	}
	if time.Since(r.lastLog) >= every {
		r.lastLog = time.Now()
		r.logf("sync: progress: %d rows read, %d written, %d dirty, %d bytes", r.m.Read, r.m.Written, r.m.Dirty, r.m.Bytes)
	}
}

// checkDirty fails the run when dirty rows pass the limit; final applies
// the percentage, which only means something over the whole run.
func (r *run) checkDirty(final bool) error {
	s := r.p.spec
	if r.m.Dirty == 0 {
		return nil
	}
	if s.DirtyLimit == 0 && s.DirtyPercent == 0 {
		return fmt.Errorf("%w: %d dirty row(s) and no dirty_limit or dirty_percent allows any (see %s.dirty_records)", ErrDirtyLimit, r.m.Dirty, metaSchema)
	}
	if s.DirtyLimit > 0 && r.m.Dirty > int64(s.DirtyLimit) {
		return fmt.Errorf("%w: %d dirty rows, dirty_limit %d (see %s.dirty_records)", ErrDirtyLimit, r.m.Dirty, s.DirtyLimit, metaSchema)
	}
	if final && s.DirtyPercent > 0 && r.m.Read > 0 {
		pct := float64(r.m.Dirty) * 100 / float64(r.m.Read)
		if pct > s.DirtyPercent {
			return fmt.Errorf("%w: %.2f%% dirty rows, dirty_percent %.2f (see %s.dirty_records)", ErrDirtyLimit, pct, s.DirtyPercent, metaSchema)
		}
	}
	return nil
}

// readAll reads the shards from st.Shard/st.After on, calling apply for
// each batch; the reader runs ahead in its own goroutine so reading and
// appending overlap.
func (r *run) readAll(ctx context.Context, st *syncState, extra string, args []any, apply func(b *batch) error) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer func() {
		if err != nil {
			r.rollback(ctx)
		}
	}()
	for si := st.Shard; si < len(r.p.reads); si++ {
		rp := *r.p.reads[si]
		if extra != "" {
			rp.where = joinWhere(rp.where, extra, args, r.p.src)
		}
		after := st.After
		if si != st.Shard {
			after = nil
		}
		ch := make(chan batch, 4)
		errc := make(chan error, 1)
		go func() {
			defer close(ch)
			errc <- rp.run(ctx, si, after, ch)
		}()
		for b := range ch {
			r.m.Read += b.read
			r.m.Bytes += b.bytes
			r.m.Dirty += int64(len(b.dirty))
			r.m.ReadCPU += b.cpu
			if err := apply(&b); err != nil {
				cancel()
				for range ch {
				}
				<-errc
				return err
			}
			r.progress()
		}
		if err := <-errc; err != nil {
			return err
		}
	}
	return nil
}

// joinWhere adds a condition with bound values inlined as literals (the
// values come from the source itself: a watermark).
func joinWhere(where, cond string, args []any, s *source) string {
	for _, a := range args {
		lit := "'" + strings.ReplaceAll(fmt.Sprint(a), "'", "''") + "'"
		if s.dialect == "mysql" {
			lit = strings.ReplaceAll(lit, `\`, `\\`)
		}
		cond = strings.Replace(cond, "?", lit, 1)
	}
	if where == "" {
		return cond
	}
	return where + ") AND (" + cond
}

// targetCPU starts measuring the CPU the calling goroutine spends writing
// the target (pinned to its thread meanwhile); call the result to stop.
func (r *run) targetCPU() func() {
	runtime.LockOSThread()
	start := threadCPU()
	return func() {
		r.m.TargetCPU += threadCPU() - start
		runtime.UnlockOSThread()
	}
}

// chunkTx appends one batch to table inside the chunk's warehouse
// transaction, opened by its first batch; the chunk's last batch runs
// between (a merge), records the checkpoint and commits. A kill between
// chunks loses nothing and a resume repeats nothing; a chunk of at least
// one DuckDB row group (122,880 rows) is written straight to the database
// file instead of through its WAL.
func (r *run) chunkTx(ctx context.Context, app *appender, b *batch, st *syncState, between func() error) error {
	p := r.p
	defer r.targetCPU()()
	if !r.inTx {
		if err := p.tgt.begin(ctx); err != nil {
			return err
		}
		r.inTx = true
	}
	err := func() error {
		if err := app.append(b.rows); err != nil {
			return fmt.Errorf("target: append: %w", err)
		}
		if err := app.flush(); err != nil {
			return fmt.Errorf("target: append: %w", err)
		}
		if err := p.tgt.writeDirty(ctx, p.key, p.instance, p.reads[b.shard].shard.String(), b.dirty); err != nil {
			return err
		}
		if b.partial {
			r.chunkRows += int64(len(b.rows))
			return nil
		}
		if between != nil {
			if err := between(); err != nil {
				return err
			}
		}
		next := *st
		if b.done {
			next.Shard, next.After = b.shard+1, nil
		} else {
			next.Shard, next.After = b.shard, b.last
		}
		next.Rows = st.Rows + r.chunkRows + int64(len(b.rows))
		if err := p.tgt.saveState(ctx, p.key, &next); err != nil {
			return err
		}
		if err := p.tgt.exec(ctx, "COMMIT"); err != nil {
			return err
		}
		r.inTx, r.chunkRows = false, 0
		*st = next
		return nil
	}()
	if err != nil {
		r.rollback(ctx)
	}
	return err
}

// rollback ends a chunk transaction left open by a failure.
func (r *run) rollback(ctx context.Context) {
	if r.inTx {
		r.p.tgt.abort(ctx)
		r.inTx, r.chunkRows = false, 0
	}
}

// staged runs a full or partition sync: rows load into a staging table,
// chunk by chunk with checkpoints, and replace the target (or its
// partition) in one transaction at the end.
func (r *run) staged(ctx context.Context) error {
	p := r.p
	stage := p.table + "__kiln_stage"
	st, err := p.tgt.loadState(ctx, p.key)
	if err != nil {
		return err
	}
	sig := columnsSig(p.cols)
	staged, err := p.tgt.describe(ctx, p.schema, stage)
	if err != nil {
		return err
	}
	if st.Loading && st.Columns == sig && staged != nil {
		r.logf("sync: resuming the load of instance %d at shard %d after key %v (%d rows staged)", st.Instance, st.Shard, st.After, st.Rows)
		r.m.Written = st.Rows
	} else {
		st = &syncState{Watermark: st.Watermark, Loading: true, Columns: sig, Instance: p.instance, CDC: st.CDC}
		err = p.tgt.tx(ctx, func() error {
			if p.schema != "" {
				if err := p.tgt.exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+qi(p.schema)); err != nil {
					return err
				}
			}
			if err := p.tgt.exec(ctx, createSQL(p.schema, stage, p.cols, true)...); err != nil {
				return err
			}
			return p.tgt.saveState(ctx, p.key, st)
		})
		if err != nil {
			return err
		}
	}
	app, err := p.tgt.appender(p.schema, stage)
	if err != nil {
		return err
	}
	defer app.close()
	err = r.readAll(ctx, st, "", nil, func(b *batch) error {
		if err := r.chunkTx(ctx, app, b, st, nil); err != nil {
			return err
		}
		r.m.Written += int64(len(b.rows))
		return r.checkDirty(false)
	})
	if err == nil {
		err = r.checkDirty(true)
	}
	if err != nil {
		if errors.Is(err, ErrDirtyLimit) {
			// Over the limit the load is abandoned: the next run starts over.
			_ = p.tgt.tx(context.WithoutCancel(ctx), func() error {
				return p.tgt.saveState(ctx, p.key, &syncState{Watermark: st.Watermark, CDC: st.CDC})
			})
		}
		return err
	}
	if err := app.close(); err != nil {
		return fmt.Errorf("target: append: %w", err)
	}
	return r.publish(ctx, stage, st)
}

// publish replaces the target's rows (or one partition's) with the staged
// ones and records the schema changes, in one transaction.
func (r *run) publish(ctx context.Context, stage string, st *syncState) error {
	p := r.p
	t := qt(p.schema, p.table)
	defer r.targetCPU()()
	swap, err := r.canSwap(ctx, stage)
	if err != nil {
		return err
	}
	return p.tgt.tx(ctx, func() error {
		if swap {
			// The staged table becomes the target: no second copy of the rows.
			if err := p.tgt.exec(ctx, "DROP TABLE IF EXISTS "+t, "ALTER TABLE "+qt(p.schema, stage)+" RENAME TO "+qi(p.table)); err != nil {
				return err
			}
			if err := r.recordChanges(ctx); err != nil {
				return err
			}
			return p.tgt.saveState(ctx, p.key, &syncState{Watermark: st.Watermark, CDC: st.CDC})
		}
		if err := p.tgt.exec(ctx, p.targetDDL()...); err != nil {
			return err
		}
		del := "DELETE FROM " + t
		if p.spec.Mode == meta.SyncPartition {
			del += " WHERE " + qi(p.spec.PartitionColumn) + " = " + qs(p.pValue)
		}
		cols := p.colList()
		if err := p.tgt.exec(ctx, del,
			"INSERT INTO "+t+" ("+cols+") SELECT "+cols+" FROM "+qt(p.schema, stage),
			"DROP TABLE "+qt(p.schema, stage)); err != nil {
			return err
		}
		if err := r.recordChanges(ctx); err != nil {
			return err
		}
		return p.tgt.saveState(ctx, p.key, &syncState{Watermark: st.Watermark, CDC: st.CDC})
	})
}

// canSwap says a full sync may replace the target by renaming the staged
// table: the target is missing, or has exactly the staged columns (names,
// types, comments) and no constraints or indexes a swap would lose.
func (r *run) canSwap(ctx context.Context, stage string) (bool, error) {
	p := r.p
	if p.spec.Mode == meta.SyncPartition {
		return false, nil
	}
	have, err := p.tgt.describe(ctx, p.schema, p.table)
	if err != nil || have == nil {
		return err == nil, err
	}
	staged, err := p.tgt.describe(ctx, p.schema, stage)
	if err != nil {
		return false, err
	}
	if !slices.Equal(have, staged) {
		return false, nil
	}
	return p.tgt.plain(ctx, p.schema, p.table)
}

func (r *run) recordChanges(ctx context.Context) error {
	p := r.p
	for _, c := range p.changes {
		if _, err := p.tgt.conn.ExecContext(ctx, `INSERT INTO `+metaSchema+`.schema_changes VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			p.key, p.instance, qt(p.schema, p.table), c.Column, c.Change, c.OldType, c.NewType, time.Now()); err != nil {
			return fmt.Errorf("target: record schema change: %w", err)
		}
	}
	return nil
}

// incremental reads rows whose cursor passed the watermark (less the
// lookback) up to the cursor's current maximum, and merges them on the key
// chunk by chunk; the watermark moves when every chunk is in.
func (r *run) incremental(ctx context.Context) error {
	p := r.p
	t := qt(p.schema, p.table)
	delta := p.table + "__kiln_delta"
	st, err := p.tgt.loadState(ctx, p.key)
	if err != nil {
		return err
	}
	sig := columnsSig(p.cols)
	if !(st.Loading && st.Columns == sig && st.High != "") {
		high, err := r.cursorMax(ctx)
		if err != nil {
			return err
		}
		if high == "" {
			r.logf("sync: the source has no rows with a cursor value")
		}
		st = &syncState{Watermark: st.Watermark, High: high, Loading: true, Columns: sig, Instance: p.instance}
	} else {
		r.logf("sync: resuming the incremental load up to %s at shard %d after key %v", st.High, st.Shard, st.After)
	}
	err = p.tgt.tx(ctx, func() error {
		stmts := p.targetDDL()
		if err := p.tgt.exec(ctx, stmts...); err != nil {
			return err
		}
		if err := r.recordChanges(ctx); err != nil {
			return err
		}
		if err := p.tgt.exec(ctx, createSQL(p.schema, delta, p.cols, true)...); err != nil {
			return err
		}
		return p.tgt.saveState(ctx, p.key, st)
	})
	if err != nil {
		return err
	}
	if st.High == "" {
		return p.tgt.tx(ctx, func() error {
			return p.tgt.exec(ctx, "DROP TABLE IF EXISTS "+qt(p.schema, delta))
		})
	}
	cond, args, err := r.cursorRange(st)
	if err != nil {
		return err
	}
	app, err := p.tgt.appender(p.schema, delta)
	if err != nil {
		return err
	}
	defer app.close()
	d := qt(p.schema, delta)
	keys := make([]string, len(p.keys))
	for i, k := range p.keys {
		keys[i] = qi(k)
	}
	kl := strings.Join(keys, ", ")
	merge := []string{
		"DELETE FROM " + t + " WHERE (" + kl + ") IN (SELECT (" + kl + ") FROM " + d + ")",
		"INSERT INTO " + t + " (" + p.colList() + ") SELECT " + p.colList() + " FROM " + d,
		"DELETE FROM " + d,
	}
	if len(keys) == 1 {
		merge[0] = "DELETE FROM " + t + " WHERE " + kl + " IN (SELECT " + kl + " FROM " + d + ")"
	}
	err = r.readAll(ctx, st, cond, args, func(b *batch) error {
		err := r.chunkTx(ctx, app, b, st, func() error { return p.tgt.exec(ctx, merge...) })
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
	if err := app.close(); err != nil {
		return err
	}
	return p.tgt.tx(ctx, func() error {
		if err := p.tgt.exec(ctx, "DROP TABLE IF EXISTS "+d); err != nil {
			return err
		}
		return p.tgt.saveState(ctx, p.key, &syncState{Watermark: st.High})
	})
}

// cursorMax is the greatest cursor value over all shards, as text.
func (r *run) cursorMax(ctx context.Context) (string, error) {
	p := r.p
	best := ""
	var bestT time.Time
	for _, rp := range p.reads {
		conn, err := p.src.db.Conn(ctx)
		if err != nil {
			return "", err
		}
		if err := rp.prepareConn(ctx, conn); err != nil {
			conn.Close()
			return "", err
		}
		q := "SELECT MAX(" + p.cursor + ") FROM " + p.src.quoteTable(rp.shard)
		if rp.where != "" {
			q += " WHERE " + rp.where
		}
		var v any
		err = conn.QueryRowContext(ctx, q).Scan(&v)
		conn.Close()
		if err != nil {
			return "", fmt.Errorf("source %s: cursor %s: %w", p.src.name, p.spec.Cursor, err)
		}
		switch x := v.(type) {
		case nil:
		case time.Time:
			if best == "" || x.After(bestT) {
				bestT, best = x, x.UTC().Format("2006-01-02 15:04:05.999999")
			}
		default:
			s := fmt.Sprint(x)
			if b, ok := x.([]byte); ok {
				s = string(b)
			}
			if best == "" || cursorLess(best, s) {
				best = s
			}
		}
	}
	return best, nil
}

// cursorLess compares cursor texts as numbers when both are, else as text
// (the ISO forms of dates order as text).
func cursorLess(a, b string) bool {
	fa, ea := strconv.ParseFloat(a, 64)
	fb, eb := strconv.ParseFloat(b, 64)
	if ea == nil && eb == nil {
		return fa < fb
	}
	return a < b
}

// cursorRange is the cursor condition of a run: after the watermark less
// the lookback, up to the high mark taken at the start.
func (r *run) cursorRange(st *syncState) (string, []any, error) {
	p := r.p
	cond := p.cursor + " <= ?"
	args := []any{st.High}
	if st.Watermark == "" {
		return cond, args, nil
	}
	low := st.Watermark
	if lb := p.spec.Lookback; lb != "" {
		if n, err := strconv.ParseInt(lb, 10, 64); err == nil {
			w, err := strconv.ParseInt(st.Watermark, 10, 64)
			if err != nil {
				return "", nil, fmt.Errorf("lookback %s is a number but watermark %q is not", lb, st.Watermark)
			}
			low = strconv.FormatInt(w-n, 10)
		} else if d, err := time.ParseDuration(lb); err == nil {
			w, err := time.Parse("2006-01-02 15:04:05.999999", st.Watermark)
			if err != nil {
				return "", nil, fmt.Errorf("lookback %s is a duration but watermark %q is not a time", lb, st.Watermark)
			}
			low = w.Add(-d).Format("2006-01-02 15:04:05.999999")
		} else {
			return "", nil, fmt.Errorf("lookback %q: want a duration (1h) or a number", lb)
		}
	}
	return p.cursor + " > ? AND " + cond, []any{low, st.High}, nil
}
