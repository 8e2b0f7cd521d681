// Package lineage computes table- and column-level lineage of SQL text.
//
// Real parsers (pg_query for Postgres/ANSI, DuckDB's own for DuckDB, TiDB's for MySQL)
// turn each statement into a small dialect-neutral tree (this file); one
// resolver (resolve.go) binds names against a catalog and projects every
// output column to the source columns it is computed from. The parsers never
// bind names themselves, so every dialect gets the same resolution rules.
package lineage

// Stmt is one parsed statement in the neutral form.
type Stmt struct {
	Kind         StmtKind
	Target       *TableName // INSERT / CTAS / VIEW / UPDATE / MERGE target
	TargetCols   []string   // explicit column list of the target, if any
	Query        *Query     // the query whose rows are written (or selected)
	Sets         []SetItem  // UPDATE / MERGE ... UPDATE SET
	From         []*From    // UPDATE ... FROM, MERGE ... USING
	TargetAlias  string
	MergeInserts []MergeInsert
	CTEs         []*CTE      // a WITH in front of UPDATE/INSERT
	Reads        []TableName // other tables a statement reads (e.g. COPY FROM table)
	Drops        []TableName // tables dropped or truncated
	Renames      [][2]TableName
}

// StmtKind says what a statement does with its target.
type StmtKind int

// Statement kinds.
const (
	KindOther StmtKind = iota
	KindSelect
	KindInsert
	KindCreateAs // CREATE TABLE AS, CREATE VIEW
	KindUpdate
	KindMerge
	KindCreate // CREATE TABLE with a column list: a target without sources
)

// SetItem is `col = expr` of an UPDATE or MERGE.
type SetItem struct {
	Col  string
	Expr *Expr
}

// MergeInsert is `WHEN NOT MATCHED THEN INSERT (cols) VALUES (exprs)`.
type MergeInsert struct {
	Cols []string
	Vals []*Expr
}

// TableName is a possibly qualified table name, already case-normalised
// (unquoted parts lower-cased by the frontend).
type TableName struct{ Parts []string }

// Query is a SELECT, a set operation or VALUES.
type Query struct {
	CTEs  []*CTE
	Op    string // "" for a plain SELECT; "union", "intersect", "except" otherwise
	Left  *Query
	Right *Query
	Items []*Item
	From  []*From
	// Other holds expressions that read tables but project nothing (WHERE,
	// HAVING, GROUP BY, ORDER BY): only their subqueries matter.
	Other []*Expr
	// Values rows of a VALUES list (each row one list of expressions).
	Values [][]*Expr
}

// CTE is one WITH entry.
type CTE struct {
	Name string
	Cols []string
	Q    *Query
}

// Item is one select-list entry.
type Item struct {
	Alias string // explicit alias
	Text  string // source text, the name of an unaliased expression
	Expr  *Expr
	Star  bool
	Qual  []string // t.* qualifier
	// Exclude are the columns a star leaves out (DuckDB's * EXCLUDE (...)).
	Exclude []string
}

// Expr is what the resolver needs of an expression: the columns it reads
// (including CASE conditions and window PARTITION BY/ORDER BY), the scalar
// subqueries it contains, and whether it counts rows (count(*)).
type Expr struct {
	Refs      []ColRef
	Subs      []*Query
	CountStar bool
}

// ColRef is a column reference with an optional qualifier.
type ColRef struct {
	Qual []string
	Name string
}

// From is one FROM entry: a table, a derived table, a join or a function.
type From struct {
	Table      *TableName
	Sub        *Query
	Alias      string
	ColAliases []string
	Lateral    bool
	// Join
	Left, Right *From
	Using       []string
	On          *Expr
	// Func is a table function: its arguments are read but it has no
	// known columns.
	Func *Expr
}

func (e *Expr) add(o *Expr) {
	if o == nil {
		return
	}
	e.Refs = append(e.Refs, o.Refs...)
	e.Subs = append(e.Subs, o.Subs...)
	e.CountStar = e.CountStar || o.CountStar
}
