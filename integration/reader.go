package integration

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// readPlan is how one source table is read: the columns, their
// conversions and the primary key the chunks follow.
type readPlan struct {
	src    *source
	shard  shard
	exprs  []string       // select list
	names  []string       // source column names, for dirty-record reasons
	convs  []converter    // one per select item
	types  []colType      // target type per select item
	fast   []fastKind     // shortcut per select item (fastread.go); built on first use
	consts []driver.Value // values appended after the read columns (shard columns, constants)
	pk     []int          // indexes into exprs of the key columns, in key order
	where  string         // filter, already rendered
	chunk  int
	limit  *limiter
	cpuAt  time.Duration // reader thread CPU at the last batch sent
}

// stamp records in b the reader's CPU since the previous batch.
func (p *readPlan) stamp(b *batch) {
	now := threadCPU()
	b.cpu, p.cpuAt = now-p.cpuAt, now
}

// batch is one chunk of converted rows, and the key of its last row.
type batch struct {
	shard int
	rows  [][]driver.Value
	dirty []dirtyRow
	last  []any // primary key of the last row read; nil without a key
	read  int64
	bytes int64
	done  bool // the shard has no more rows
	// partial says more rows of the same chunk follow: rows up to last are
	// read, and a writer may commit here or wait for the chunk's end.
	partial bool
	cpu     time.Duration // reader thread CPU spent on this batch (Linux)
}

// dirtyRow is a row that could not be converted.
type dirtyRow struct {
	reason string
	record string
}

// limiter caps the read rate in rows and bytes per second.
type limiter struct {
	rows, bytes *rate.Limiter
}

func newLimiter(rowsPerSec int, bytesPerSec int64) *limiter {
	l := &limiter{}
	if rowsPerSec > 0 {
		l.rows = rate.NewLimiter(rate.Limit(rowsPerSec), max(rowsPerSec, 1))
	}
	if bytesPerSec > 0 {
		l.bytes = rate.NewLimiter(rate.Limit(bytesPerSec), int(max(bytesPerSec, 1<<16)))
	}
	return l
}

// wait blocks until n rows of b bytes may pass.
func (l *limiter) wait(ctx context.Context, n int, b int64) error {
	if l == nil {
		return nil
	}
	if l.rows != nil {
		for n > 0 {
			step := min(n, l.rows.Burst())
			if err := l.rows.WaitN(ctx, step); err != nil {
				return err
			}
			n -= step
		}
	}
	if l.bytes != nil {
		for b > 0 {
			step := min(b, int64(l.bytes.Burst()))
			if err := l.bytes.WaitN(ctx, int(step)); err != nil {
				return err
			}
			b -= step
		}
	}
	return nil
}

// query builds the SELECT of one chunk after key values after.
func (p *readPlan) query(after []any) (string, []any) {
	var b strings.Builder
	b.WriteString("SELECT ")
	b.WriteString(strings.Join(p.exprs, ", "))
	b.WriteString(" FROM ")
	b.WriteString(p.src.quoteTable(p.shard))
	var conds []string
	if p.where != "" {
		conds = append(conds, "("+p.where+")")
	}
	var args []any
	keys := make([]string, len(p.pk))
	for i, k := range p.pk {
		keys[i] = p.exprs[k]
	}
	if len(p.pk) > 0 && after != nil {
		ph := make([]string, len(after))
		for i := range after {
			ph[i] = p.src.placeholder(i + 1)
		}
		if len(keys) == 1 {
			conds = append(conds, keys[0]+" > "+ph[0])
		} else {
			conds = append(conds, "("+strings.Join(keys, ", ")+") > ("+strings.Join(ph, ", ")+")")
		}
		args = after
	}
	if len(conds) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(conds, " AND "))
	}
	if len(p.pk) > 0 {
		b.WriteString(" ORDER BY ")
		b.WriteString(strings.Join(keys, ", "))
		fmt.Fprintf(&b, " LIMIT %d", p.chunk)
	}
	return b.String(), args
}

// prepareConn sets the session so values come back in the forms the
// converters expect: MySQL timestamps in UTC, Postgres intervals as ISO 8601.
func (p *readPlan) prepareConn(ctx context.Context, conn *sql.Conn) error {
	var stmts []string
	switch p.src.dialect {
	case "mysql":
		stmts = []string{"SET time_zone = '+00:00'"}
	case "postgres":
		stmts = []string{"SET IntervalStyle = 'iso_8601'", "SET TimeZone = 'UTC'"}
	}
	for _, s := range stmts {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("source %s: %s: %w", p.src.name, s, err)
		}
	}
	return nil
}

