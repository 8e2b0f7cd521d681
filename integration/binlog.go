package integration

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	gomysql "github.com/go-sql-driver/mysql"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/events"
	"github.com/kilnhq/kiln/meta"
)

// DefaultCDCBatchRows caps the row changes of one applied batch.
const DefaultCDCBatchRows = 5000

// errNotRunning ends a job a server start found stopped.
var errNotRunning = errors.New("cdc job is not marked running")

// cdcJob is one running CDC job.
type cdcJob struct {
	c        *CDC
	project  *meta.Project
	spec     *meta.TaskSpec
	auto     atomic.Bool // resumed at server start: runs only if saved as running
	cancel   context.CancelFunc
	done     chan struct{}
	stopping atomic.Bool

	mu      sync.Mutex
	st      CDCStatus
	srcDB   *sql.DB
	lagging bool
}

func (j *cdcJob) status() *CDCStatus {
	j.mu.Lock()
	defer j.mu.Unlock()
	s := j.st
	return &s
}

func (j *cdcJob) set(f func(*CDCStatus)) {
	j.mu.Lock()
	f(&j.st)
	j.mu.Unlock()
}

// bytesBehind is the source's binlog end minus the applied position, when
// both are in the same file; -1 otherwise.
func (j *cdcJob) bytesBehind(ctx context.Context) int64 {
	j.mu.Lock()
	db, file, pos := j.srcDB, j.st.File, j.st.Pos
	j.mu.Unlock()
	if db == nil || file == "" {
		return -1
	}
	f, p, _, err := masterPos(ctx, db)
	if err != nil || f != file {
		return -1
	}
	return int64(p) - int64(pos)
}

// driverConfig digs the MySQL connection settings out of an engine.
func driverConfig(e engine.Engine) (*gomysql.Config, bool) {
	for {
		if d, ok := e.(interface{ DriverConfig() *gomysql.Config }); ok {
			return d.DriverConfig(), true
		}
		u, ok := e.(interface{ Unwrap() engine.Engine })
		if !ok {
			return nil, false
		}
		e = u.Unwrap()
	}
}

