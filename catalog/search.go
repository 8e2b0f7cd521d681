package catalog

import (
	"slices"
	"strings"

	"github.com/kilnhq/kiln/meta"
)

// DefaultSearchLimit is how many hits a search returns when it names no limit.
const DefaultSearchLimit = 50

// The fields a search matches, in ranking order: a table's name ranks before
// a column's, which ranks before a tag, which ranks before a comment.
const (
	FieldTable   = "table"
	FieldColumn  = "column"
	FieldTag     = "tag"
	FieldComment = "comment"
)

var fieldRank = map[string]int{FieldTable: 0, FieldColumn: 1, FieldTag: 2, FieldComment: 3}

// The ways a text matches, in ranking order.
const (
	MatchExact     = "exact"
	MatchPrefix    = "prefix"
	MatchSubstring = "substring"
)

var matchNames = []string{MatchExact, MatchPrefix, MatchSubstring}

// Query is a catalog search: Text matched case-insensitively against table
// names (bare and schema-qualified), column names, tags and comments; the
// other fields filter exactly (case-insensitive); empty means any.
type Query struct {
	Text   string `json:"q"`
	Engine string `json:"engine,omitempty"`
	Layer  string `json:"layer,omitempty"`
	Owner  string `json:"owner,omitempty"`
	Tag    string `json:"tag,omitempty"`
	Limit  int    `json:"limit,omitempty"`
}

// Hit is one match.
type Hit struct {
	Table  string `json:"table"` // schema.name
	Engine string `json:"engine"`
	Layer  string `json:"layer,omitempty"`
	Owner  string `json:"owner,omitempty"`
	Field  string `json:"field"`            // table, column, tag or comment
	Match  string `json:"match"`            // exact, prefix or substring
	Column string `json:"column,omitempty"` // the column matched, for column and column-comment hits
	Text   string `json:"text"`             // what matched
}

// entry is one searchable text.
type entry struct {
	text   string // lower case
	orig   string
	field  string
	table  int32
	column string
}

// Index is an in-memory search index over a catalog, rebuilt after each
// crawl; a search is one pass over its entries (no allocation per entry),
// bucketed by rank so no sort is needed.
type Index struct {
	tables  []*meta.CatalogTable
	entries []entry
}

// NewIndex indexes tables.
func NewIndex(tables []*meta.CatalogTable) *Index {
	ix := &Index{tables: tables}
	for i, t := range tables {
		ti := int32(i)
		add := func(text, field, col string) {
			if text != "" {
				ix.entries = append(ix.entries, entry{text: strings.ToLower(text), orig: text, field: field, table: ti, column: col})
			}
		}
		add(t.Name, FieldTable, "")
		if t.Schema != "" {
			add(t.FullName(), FieldTable, "")
		}
		add(t.Comment, FieldComment, "")
		for _, tag := range t.Tags {
			add(tag, FieldTag, "")
		}
		for _, c := range t.Columns {
			add(c.Name, FieldColumn, c.Name)
			add(c.Comment, FieldComment, c.Name)
		}
	}
	return ix
}

// Len is the number of indexed texts.
func (ix *Index) Len() int { return len(ix.entries) }

// Search returns the hits of q, best first: exact matches, then prefix,
// then substring; within each, table names, columns, tags, comments; then
// catalog order. A table matched by both its bare and qualified name counts once.
func (ix *Index) Search(q Query) []Hit {
	text := strings.ToLower(strings.TrimSpace(q.Text))
	limit := q.Limit
	if limit <= 0 {
		limit = DefaultSearchLimit
	}
	ok := ix.filter(q)
	var buckets [3][4][]int32
	for i := range ix.entries {
		e := &ix.entries[i]
		if !ok[e.table] {
			continue
		}
		m := 0
		switch {
		case text == "" || e.text == text:
		case strings.HasPrefix(e.text, text):
			m = 1
		case strings.Contains(e.text, text):
			m = 2
		default:
			continue
		}
		b := &buckets[m][fieldRank[e.field]]
		if len(*b) < 2*limit { // room for a table named twice (bare and qualified)
			*b = append(*b, int32(i))
		}
	}
	var hits []Hit
	seen := map[[2]int32]bool{} // (table, field 0) for table-name hits
	for m := range buckets {
		for f := range buckets[m] {
			for _, i := range buckets[m][f] {
				e := &ix.entries[i]
				if e.field == FieldTable {
					if seen[[2]int32{e.table, 0}] {
						continue
					}
					seen[[2]int32{e.table, 0}] = true
				}
				t := ix.tables[e.table]
				hits = append(hits, Hit{Table: t.FullName(), Engine: t.Engine, Layer: t.Layer, Owner: t.Owner,
					Field: e.field, Match: matchNames[m], Column: e.column, Text: e.orig})
				if len(hits) == limit {
					return hits
				}
			}
		}
	}
	return hits
}

// filter says which tables pass q's filters.
func (ix *Index) filter(q Query) []bool {
	ok := make([]bool, len(ix.tables))
	for i, t := range ix.tables {
		ok[i] = (q.Engine == "" || strings.EqualFold(q.Engine, t.Engine)) &&
			(q.Layer == "" || strings.EqualFold(q.Layer, t.Layer)) &&
			(q.Owner == "" || strings.EqualFold(q.Owner, t.Owner)) &&
			(q.Tag == "" || slices.ContainsFunc(t.Tags, func(s string) bool { return strings.EqualFold(s, q.Tag) }))
	}
	return ok
}
