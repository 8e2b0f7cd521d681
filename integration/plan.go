// Package integration moves data between systems: sync tasks copy tables
// from MySQL/MariaDB, Postgres, SQLite, CSV/Parquet files or any engine of a
// project into the warehouse (DuckDB, through its Appender), in full,
// incremental or per-period partition mode, with chunk checkpoints,
// schema adaptation and dirty-record limits. docs/integration.md is its
// user guide and type-mapping reference.
package integration

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/params"
	"github.com/kilnhq/kiln/runner"
)

// Shard columns a sharded sync adds to the target.
const (
	ShardDBColumn    = "_src_db"
	ShardTableColumn = "_src_table"
)

// DefaultChunkRows is how many rows one chunk (and checkpoint) holds: one
// DuckDB row group, which DuckDB writes straight to the database file.
const DefaultChunkRows = 122880

// plan is a validated sync, ready to run: nothing has been written yet.
type plan struct {
	spec   *meta.SyncSpec
	key    string
	src    *source
	shards []shard
	reads  []*readPlan // one per shard
	cols   []tgtColumn // target columns, in append order
	keys   []string    // target key columns (merge key), nil without a key
	cursor string      // source expression of the cursor column
	where  string
	pValue string // partition value, rendered

	tgt       *warehouse // the DuckDB target; nil with a SQL sink
	out       *sqlSink   // a MySQL or Postgres target
	file      *fileSink  // a CSV or Parquet file target (tgt is its private DuckDB)
	queue     *queueSink // a message-queue target (tgt, when set, holds its state)
	schema    string
	table     string
	existing  []tgtColumn
	changes   []schemaChange
	instance  int64
	taskLabel string
}

// render renders ${...} parameters in s for the job.
func render(job *runner.Job, s string) (string, error) {
	if s == "" || job.Params == nil {
		return s, nil
	}
	return params.Render(s, job.Params)
}

// openSource opens the source a spec names.
func (x *Executor) openSource(ctx context.Context, job *runner.Job, s *meta.SyncSource) (*source, error) {
	switch {
	case s.Files != "":
		return openFiles(ctx, s.Files, s.Format, x.BaseDir)
	case s.SQLite != "":
		return openSQLite(ctx, s.SQLite, x.BaseDir)
	case s.Engine != "":
		e, err := job.Engines.Engine(ctx, job.Project.ID, s.Engine)
		if err != nil {
			return nil, fmt.Errorf("source: %w", err)
		}
		db, ok := dbOf(e)
		if !ok {
			return nil, fmt.Errorf("source %s: engine cannot be read by a sync", s.Engine)
		}
		if err := db.PingContext(ctx); err != nil {
			return nil, fmt.Errorf("source %s: cannot connect: %w", s.Engine, err)
		}
		return &source{name: s.Engine, dialect: e.Dialect(), db: db, close: func() error { return nil }}, nil
	}
	return nil, fmt.Errorf("source: set one of engine, files or sqlite")
}

// build checks a sync against its source and target and plans it. Every
// bad-input error comes from here, before anything is written.
func (x *Executor) build(ctx context.Context, job *runner.Job) (_ *plan, err error) {
	spec := job.Spec.Sync
	if spec == nil {
		return nil, fmt.Errorf("sync task %s has no sync block", job.Spec.Name)
	}
	p := &plan{spec: spec, key: fmt.Sprintf("%d/%s", job.Project.ID, job.Spec.Name), taskLabel: job.Spec.Name}
	if job.Instance != nil {
		p.instance = job.Instance.ID
	}
	if p.where, err = render(job, spec.Source.Where); err != nil {
		return nil, fmt.Errorf("source where: %w", err)
	}
	if p.pValue, err = render(job, spec.PartitionValue); err != nil {
		return nil, fmt.Errorf("partition_value: %w", err)
	}
	if p.src, err = x.openSource(ctx, job, &spec.Source); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			p.close()
		}
	}()
	switch {
	case len(spec.Source.Tables) > 0:
		p.shards, err = p.src.listShards(ctx, spec.Source.Databases, spec.Source.Tables)
	case spec.Source.Files != "":
		p.shards = []shard{{Table: "src"}}
	case spec.Source.Table == "":
		err = fmt.Errorf("source: table is required")
	default:
		r := engine.ParseTableRef(spec.Source.Table)
		p.shards = []shard{{Schema: r.Schema, Table: r.Name}}
	}
	if err != nil {
		return nil, err
	}
	if err := p.planColumns(ctx); err != nil {
		return nil, err
	}
	if err := x.openTarget(ctx, job, p); err != nil {
		return nil, err
	}
	return p, nil
}

