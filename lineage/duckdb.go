package lineage

import (
	"cmp"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	_ "github.com/duckdb/duckdb-go/v2" // DuckDB's own parser, through json_serialize_sql
	pg "github.com/pganalyze/pg_query_go/v6"
)

// DuckDB's parser is reached through an in-memory database: the SQL
// function json_serialize_sql returns the parse tree of a SELECT as JSON.
// Nothing is ever stored in it; it is opened on first use and kept.
var duckParser struct {
	once sync.Once
	db   *sql.DB
	err  error
}

func duckDB() (*sql.DB, error) {
	duckParser.once.Do(func() {
		duckParser.db, duckParser.err = sql.Open("duckdb", "")
		if duckParser.err == nil {
			duckParser.db.SetMaxOpenConns(2)
		}
	})
	return duckParser.db, duckParser.err
}

// parseDuckDB parses DuckDB SQL with DuckDB's own parser. It splits the
// script into statements, splits an INSERT or CREATE TABLE/VIEW ... AS head
// off each (json_serialize_sql takes only a SELECT) and converts DuckDB's
// tree. A statement DuckDB cannot serialize (UPDATE, MERGE, DROP, ALTER,
// WITH ... INSERT) is read by libpg_query instead, DuckDB's grammar being
// derived from Postgres's; if neither parses it, DuckDB's error is returned.
func parseDuckDB(text string) ([]*Stmt, error) {
	db, err := duckDB()
	if err != nil {
		return parsePostgres(text)
	}
	parts, err := pg.SplitWithScanner(text, true)
	if err != nil {
		return parsePostgres(text)
	}
	var out []*Stmt
	pos := 0
	for _, part := range parts {
		start := pos
		if i := strings.Index(text[pos:], part); i >= 0 {
			start = pos + i
			pos = start + len(part)
		}
		s, err := duckStmt(db, part)
		if err != nil {
			var pe *ParseError
			if errors.As(err, &pe) {
				return nil, shiftErr(pe, text, start)
			}
			return nil, err
		}
		out = append(out, s...)
	}
	return out, nil
}

// shiftErr moves a parse error in a statement to where the statement
// starts in the whole text.
func shiftErr(pe *ParseError, text string, start int) *ParseError {
	line, col := lineCol(text, start)
	if pe.Line == 1 {
		return &ParseError{Line: line, Column: col + pe.Column - 1, Msg: pe.Msg}
	}
	return &ParseError{Line: line + pe.Line - 1, Column: pe.Column, Msg: pe.Msg}
}

var (
	ddIdent  = `(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)`
	ddName   = ddIdent + `(?:\s*\.\s*` + ddIdent + `){0,2}`
	ddInsert = regexp.MustCompile(`(?is)^INSERT\s+(?:OR\s+(?:REPLACE|IGNORE)\s+)?INTO\s+(` + ddName + `)\s*(?:AS\s+` + ddIdent + `\s*)?(\([^()]*\))?\s*(?:BY\s+(?:NAME|POSITION)\s+)?`)
	ddCreate = regexp.MustCompile(`(?is)^CREATE\s+(?:OR\s+REPLACE\s+)?(?:TEMP(?:ORARY)?\s+)?(TABLE|VIEW)\s+(?:IF\s+NOT\s+EXISTS\s+)?(` + ddName + `)\s*(\([^()]*\))?\s*AS\s+`)
	ddQuery  = regexp.MustCompile(`(?is)^(?:SELECT|WITH|FROM|VALUES|\()`)
	ddIdents = regexp.MustCompile(ddIdent)
)

// duckStmt parses one statement.
func duckStmt(db *sql.DB, stmt string) ([]*Stmt, error) {
	body := skipComments(stmt)
	head := &Stmt{Kind: KindSelect}
	if m := ddInsert.FindStringSubmatch(body); m != nil {
		head = &Stmt{Kind: KindInsert, Target: ddTable(m[1]), TargetCols: ddCols(m[2])}
		body = body[len(m[0]):]
	} else if m := ddCreate.FindStringSubmatch(body); m != nil {
		head = &Stmt{Kind: KindCreateAs, Target: ddTable(m[2]), TargetCols: ddCols(m[3])}
		body = body[len(m[0]):]
	}
	if !ddQuery.MatchString(body) {
		return parsePostgres(stmt)
	}
	q, err := duckQuery(db, body)
	if err != nil {
		// libpg_query may still read it (e.g. a construct DuckDB serializes
		// differently); DuckDB's own error is the one to show otherwise.
		if out, perr := parsePostgres(stmt); perr == nil {
			return out, nil
		}
		var pe *ParseError
		if errors.As(err, &pe) && head.Target != nil {
			pe.Column += len(stmt) - len(body) // the head split off before it
		}
		return nil, err
	}
	head.Query = q
	return []*Stmt{head}, nil
}

// skipComments drops leading whitespace and comments.
func skipComments(s string) string {
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		switch {
		case strings.HasPrefix(s, "--"):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return ""
			}
			s = s[i+1:]
		case strings.HasPrefix(s, "/*"):
			i := strings.Index(s, "*/")
			if i < 0 {
				return s
			}
			s = s[i+2:]
		default:
			return s
		}
	}
}

