package integration

import (
	"context"
	"database/sql/driver"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"
)

// deletedColumn marks, in the CDC staging table, keys whose last change in
// the batch was a delete.
const deletedColumn = "_kiln_deleted"

// shardMap maps the binlog row of one source table onto the target row.
type shardMap struct {
	idx    []int       // binlog column index of each read column
	cols   []srcColumn // the source columns read, for normalizing
	labels [][]string  // ENUM/SET labels per read column
	rp     *readPlan
	keyIdx []int // binlog column indexes of the primary key
}

// applier batches binlog row changes by key and applies them to the
// target with the position they reach, in one warehouse transaction.
type applier struct {
	j         *cdcJob
	p         *plan
	st        *syncState
	defaultDB string
	stage     string
	app       *appender
	byTable   map[string]int
	maps      []shardMap
	batchRows int

	txn     []change          // changes of the open source transaction
	batch   map[string]change // last change per key, of committed transactions
	order   []string
	dirty   []dirtyRow
	pos     cdcState // position the batch reaches
	moved   bool     // pos moved past the saved one
	pending int64    // row events in txn and batch
}

type change struct {
	key     string
	row     []driver.Value
	deleted bool
}

func newApplier(ctx context.Context, j *cdcJob, p *plan, st *syncState, defaultDB string) (*applier, error) {
	a := &applier{j: j, p: p, st: st, defaultDB: defaultDB, stage: p.table + "__kiln_cdc", pos: *st.CDC,
		batch: map[string]change{}, batchRows: p.spec.BatchRows}
	if a.batchRows <= 0 {
		a.batchRows = DefaultCDCBatchRows
	}
	if err := a.prepare(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// prepare (re)builds the column maps, the staging table and its appender
// from the current plan.
func (a *applier) prepare(ctx context.Context) error {
	p := a.p
	if a.app != nil {
		a.app.close()
		a.app = nil
	}
	a.byTable = map[string]int{}
	a.maps = nil
	for i, rp := range p.reads {
		full, err := p.src.describe(ctx, rp.shard)
		if err != nil {
			return err
		}
		m := shardMap{rp: rp}
		for _, name := range rp.names {
			k := -1
			for ci, c := range full {
				if c.Name == name {
					k = ci
					break
				}
			}
			if k < 0 {
				return fmt.Errorf("source %s: column %s disappeared", rp.shard, name)
			}
			m.idx = append(m.idx, k)
			m.cols = append(m.cols, full[k])
			m.labels = append(m.labels, enumLabels(full[k].RawType))
		}
		for _, pk := range rp.pk {
			m.keyIdx = append(m.keyIdx, m.idx[pk])
		}
		a.maps = append(a.maps, m)
		db := rp.shard.Schema
		if db == "" {
			db = a.defaultDB
		}
		a.byTable[strings.ToLower(db+"."+rp.shard.Table)] = i
	}
	cols := append(append([]tgtColumn{}, p.cols...), tgtColumn{Name: deletedColumn, Type: "BOOLEAN"})
	if err := p.tgt.exec(ctx, createSQL(p.schema, a.stage, cols, true)...); err != nil {
		return err
	}
	app, err := p.tgt.appender(p.schema, a.stage)
	if err != nil {
		return err
	}
	a.app = app
	return nil
}

func (a *applier) close() {
	if a.app != nil {
		a.app.close()
	}
	_ = a.p.tgt.exec(context.Background(), "DROP TABLE IF EXISTS "+qt(a.p.schema, a.stage))
}

// rows turns one rows event of a followed table into changes of the open
// transaction.
func (a *applier) rows(t replication.EventType, e *replication.RowsEvent) error {
	si, ok := a.byTable[strings.ToLower(string(e.Table.Schema)+"."+string(e.Table.Table))]
	if !ok {
		return nil
	}
	m := &a.maps[si]
	switch t {
	case replication.WRITE_ROWS_EVENTv0, replication.WRITE_ROWS_EVENTv1, replication.WRITE_ROWS_EVENTv2:
		for _, r := range e.Rows {
			a.add(m, r, false)
		}
	case replication.DELETE_ROWS_EVENTv0, replication.DELETE_ROWS_EVENTv1, replication.DELETE_ROWS_EVENTv2:
		for _, r := range e.Rows {
			a.add(m, r, true)
		}
	case replication.UPDATE_ROWS_EVENTv0, replication.UPDATE_ROWS_EVENTv1, replication.UPDATE_ROWS_EVENTv2:
		for i := 0; i+1 < len(e.Rows); i += 2 {
			before, after := e.Rows[i], e.Rows[i+1]
			if m.key(before) != m.key(after) {
				a.add(m, before, true) // the key changed: the old row goes
			}
			a.add(m, after, false)
		}
	}
	return nil
}

// key identifies a row by its primary key values as the binlog has them.
func (m *shardMap) key(r []any) string {
	var b strings.Builder
	b.WriteString(m.rp.shard.String())
	for _, k := range m.keyIdx {
		b.WriteByte(0)
		if k < len(r) {
			fmt.Fprint(&b, r[k])
		}
	}
	return b.String()
}

// add converts one binlog row; a row that does not convert is dirty.
func (a *applier) add(m *shardMap, r []any, deleted bool) {
	a.pending++
	raw := make([]driver.Value, len(m.idx))
	for i, k := range m.idx {
		if k < len(r) {
			raw[i] = normalize(r[k], m.cols[i], m.labels[i])
		}
	}
	row, _, bad := m.rp.convert(raw)
	if bad != nil {
		if !deleted {
			a.dirty = append(a.dirty, *bad)
			return
		}
		// A delete needs only its key: keep the row with what converted.
		row = make([]driver.Value, len(raw)+len(m.rp.consts))
		for _, pk := range m.rp.pk {
			row[pk], _ = m.rp.convs[pk](raw[pk])
		}
		copy(row[len(raw):], m.rp.consts)
	}
	a.txn = append(a.txn, change{key: m.key(r), row: append(row, deleted), deleted: deleted})
}

// commit ends a source transaction at a position: its changes join the
// batch, last change per key winning.
func (a *applier) commit(file string, pos uint32, gset mysql.GTIDSet) {
	for _, c := range a.txn {
		if _, ok := a.batch[c.key]; !ok {
			a.order = append(a.order, c.key)
		}
		a.batch[c.key] = c
	}
	a.txn = a.txn[:0]
	a.pos.File, a.pos.Pos = file, pos
	if gset != nil {
		a.pos.GTID = gset.String()
	}
	a.moved = true
	a.j.set(func(s *CDCStatus) { s.EventsBehind = a.pending })
}

func (a *applier) full() bool { return len(a.batch) >= a.batchRows }

// flush applies the batch and saves the position it reaches, in one
// warehouse transaction: a kill before the commit applies none of it and
// the binlog is read again from the previous position.
func (a *applier) flush(ctx context.Context) error {
	if !a.moved {
		return nil
	}
	p := a.p
	n := int64(len(a.batch))
	rows := make([][]driver.Value, 0, n)
	for _, k := range a.order {
		rows = append(rows, a.batch[k].row)
	}
	t, s := qt(p.schema, p.table), qt(p.schema, a.stage)
	keys := make([]string, len(p.keys))
	for i, k := range p.keys {
		keys[i] = qi(k)
	}
	kl := strings.Join(keys, ", ")
	del := "DELETE FROM " + t + " WHERE (" + kl + ") IN (SELECT (" + kl + ") FROM " + s + ")"
	if len(keys) == 1 {
		del = "DELETE FROM " + t + " WHERE " + kl + " IN (SELECT " + kl + " FROM " + s + ")"
	}
	start := time.Now()
	err := p.tgt.tx(ctx, func() error {
		if n > 0 {
			if err := a.app.append(rows); err != nil {
				return fmt.Errorf("target: append: %w", err)
			}
			if err := a.app.flush(); err != nil {
				return fmt.Errorf("target: append: %w", err)
			}
			if err := p.tgt.exec(ctx, del,
				"INSERT INTO "+t+" ("+p.colList()+") SELECT "+p.colList()+" FROM "+s+" WHERE NOT "+qi(deletedColumn),
				"DELETE FROM "+s); err != nil {
				return err
			}
		}
		if err := p.tgt.writeDirty(ctx, p.key, 0, p.reads[0].shard.String(), a.dirty); err != nil {
			return err
		}
		next := *a.st
		cdc := a.pos
		cdc.Running, cdc.Streaming, cdc.Rows = true, true, a.st.CDC.Rows+n
		next.CDC = &cdc
		if err := p.tgt.saveState(ctx, p.key, &next); err != nil {
			return err
		}
		*a.st = next
		return nil
	})
	if err != nil {
		return fmt.Errorf("cdc apply at %s:%d: %w", a.pos.File, a.pos.Pos, err)
	}
	dirty := int64(len(a.dirty))
	clear(a.batch)
	a.order, a.dirty, a.moved = a.order[:0], a.dirty[:0], false
	a.pending = int64(len(a.txn))
	a.j.set(func(st *CDCStatus) {
		st.File, st.Pos, st.GTID = a.pos.File, a.pos.Pos, a.pos.GTID
		st.RowsApplied += n
		st.EventsBehind = a.pending
		if n > 0 {
			st.Batches++
		}
	})
	if dirty > 0 {
		a.j.c.log.Warn("cdc dirty rows", "task", a.j.spec.Name, "count", dirty, "see", metaSchema+".dirty_records")
	}
	if n > 0 {
		a.j.c.log.Debug("cdc batch", "task", a.j.spec.Name, "rows", n, "ms", time.Since(start).Milliseconds())
	}
	return nil
}

var ddlRe = regexp.MustCompile(`(?i)^\s*(ALTER|CREATE|DROP|RENAME|TRUNCATE)\b`)

// touches says whether a statement is DDL on a followed table.
func (a *applier) touches(schema, q string) bool {
	if !ddlRe.MatchString(q) {
		return false
	}
	lq := strings.ToLower(q)
	for _, rp := range a.p.reads {
		if strings.Contains(lq, strings.ToLower(rp.shard.Table)) {
			return true
		}
	}
	return false
}

// ddl follows a schema change of the source: the batch before it is
// applied, the target adapted (as a batch sync would) and the position
// after the statement saved, in one transaction.
func (a *applier) ddl(ctx context.Context, q string) error {
	if err := a.flush(ctx); err != nil {
		return err
	}
	p := a.p
	p.reads = nil
	if err := p.planColumns(ctx); err != nil {
		return fmt.Errorf("after source DDL %q: %w", firstLine(q), err)
	}
	existing, err := p.tgt.describe(ctx, p.schema, p.table)
	if err != nil {
		return err
	}
	if p.changes, err = planDDL(p.schema, p.table, p.cols, existing, p.spec.DroppedColumns); err != nil {
		return fmt.Errorf("after source DDL %q: %w", firstLine(q), err)
	}
	p.existing = existing
	truncate := strings.HasPrefix(strings.ToUpper(strings.TrimSpace(q)), "TRUNCATE")
	r := &run{p: p}
	err = p.tgt.tx(ctx, func() error {
		if err := p.tgt.exec(ctx, p.targetDDL()...); err != nil {
			return err
		}
		if truncate {
			if err := p.tgt.exec(ctx, "DELETE FROM "+qt(p.schema, p.table)); err != nil {
				return err
			}
		}
		if err := r.recordChanges(ctx); err != nil {
			return err
		}
		next := *a.st
		cdc := a.pos
		cdc.Running, cdc.Streaming, cdc.Rows = true, true, a.st.CDC.Rows
		next.CDC = &cdc
		if err := p.tgt.saveState(ctx, p.key, &next); err != nil {
			return err
		}
		*a.st = next
		return nil
	})
	if err != nil {
		return err
	}
	a.moved = false
	for _, c := range p.changes {
		a.j.c.log.Info("cdc schema change", "task", a.j.spec.Name, "column", c.Column, "change", c.Change, "old", c.OldType, "new", c.NewType)
	}
	return a.prepare(ctx)
}

// enumLabels are the labels of an ENUM or SET column type, nil otherwise.
func enumLabels(raw string) []string {
	l := strings.ToLower(raw)
	if !strings.HasPrefix(l, "enum(") && !strings.HasPrefix(l, "set(") {
		return nil
	}
	body := raw[strings.IndexByte(raw, '(')+1 : strings.LastIndexByte(raw, ')')]
	var out []string
	var cur strings.Builder
	in := false
	for i := 0; i < len(body); i++ {
		ch := body[i]
		switch {
		case ch == '\'' && in && i+1 < len(body) && body[i+1] == '\'':
			cur.WriteByte('\'')
			i++
		case ch == '\'':
			if in {
				out = append(out, cur.String())
				cur.Reset()
			}
			in = !in
		case ch == '\\' && in && i+1 < len(body):
			i++
			cur.WriteByte(body[i])
		case in:
			cur.WriteByte(ch)
		}
	}
	return out
}

// normalize turns a value as go-mysql decodes it from the binlog into the
// form the MySQL driver gives the batch reader, so the same converters
// apply: unsigned integers widened, ENUM/SET indexes as their labels.
func normalize(v any, c srcColumn, labels []string) any {
	lt := strings.ToLower(c.RawType)
	switch x := v.(type) {
	case nil:
		return nil
	case int8:
		return unsigned(int64(x), 8, lt)
	case int16:
		return unsigned(int64(x), 16, lt)
	case int32:
		if strings.HasPrefix(lt, "mediumint") {
			return unsigned(int64(x), 24, lt)
		}
		return unsigned(int64(x), 32, lt)
	case int64:
		switch {
		case strings.HasPrefix(lt, "enum("):
			if x >= 1 && int(x) <= len(labels) {
				return labels[x-1]
			}
			return ""
		case strings.HasPrefix(lt, "set("):
			var parts []string
			for i, l := range labels {
				if x&(1<<i) != 0 {
					parts = append(parts, l)
				}
			}
			return strings.Join(parts, ",")
		case strings.HasPrefix(lt, "bit"):
			return x
		}
		if x < 0 && strings.Contains(lt, "unsigned") {
			return uint64(x)
		}
		return x
	case int:
		return int64(x)
	case float32:
		return float64(x)
	}
	return v
}

func unsigned(x int64, bits uint, lt string) any {
	if x < 0 && strings.Contains(lt, "unsigned") {
		return x + 1<<bits
	}
	return x
}