// planColumns describes every shard, maps the columns and builds the reads.
func (p *plan) planColumns(ctx context.Context) error {
	spec := p.spec
	var first []srcColumn
	sharded := len(spec.Source.Tables) > 0
	chunk := spec.ChunkRows
	if chunk <= 0 {
		chunk = DefaultChunkRows
	}
	lim := newLimiter(spec.RowsPerSecond, spec.BytesPerSecond)
	for i, sh := range p.shards {
		cols, err := p.src.describe(ctx, sh)
		if err != nil {
			return err
		}
		if i == 0 {
			first = cols
		} else if !sameColumns(first, cols) {
			return fmt.Errorf("source shard %s has columns different from %s", sh, p.shards[0])
		}
		rp := &readPlan{src: p.src, shard: sh, where: p.where, chunk: chunk, limit: lim}
		var pk []srcColumn
		for _, c := range cols {
			if slices.Contains(spec.Drop, c.Name) {
				continue
			}
			if c.PKPos > 0 {
				pk = append(pk, c)
			}
			rp.exprs = append(rp.exprs, p.src.selectExpr(c))
			rp.names = append(rp.names, c.Name)
			rp.convs = append(rp.convs, converterFor(c.T))
			rp.types = append(rp.types, c.T)
		}
		slices.SortFunc(pk, func(a, b srcColumn) int { return a.PKPos - b.PKPos })
		for _, k := range pk {
			rp.pk = append(rp.pk, slices.Index(rp.names, k.Name))
		}
		for _, a := range spec.Add {
			if a.Expr == "" {
				continue
			}
			t, err := mapDuckDB(orDefault(a.Type, "VARCHAR"))
			if err != nil {
				return fmt.Errorf("add column %s: %w", a.Name, err)
			}
			rp.exprs = append(rp.exprs, a.Expr)
			rp.names = append(rp.names, a.Name)
			rp.convs = append(rp.convs, converterFor(t))
			rp.types = append(rp.types, t)
		}
		if sharded {
			rp.consts = append(rp.consts, sh.Schema, sh.Table)
		}
		for _, a := range spec.Add {
			if a.Expr == "" {
				t, err := mapDuckDB(orDefault(a.Type, "VARCHAR"))
				if err != nil {
					return fmt.Errorf("add column %s: %w", a.Name, err)
				}
				v, err := converterFor(t)(a.Value)
				if err != nil {
					return fmt.Errorf("add column %s: value %q: %v", a.Name, a.Value, err)
				}
				rp.consts = append(rp.consts, v)
			}
		}
		p.reads = append(p.reads, rp)
		if i == 0 {
			p.cols, p.keys = targetColumns(spec, cols, pk, sharded)
		}
	}
	for _, d := range spec.Drop {
		if !slices.ContainsFunc(first, func(c srcColumn) bool { return c.Name == d }) {
			return fmt.Errorf("drop: source %s has no column %s", p.shards[0], d)
		}
	}
	if spec.Mode == meta.SyncIncremental {
		if spec.Cursor == "" {
			return fmt.Errorf("an incremental sync needs a cursor column")
		}
		i := slices.IndexFunc(first, func(c srcColumn) bool { return strings.EqualFold(c.Name, spec.Cursor) })
		if i < 0 {
			return fmt.Errorf("cursor column %s is not in source table %s", spec.Cursor, p.shards[0])
		}
		p.cursor = p.src.quote(first[i].Name)
		if len(p.keys) == 0 {
			return fmt.Errorf("an incremental sync merges on the primary key, and source table %s has none", p.shards[0])
		}
	}
	return nil
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func sameColumns(a, b []srcColumn) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].T.Duck != b[i].T.Duck {
			return false
		}
	}
	return true
}

// targetColumns lists the target columns in the order rows are appended:
// source columns (renamed), expression columns, shard columns, constants.
func targetColumns(spec *meta.SyncSpec, cols, pk []srcColumn, sharded bool) ([]tgtColumn, []string) {
	name := func(n string) string {
		if r, ok := spec.Rename[n]; ok {
			return r
		}
		return n
	}
	var out []tgtColumn
	for _, c := range cols {
		if slices.Contains(spec.Drop, c.Name) {
			continue
		}
		out = append(out, tgtColumn{Name: name(c.Name), Type: c.T.Duck, Comment: c.Comment, Nullable: true})
	}
	for _, a := range spec.Add {
		if a.Expr != "" {
			out = append(out, tgtColumn{Name: a.Name, Type: orDefault(a.Type, "VARCHAR"), Nullable: true})
		}
	}
	var keys []string
	if sharded {
		out = append(out, tgtColumn{Name: ShardDBColumn, Type: "VARCHAR", Comment: "source database of the row", Nullable: true},
			tgtColumn{Name: ShardTableColumn, Type: "VARCHAR", Comment: "source table of the row", Nullable: true})
		if len(pk) > 0 {
			keys = append(keys, ShardDBColumn, ShardTableColumn)
		}
	}
	for _, a := range spec.Add {
		if a.Expr == "" {
			out = append(out, tgtColumn{Name: a.Name, Type: orDefault(a.Type, "VARCHAR"), Nullable: true})
		}
	}
	for _, k := range pk {
		keys = append(keys, name(k.Name))
	}
	return out, keys
}