// ddTable reads a dotted name, lower-casing unquoted parts.
func ddTable(name string) *TableName {
	t := &TableName{}
	for _, p := range ddIdents.FindAllString(name, -1) {
		t.Parts = append(t.Parts, unquoteIdent(p))
	}
	return t
}

func unquoteIdent(p string) string {
	if strings.HasPrefix(p, `"`) {
		return strings.ReplaceAll(p[1:len(p)-1], `""`, `"`)
	}
	return strings.ToLower(p)
}

// ddCols reads a parenthesized column list.
func ddCols(list string) []string {
	list = strings.Trim(list, "()")
	if strings.TrimSpace(list) == "" {
		return nil
	}
	var out []string
	for _, c := range strings.Split(list, ",") {
		c = strings.TrimSpace(c)
		if f := ddIdents.FindString(c); f != "" {
			out = append(out, unquoteIdent(f))
		}
	}
	return out
}

// duckQuery serializes a SELECT with DuckDB and converts its tree.
func duckQuery(db *sql.DB, body string) (*Query, error) {
	var js string
	if err := db.QueryRow("SELECT json_serialize_sql(?::VARCHAR)::VARCHAR", body).Scan(&js); err != nil {
		return nil, fmt.Errorf("duckdb parser: %w", err)
	}
	var tree struct {
		Error      bool             `json:"error"`
		Message    string           `json:"error_message"`
		Position   string           `json:"position"`
		Statements []map[string]any `json:"statements"`
	}
	if err := json.Unmarshal([]byte(js), &tree); err != nil {
		return nil, fmt.Errorf("duckdb parser: %w", err)
	}
	if tree.Error {
		off, _ := strconv.Atoi(tree.Position)
		line, col := lineCol(body, min(off, len(body)))
		return nil, &ParseError{Line: line, Column: col, Msg: tree.Message}
	}
	if len(tree.Statements) != 1 {
		return nil, &ParseError{Line: 1, Column: 1, Msg: fmt.Sprintf("want one statement, found %d", len(tree.Statements))}
	}
	c := ddConv{text: body}
	q := c.query(obj(tree.Statements[0]["node"]))
	if q == nil {
		return nil, &ParseError{Line: 1, Column: 1, Msg: "not a query DuckDB's tree can be read from"}
	}
	return q, nil
}

// ddConv converts DuckDB's JSON parse tree to the neutral form.
type ddConv struct{ text string }

func obj(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func strs(v any) []string {
	var out []string
	for _, x := range arr(v) {
		if s, ok := x.(string); ok {
			out = append(out, strings.ToLower(s))
		}
	}
	return out
}

// ident normalises a name from DuckDB's tree, which keeps the case as
// written but not the quotes: a name quoted in the source keeps its case,
// others are lower-cased.
func (c *ddConv) ident(name string) string {
	if name != strings.ToLower(name) && strings.Contains(c.text, `"`+name+`"`) {
		return name
	}
	return strings.ToLower(name)
}

func (c *ddConv) idents(v any) []string {
	var out []string
	for _, x := range arr(v) {
		if s, ok := x.(string); ok {
			out = append(out, c.ident(s))
		}
	}
	return out
}

func arr(v any) []any {
	a, _ := v.([]any)
	return a
}

func (c *ddConv) query(n map[string]any) *Query {
	if n == nil {
		return nil
	}
	var q *Query
	switch str(n["type"]) {
	case "SELECT_NODE":
		q = c.selectNode(n)
	case "SET_OPERATION_NODE":
		op := strings.ToLower(str(n["setop_type"]))
		op, _, _ = strings.Cut(op, "_") // union_by_name is a union
		kids := []*Query{c.query(obj(n["left"])), c.query(obj(n["right"]))}
		if len(arr(n["children"])) > 0 {
			kids = kids[:0]
			for _, k := range arr(n["children"]) {
				kids = append(kids, c.query(obj(k)))
			}
		}
		kids = slices.DeleteFunc(kids, func(q *Query) bool { return q == nil })
		if len(kids) == 0 {
			return nil
		}
		q = kids[0]
		for _, k := range kids[1:] {
			q = &Query{Op: op, Left: q, Right: k}
		}
		if q.Op == "" {
			q = &Query{Op: op, Left: q, Right: &Query{}}
		}
	case "RECURSIVE_CTE_NODE":
		q = &Query{Op: "union", Left: c.query(obj(n["left"])), Right: c.query(obj(n["right"]))}
	default:
		return nil
	}
	q.CTEs = append(c.ctes(obj(n["cte_map"])), q.CTEs...)
	return q
}

func (c *ddConv) ctes(m map[string]any) []*CTE {
	var out []*CTE
	for _, e := range arr(m["map"]) {
		kv := obj(e)
		val := obj(kv["value"])
		out = append(out, &CTE{Name: c.ident(str(kv["key"])), Cols: strs(val["aliases"]),
			Q: c.query(obj(obj(val["query"])["node"]))})
	}
	return out
}

func (c *ddConv) selectNode(n map[string]any) *Query {
	q := &Query{}
	for _, it := range arr(n["select_list"]) {
		e := obj(it)
		alias := c.ident(str(e["alias"]))
		if str(e["class"]) == "STAR" && e["expr"] == nil {
			rel := str(e["relation_name"])
			item := &Item{Star: true, Alias: alias, Exclude: strs(e["exclude_list"])}
			if rel != "" {
				item.Qual = ddTable(rel).Parts
			}
			q.Items = append(q.Items, item)
			continue
		}
		q.Items = append(q.Items, &Item{Alias: alias, Text: exprText(c.text, c.start(e)), Expr: c.expr(e)})
	}
	if f := c.from(obj(n["from_table"])); f != nil {
		q.From = append(q.From, f)
	}
	for _, k := range []string{"where_clause", "having", "qualify", "group_expressions"} {
		if n[k] != nil {
			q.Other = append(q.Other, c.expr(n[k]))
		}
	}
	return q
}

// start is where an expression's text begins: DuckDB places an operator
// expression at its operator, so the least location in its tree is taken,
// with any opening parentheses right before it.
func (c *ddConv) start(e map[string]any) int {
	least := -1
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case []any:
			for _, it := range x {
				walk(it)
			}
		case map[string]any:
			if l := loc(x); l >= 0 && (least < 0 || l < least) {
				least = l
			}
			for k, it := range x {
				if k != "subquery" {
					walk(it)
				}
			}
		}
	}
	walk(e)
	if least < 0 {
		return least
	}
	for i := least - 1; i >= 0; i-- {
		switch c.text[i] {
		case ' ', '\t', '\n', '\r':
			continue
		case '(':
			least = i
			continue
		}
		break
	}
	return least
}

