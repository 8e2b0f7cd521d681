package catalog

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/meta"
)

// QueryActions are the audit actions whose SQL (in Detail) counts as
// someone querying a table.
var QueryActions = []string{"sql.run", "query.submit", "query.download"}

// auditScan caps the audit entries read per action.
const auditScan = 10000

// Use is one person reading a table, from the audit log.
type Use struct {
	User   string    `json:"user"`
	Action string    `json:"action"`
	At     time.Time `json:"at"`
}

// Candidate is a table proposed for cleanup.
type Candidate struct {
	Table     string     `json:"table"`
	Engine    string     `json:"engine"`
	Rows      int64      `json:"rows"`
	SizeBytes int64      `json:"size_bytes"`
	LastWrite *time.Time `json:"last_write,omitempty"`
	LastQuery *time.Time `json:"last_query,omitempty"`
}

// tablesRead are the tables one statement of audited SQL reads. SQL the
// parsers reject still counts by whole-word mention of a table name, so a
// query in a dialect Kiln cannot parse does not make its table look unused.
func tablesRead(sql string, tables []*meta.CatalogTable) []*meta.CatalogTable {
	var names []string
	for _, d := range []string{"postgres", "mysql"} {
		if res, err := lineage.Analyze(d, sql, lineage.Options{}); err == nil {
			names = append(append(names, res.Sources...), res.Targets...)
			break
		}
	}
	var out []*meta.CatalogTable
	low := strings.ToLower(sql)
	for _, t := range tables {
		hit := false
		for _, n := range names {
			if sameTable(n, t.Schema, t.Name) {
				hit = true
			}
		}
		if names == nil && wordRe(t.Name).MatchString(low) {
			hit = true
		}
		if hit {
			out = append(out, t)
		}
	}
	return out
}

func wordRe(name string) *regexp.Regexp {
	return regexp.MustCompile(`(^|[^a-z0-9_])` + regexp.QuoteMeta(strings.ToLower(name)) + `($|[^a-z0-9_])`)
}

// Uses lists who read a table since a time, newest first, from the audit log.
func (c *Crawler) Uses(ctx context.Context, p *meta.Project, t *meta.CatalogTable, since time.Time) ([]Use, error) {
	all, err := c.uses(ctx, p, []*meta.CatalogTable{t}, since)
	return all[t], err
}

func (c *Crawler) uses(ctx context.Context, p *meta.Project, tables []*meta.CatalogTable, since time.Time) (map[*meta.CatalogTable][]Use, error) {
	out := map[*meta.CatalogTable][]Use{}
	for _, action := range QueryActions {
		es, err := c.store.ListAudit(ctx, &meta.ListAuditParams{ProjectID: p.ID, Action: action, Limit: auditScan})
		if err != nil {
			return nil, err
		}
		for _, e := range es {
			if e.At.Before(since) {
				continue
			}
			for _, t := range tablesRead(e.Detail, tables) {
				out[t] = append(out[t], Use{User: e.UserName, Action: e.Action, At: e.At})
			}
		}
	}
	return out, nil
}

// Lifecycle lists the tables of a project that no task writes (by lineage),
// no instance wrote and nobody queried in the last days days.
func (c *Crawler) Lifecycle(ctx context.Context, p *meta.Project, days int, now time.Time) ([]Candidate, error) {
	if days < 1 {
		return nil, fmt.Errorf("days must be at least 1, got %d", days)
	}
	since := now.AddDate(0, 0, -days)
	tables, err := c.cs.ListCatalogTables(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	var idle []*meta.CatalogTable
	lastWrite := map[*meta.CatalogTable]*time.Time{}
	for _, t := range tables {
		if len(t.Producers) > 0 {
			continue
		}
		if c.lin != nil {
			ws, err := c.lin.Store().ListTableWrites(ctx, p.ID, strings.ToLower(t.FullName()), 1)
			if err != nil {
				return nil, err
			}
			if len(ws) > 0 {
				if ws[0].At.After(since) {
					continue
				}
				lastWrite[t] = &ws[0].At
			}
		}
		idle = append(idle, t)
	}
	uses, err := c.uses(ctx, p, idle, time.Time{})
	if err != nil {
		return nil, err
	}
	out := []Candidate{}
	for _, t := range idle {
		cand := Candidate{Table: t.FullName(), Engine: t.Engine, Rows: t.Rows, SizeBytes: t.SizeBytes, LastWrite: lastWrite[t]}
		for _, u := range uses[t] {
			if cand.LastQuery == nil || u.At.After(*cand.LastQuery) {
				cand.LastQuery = &u.At
			}
		}
		if cand.LastQuery != nil && cand.LastQuery.After(since) {
			continue
		}
		out = append(out, cand)
	}
	return out, nil
}

// PartitionDrop is one partition past its table's TTL.
type PartitionDrop struct {
	Table   string `json:"table"`
	Engine  string `json:"engine"`
	Column  string `json:"column"`
	Value   string `json:"value"`
	Rows    int64  `json:"rows"`
	SQL     string `json:"sql"`
	Dropped bool   `json:"dropped"`
}

// ExpiredPartitions drops (or, with dryRun, only lists) the partitions of
// every table older than its TTL (a tag "ttl:Nd" on the task writing it).
// A partition value that is not a date (YYYY-MM-DD or YYYYMMDD) is kept.
func (c *Crawler) ExpiredPartitions(ctx context.Context, p *meta.Project, dryRun bool, now time.Time) ([]PartitionDrop, error) {
	tables, err := c.cs.ListCatalogTables(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	out := []PartitionDrop{}
	for _, t := range tables {
		ttl := TTLOf(t.Tags)
		if ttl == 0 || len(t.Partitions) == 0 {
			continue
		}
		cutoff := now.Add(-ttl)
		e, err := c.engines.Engine(ctx, p.ID, t.Engine)
		if err != nil {
			return out, err
		}
		d := e.Dialect()
		tbl := quote(d, t.Name)
		if t.Schema != "" {
			tbl = quote(d, t.Schema) + "." + tbl
		}
		for _, part := range t.Partitions {
			day, ok := parseDay(part.Value)
			if !ok || !day.Before(cutoff) {
				continue
			}
			pd := PartitionDrop{Table: t.FullName(), Engine: t.Engine, Column: part.Column, Value: part.Value, Rows: part.Rows,
				SQL: fmt.Sprintf("DELETE FROM %s WHERE %s = '%s'", tbl, quote(d, part.Column), strings.ReplaceAll(part.Value, "'", "''"))}
			if !dryRun {
				if _, err := e.Exec(ctx, pd.SQL); err != nil {
					return out, fmt.Errorf("drop partition %s=%s of %s: %w", part.Column, part.Value, t.FullName(), err)
				}
				pd.Dropped = true
			}
			out = append(out, pd)
		}
	}
	if !dryRun && len(out) > 0 {
		// The catalog must not list the dropped partitions until the next crawl.
		return out, c.CrawlProject(ctx, p)
	}
	return out, nil
}

func parseDay(v string) (time.Time, bool) {
	for _, layout := range []string{time.DateOnly, "20060102"} {
		if d, err := time.Parse(layout, v); err == nil {
			return d, true
		}
	}
	return time.Time{}, false
}