// openTarget opens the target and plans the changes to an existing table.
func (x *Executor) openTarget(ctx context.Context, job *runner.Job, p *plan) error {
	if p.spec.Target.Files != "" {
		return x.openFileTarget(ctx, job, p)
	}
	if p.spec.Target.Queue != "" {
		return x.openQueueTarget(ctx, job, p)
	}
	name := p.spec.Target.Engine
	if name == "" {
		name = job.Spec.Engine
	}
	if name == "" {
		name = job.Project.DefaultEngine
	}
	e, err := job.Engines.Engine(ctx, job.Project.ID, name)
	if err != nil {
		return fmt.Errorf("target: %w", err)
	}
	db, ok := dbOf(e)
	if !ok {
		return fmt.Errorf("target %s: engine cannot be written by a sync", name)
	}
	if p.spec.Target.Table == "" {
		return fmt.Errorf("target: table is required")
	}
	ref := engine.ParseTableRef(p.spec.Target.Table)
	p.schema, p.table = ref.Schema, ref.Name
	switch e.Dialect() {
	case "duckdb":
	case "mysql", "postgres":
		if p.spec.Mode == meta.SyncCDC {
			return fmt.Errorf("target %s: a cdc sync writes into the DuckDB warehouse, not a %s engine", name, e.Dialect())
		}
		if err := p.checkPartition(); err != nil {
			return err
		}
		if err := db.PingContext(ctx); err != nil {
			return fmt.Errorf("target %s: cannot connect: %w", name, err)
		}
		p.out, err = openSink(name, e.Dialect(), db, p.schema, p.table, p)
		return err
	default:
		return fmt.Errorf("target %s: sync into %s engines is not supported (targets: DuckDB, MySQL/MariaDB, Postgres)", name, e.Dialect())
	}
	if p.tgt, err = openWarehouse(ctx, db); err != nil {
		return err
	}
	if p.existing, err = p.tgt.describe(ctx, p.schema, p.table); err != nil {
		return err
	}
	if p.existing != nil {
		if p.changes, err = planDDL(p.schema, p.table, p.cols, p.existing, p.spec.DroppedColumns); err != nil {
			return err
		}
	}
	return p.checkPartition()
}

func (p *plan) checkPartition() error {
	if p.spec.Mode == meta.SyncPartition {
		if p.spec.PartitionColumn == "" {
			return fmt.Errorf("a partition sync needs a partition_column")
		}
		if !slices.ContainsFunc(p.cols, func(c tgtColumn) bool { return strings.EqualFold(c.Name, p.spec.PartitionColumn) }) {
			return fmt.Errorf("partition_column %s is not a column of the target", p.spec.PartitionColumn)
		}
	}
	return nil
}

func (p *plan) close() {
	if p.tgt != nil {
		p.tgt.Close()
	}
	if p.file != nil {
		p.file.close()
	}
	if p.queue != nil && p.queue.pub != nil {
		p.queue.pub.Close()
	}
	if p.src != nil && p.src.close != nil {
		p.src.close()
	}
}

// targetDDL returns the statements that create or adapt the target.
func (p *plan) targetDDL() []string {
	if p.existing == nil {
		if p.schema != "" {
			return append([]string{"CREATE SCHEMA IF NOT EXISTS " + qi(p.schema)}, createSQL(p.schema, p.table, p.cols, false)...)
		}
		return createSQL(p.schema, p.table, p.cols, false)
	}
	var out []string
	for _, c := range p.changes {
		if c.SQL != "" {
			out = append(out, c.SQL)
		}
	}
	return out
}

// colList is the quoted target column list.
func (p *plan) colList() string {
	names := make([]string, len(p.cols))
	for i, c := range p.cols {
		names[i] = qi(c.Name)
	}
	return strings.Join(names, ", ")
}