func loc(e map[string]any) int {
	f, ok := e["query_location"].(float64)
	if !ok || f < 0 || f > 1<<40 {
		return -1
	}
	return int(f)
}

func (c *ddConv) from(t map[string]any) *From {
	if t == nil {
		return nil
	}
	alias := c.ident(str(t["alias"]))
	colAliases := strs(t["column_name_alias"])
	switch str(t["type"]) {
	case "BASE_TABLE":
		tn := &TableName{}
		for _, k := range []string{"catalog_name", "schema_name", "table_name"} {
			if p := str(t[k]); p != "" {
				tn.Parts = append(tn.Parts, c.ident(p))
			}
		}
		return &From{Table: tn, Alias: alias, ColAliases: colAliases}
	case "JOIN":
		f := &From{Left: c.from(obj(t["left"])), Right: c.from(obj(t["right"])), Using: strs(t["using_columns"])}
		if t["condition"] != nil {
			f.On = c.expr(t["condition"])
		}
		// DuckDB makes a subquery lateral whenever it refers to the left side.
		if f.Right != nil && f.Right.Sub != nil {
			f.Right.Lateral = true
		}
		return f
	case "SUBQUERY":
		return &From{Sub: c.query(obj(obj(t["subquery"])["node"])), Alias: alias, ColAliases: colAliases}
	case "TABLE_FUNCTION":
		return &From{Func: c.expr(t["function"]), Alias: alias, ColAliases: colAliases}
	case "EXPRESSION_LIST":
		q := &Query{}
		for _, row := range arr(t["values"]) {
			var exprs []*Expr
			for _, v := range arr(row) {
				exprs = append(exprs, c.expr(v))
			}
			q.Values = append(q.Values, exprs)
		}
		return &From{Sub: q, Alias: alias, ColAliases: colAliases}
	}
	return nil
}

// expr collects the column references (in source order), subqueries and
// count(*) of an expression by walking its whole tree, so CASE conditions
// and window PARTITION BY / ORDER BY count as sources.
func (c *ddConv) expr(v any) *Expr {
	e := &Expr{}
	var locs []int
	c.walk(v, e, &locs)
	idx := make([]int, len(e.Refs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(locs[a], locs[b]) })
	refs := make([]ColRef, len(e.Refs))
	for i, j := range idx {
		refs[i] = e.Refs[j]
	}
	e.Refs = refs
	return e
}

func (c *ddConv) walk(v any, e *Expr, locs *[]int) {
	switch x := v.(type) {
	case []any:
		for _, it := range x {
			c.walk(it, e, locs)
		}
	case map[string]any:
		switch str(x["class"]) {
		case "COLUMN_REF":
			names := c.idents(x["column_names"])
			if len(names) > 0 {
				e.Refs = append(e.Refs, ColRef{Qual: names[:len(names)-1], Name: names[len(names)-1]})
				*locs = append(*locs, loc(x))
			}
			return
		case "SUBQUERY":
			if q := c.query(obj(obj(x["subquery"])["node"])); q != nil {
				e.Subs = append(e.Subs, q)
			}
			c.walk(x["child"], e, locs)
			return
		case "LAMBDA":
			return // its parameters are not columns
		case "FUNCTION":
			if str(x["function_name"]) == "count_star" {
				e.CountStar = true
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if k != "query_location" && k != "value" && k != "cast_type" {
				c.walk(x[k], e, locs)
			}
		}
	}
}