// masterPos is the source's current binlog file and position, and its
// MariaDB GTID position ("" on MySQL).
func masterPos(ctx context.Context, db *sql.DB) (string, uint32, string, error) {
	rows, err := db.QueryContext(ctx, "SHOW MASTER STATUS")
	if err != nil {
		return "", 0, "", err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	if !rows.Next() {
		return "", 0, "", fmt.Errorf("the source has no binary log: enable log_bin with binlog_format=ROW")
	}
	raw := make([]sql.RawBytes, len(cols))
	ptrs := make([]any, len(cols))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	if err := rows.Scan(ptrs...); err != nil {
		return "", 0, "", err
	}
	file := string(raw[0])
	pos, _ := strconv.ParseUint(string(raw[1]), 10, 32)
	rows.Close()
	var gtid string
	if err := db.QueryRowContext(ctx, "SELECT @@gtid_binlog_pos").Scan(&gtid); err != nil {
		gtid = ""
	}
	return file, uint32(pos), gtid, nil
}

// run is one attempt of the job: plan, snapshot when needed, stream.
func (j *cdcJob) run(ctx context.Context) error {
	x := &Executor{BaseDir: j.c.cfg.BaseDir}
	rj := j.runnerJob()
	p, err := x.build(ctx, rj)
	if err != nil {
		return err
	}
	defer p.close()
	if p.src.dialect != "mysql" {
		return fmt.Errorf("source %s: cdc reads the MySQL/MariaDB binlog; the engine is %s", p.src.name, p.src.dialect)
	}
	for _, a := range p.spec.Add {
		if a.Expr != "" {
			return fmt.Errorf("add column %s: a cdc sync cannot compute source expressions from the binlog (constants only)", a.Name)
		}
	}
	if len(p.keys) == 0 {
		return fmt.Errorf("a cdc sync applies changes by primary key, and source table %s has none", p.shards[0])
	}
	e, err := j.c.engines.Engine(ctx, j.project.ID, p.spec.Source.Engine)
	if err != nil {
		return err
	}
	cfg, ok := driverConfig(e)
	if !ok {
		return fmt.Errorf("source %s: engine has no MySQL connection settings for the binlog", p.src.name)
	}
	j.mu.Lock()
	j.srcDB = p.src.db
	j.mu.Unlock()
	st, err := p.tgt.loadState(ctx, p.key)
	if err != nil {
		return err
	}
	if st.CDC == nil {
		st.CDC = &cdcState{}
	}
	if j.auto.Load() && !st.CDC.Running {
		return errNotRunning
	}
	st.CDC.Running = true
	if !st.CDC.Streaming {
		if err := j.snapshot(ctx, x, p, st); err != nil {
			return err
		}
		if st, err = p.tgt.loadState(ctx, p.key); err != nil {
			return err
		}
	} else if err := p.tgt.tx(ctx, func() error {
		// The source may have changed while the job was down: adapt first.
		if err := p.tgt.exec(ctx, p.targetDDL()...); err != nil {
			return err
		}
		if err := (&run{p: p}).recordChanges(ctx); err != nil {
			return err
		}
		return p.tgt.saveState(ctx, p.key, st)
	}); err != nil {
		return err
	}
	return j.stream(ctx, p, st, cfg)
}

// snapshot loads the table with the chunked reader (resumable like a full
// sync), after noting the binlog position to stream from: changes made
// during the snapshot are applied again by key, which converges.
func (j *cdcJob) snapshot(ctx context.Context, x *Executor, p *plan, st *syncState) error {
	if st.CDC.File == "" {
		file, pos, gtid, err := masterPos(ctx, p.src.db)
		if err != nil {
			return fmt.Errorf("source %s: %w", p.src.name, err)
		}
		st.CDC.File, st.CDC.Pos, st.CDC.GTID = file, pos, gtid
	}
	if err := p.tgt.tx(ctx, func() error { return p.tgt.saveState(ctx, p.key, st) }); err != nil {
		return err
	}
	j.set(func(s *CDCStatus) { s.State, s.File, s.Pos, s.GTID = CDCSnapshot, st.CDC.File, st.CDC.Pos, st.CDC.GTID })
	log := j.c.log.With("project", j.project.Name, "task", j.spec.Name)
	m := &Metrics{}
	r := &run{x: x, p: p, m: m, lastLog: time.Now(), logf: func(f string, a ...any) { log.Info(fmt.Sprintf(f, a...)) }}
	start := time.Now()
	if err := r.staged(ctx); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	m.Duration = time.Since(start)
	log.Info("cdc snapshot done", "metrics", m.String())
	j.set(func(s *CDCStatus) { s.SnapshotRows = m.Written })
	return p.tgt.tx(ctx, func() error {
		cur, err := p.tgt.loadState(ctx, p.key)
		if err != nil {
			return err
		}
		if cur.CDC == nil {
			return fmt.Errorf("snapshot: the saved cdc position disappeared")
		}
		cur.CDC.Streaming = true
		return p.tgt.saveState(ctx, p.key, cur)
	})
}

// stream reads the binlog from the saved position and applies it.
func (j *cdcJob) stream(ctx context.Context, p *plan, st *syncState, cfg *gomysql.Config) error {
	if cfg.Net != "tcp" {
		return fmt.Errorf("source %s: the binlog reader needs a TCP address, not %s", p.src.name, cfg.Net)
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("source %s: address: %w", p.src.name, err)
	}
	portN, _ := strconv.Atoi(port)
	var version string
	_ = p.src.db.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version)
	flavor := mysql.MySQLFlavor
	if strings.Contains(strings.ToLower(version), "mariadb") {
		flavor = mysql.MariaDBFlavor
	}
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: serverID(p.spec, p.key), Flavor: flavor, Host: host, Port: uint16(portN),
		User: cfg.User, Password: cfg.Passwd, TimestampStringLocation: time.UTC,
		HeartbeatPeriod: time.Second, Logger: slog.New(slog.DiscardHandler),
	})
	defer syncer.Close()
	var streamer *replication.BinlogStreamer
	if st.CDC.GTID != "" && flavor == mysql.MariaDBFlavor {
		gset, err := mysql.ParseMariadbGTIDSet(st.CDC.GTID)
		if err != nil {
			return fmt.Errorf("saved gtid %q: %w", st.CDC.GTID, err)
		}
		streamer, err = syncer.StartSyncGTID(gset)
		if err != nil {
			return fmt.Errorf("source %s: binlog from gtid %s: %w", p.src.name, st.CDC.GTID, err)
		}
	} else if streamer, err = syncer.StartSync(mysql.Position{Name: st.CDC.File, Pos: st.CDC.Pos}); err != nil {
		return fmt.Errorf("source %s: binlog from %s:%d: %w", p.src.name, st.CDC.File, st.CDC.Pos, err)
	}
	a, err := newApplier(ctx, j, p, st, cfg.DBName)
	if err != nil {
		return err
	}
	defer a.close()
	j.set(func(s *CDCStatus) {
		s.State, s.Error, s.File, s.Pos, s.GTID = CDCStreaming, "", st.CDC.File, st.CDC.Pos, st.CDC.GTID
	})
	j.c.log.Info("cdc streaming", "project", j.project.Name, "task", j.spec.Name, "file", st.CDC.File, "pos", st.CDC.Pos, "gtid", st.CDC.GTID)
	file := st.CDC.File
	for {
		ectx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		ev, err := streamer.GetEvent(ectx)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				// Stopping: apply what is complete, keep nothing half-done.
				return a.flush(context.WithoutCancel(ctx))
			}
			if errors.Is(err, context.DeadlineExceeded) {
				if err := a.flush(ctx); err != nil {
					return err
				}
				j.idle()
				continue
			}
			return fmt.Errorf("source %s: binlog: %w", p.src.name, err)
		}
		if ev.Header.Timestamp > 0 && ev.Header.EventType != replication.HEARTBEAT_EVENT {
			j.sawEvent(ev.Header.Timestamp)
		}
		switch e := ev.Event.(type) {
		case *replication.RotateEvent:
			file = string(e.NextLogName)
		case *replication.RowsEvent:
			if err := a.rows(ev.Header.EventType, e); err != nil {
				return err
			}
		case *replication.XIDEvent:
			a.commit(file, ev.Header.LogPos, e.GSet)
		case *replication.QueryEvent:
			q := strings.TrimSpace(string(e.Query))
			switch strings.ToUpper(q) {
			case "BEGIN":
				continue
			case "COMMIT": // non-transactional tables
				a.commit(file, ev.Header.LogPos, e.GSet)
			default:
				a.commit(file, ev.Header.LogPos, e.GSet)
				if a.touches(string(e.Schema), q) {
					if err := a.ddl(ctx, q); err != nil {
						return err
					}
				}
			}
		}
		if a.full() {
			if err := a.flush(ctx); err != nil {
				return err
			}
		}
	}
}