// run reads the shard from after on, sending one batch per chunk (or per
// chunk rows when the table has no key), until done or ctx ends.
func (p *readPlan) run(ctx context.Context, shardIdx int, after []any, out chan<- batch) error {
	// Pinned to a thread so its CPU time can be measured (Metrics.ReadCPU).
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	p.cpuAt = threadCPU()
	conn, err := p.src.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("source %s: connect: %w", p.src.name, err)
	}
	defer conn.Close()
	if err := p.prepareConn(ctx, conn); err != nil {
		return err
	}
	for {
		q, args := p.query(after)
		b, err := p.readChunk(ctx, conn, q, args, shardIdx, out)
		if err != nil {
			return err
		}
		if b.last != nil {
			after = b.last
		}
		p.stamp(&b)
		if b.done || len(p.pk) == 0 {
			b.done = true
			select {
			case out <- b:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		}
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// subBatchRows is how many rows of a chunk travel together from the reader
// to the writer: the writer starts on a chunk while it is still being
// read, and Go holds a few thousand rows instead of whole chunks. Tests
// lower it to cut chunks into several batches.
var subBatchRows = 8192

// readChunk runs one chunk query and returns its last batch; earlier
// sub-batches of the chunk go out as they fill (partial: the chunk goes
// on). Without a key it streams the whole table, sending batches of chunk
// rows as it goes.
func (p *readPlan) readChunk(ctx context.Context, conn *sql.Conn, q string, args []any, shardIdx int, out chan<- batch) (batch, error) {
	b := batch{shard: shardIdx}
	slab := rowSlab{width: len(p.exprs) + len(p.consts)}
	ar := &arena{}
	var n int64       // rows this chunk query returned so far
	var lastKey []any // key of the last row sent in a partial batch
	send := func() error {
		if err := p.limit.wait(ctx, int(b.read), b.bytes); err != nil {
			return err
		}
		p.stamp(&b)
		select {
		case out <- b:
		case <-ctx.Done():
			return ctx.Err()
		}
		b = batch{shard: shardIdx}
		return nil
	}
	each := func(raw []driver.Value) error {
		row := slab.next()
		size, bad := p.convertInto(raw, row, ar)
		n++
		b.read++
		b.bytes += size
		if bad != nil {
			b.dirty = append(b.dirty, *bad)
		} else {
			b.rows = append(b.rows, row)
		}
		if len(p.pk) > 0 {
			b.last = keyOf(raw, p.pk, b.last)
			if len(b.rows)+len(b.dirty) >= subBatchRows && n < int64(p.chunk) {
				b.partial, lastKey = true, b.last
				return send()
			}
		} else if len(b.rows)+len(b.dirty) >= p.chunk {
			return send()
		}
		return nil
	}
	handled, err := rawQuery(ctx, conn, q, args, each)
	if !handled {
		err = p.scanChunk(ctx, conn, q, args, each)
	}
	if err != nil {
		if ctx.Err() != nil {
			return batch{}, ctx.Err()
		}
		return batch{}, fmt.Errorf("source %s: read %s: %w", p.src.name, p.shard, err)
	}
	if len(p.pk) > 0 && n < int64(p.chunk) {
		b.done = true
	}
	if b.last == nil {
		b.last = lastKey
	}
	if err := p.limit.wait(ctx, int(b.read), b.bytes); err != nil {
		return batch{}, err
	}
	return b, nil
}

// scanChunk reads a chunk through database/sql, for drivers rawQuery cannot
// use.
func (p *readPlan) scanChunk(ctx context.Context, conn *sql.Conn, q string, args []any, each func([]driver.Value) error) error {
	rows, err := conn.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	n := len(p.exprs)
	raw := make([]driver.Value, n)
	ptrs := make([]any, n)
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		if err := each(raw); err != nil {
			return err
		}
	}
	return rows.Err()
}

// keyOf copies the key values of a row into dst (reused), as values that
// survive the next Scan and a JSON round trip.
func keyOf(raw []driver.Value, pk []int, dst []any) []any {
	if dst == nil {
		dst = make([]any, len(pk))
	}
	for i, k := range pk {
		switch v := raw[k].(type) {
		case []byte:
			dst[i] = string(v)
		case time.Time:
			dst[i] = v.UTC().Format("2006-01-02 15:04:05.999999")
		default:
			dst[i] = v
		}
	}
	return dst
}

// convert turns one scanned row into target values; a failed conversion
// returns the row as a dirty record instead.
func (p *readPlan) convert(raw []driver.Value) ([]driver.Value, int64, *dirtyRow) {
	row := make([]driver.Value, len(raw)+len(p.consts))
	size, bad := p.convertInto(raw, row, nil)
	if bad != nil {
		return nil, size, bad
	}
	return row, size, nil
}

// convertInto converts raw into row (len(raw)+len(consts) long), copying
// strings into ar (nil: one allocation each). raw may live in the driver's
// buffer: nothing in row refers to it.
func (p *readPlan) convertInto(raw []driver.Value, row []driver.Value, ar *arena) (int64, *dirtyRow) {
	if p.fast == nil {
		fast := make([]fastKind, len(p.types))
		for i, t := range p.types {
			fast[i] = fastKindOf(t)
		}
		p.fast = fast
	}
	var size int64
	for i, v := range raw {
		switch x := v.(type) {
		case nil:
			size++
			row[i] = nil
			continue
		case []byte:
			size += int64(len(x))
		case string:
			size += int64(len(x))
		default:
			size += 8
		}
		if i < len(p.fast) {
			if c, ok := fastValue(p.fast[i], &p.types[i], v, ar); ok {
				row[i] = c
				continue
			}
		}
		c, err := p.convs[i](v)
		if err != nil {
			return size, &dirtyRow{reason: fmt.Sprintf("column %s: %v", p.names[i], err), record: recordText(p.names, raw)}
		}
		row[i] = c
	}
	copy(row[len(raw):], p.consts)
	return size, nil
}

// recordText renders a raw row for the dirty-record table.
func recordText(names []string, raw []driver.Value) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range raw {
		if i > 0 {
			b.WriteString(", ")
		}
		if bs, ok := v.([]byte); ok {
			v = string(bs)
		}
		fmt.Fprintf(&b, "%q: %q", names[i], fmt.Sprint(v))
	}
	b.WriteByte('}')
	return b.String()
}