// sawEvent notes the age of the newest event read: the lag.
func (j *cdcJob) sawEvent(ts uint32) {
	lag := max(time.Since(time.Unix(int64(ts), 0)).Seconds(), 0)
	j.set(func(s *CDCStatus) { s.LagSeconds = lag })
	j.checkLag(lag)
}

// idle is called when the binlog has nothing more: caught up.
func (j *cdcJob) idle() {
	j.set(func(s *CDCStatus) { s.LagSeconds, s.EventsBehind = 0, 0 })
	j.checkLag(0)
}

// checkLag publishes sync.lagging when the lag passes max_lag, and
// sync.caught_up when it is back under half of it.
func (j *cdcJob) checkLag(lag float64) {
	maxLag := 30 * time.Second
	if d, err := time.ParseDuration(j.spec.Sync.MaxLag); err == nil && d > 0 {
		maxLag = d
	}
	j.mu.Lock()
	was := j.lagging
	switch {
	case !was && lag > maxLag.Seconds():
		j.lagging = true
	case was && lag < maxLag.Seconds()/2:
		j.lagging = false
	}
	now := j.lagging
	j.mu.Unlock()
	if now && !was {
		j.publish(events.SyncLagging, fmt.Sprintf("cdc %s is %.0fs behind its source (max_lag %s)", j.spec.Name, lag, maxLag))
	} else if was && !now {
		j.publish(events.SyncCaughtUp, fmt.Sprintf("cdc %s caught up", j.spec.Name))
	}
}
