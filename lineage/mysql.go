package lineage

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/ast"
	_ "github.com/pingcap/tidb/pkg/parser/test_driver" // value expressions for the parser
)

var mysqlErrPos = regexp.MustCompile(`line (\d+) column (\d+)`)

// parseMySQL parses text with TiDB's MySQL-compatible parser.
func parseMySQL(text string) ([]*Stmt, error) {
	p := parser.New()
	nodes, _, err := p.ParseSQL(text)
	if err != nil {
		pe := &ParseError{Line: 1, Column: 1, Msg: err.Error()}
		if m := mysqlErrPos.FindStringSubmatch(err.Error()); m != nil {
			pe.Line, _ = strconv.Atoi(m[1])
			pe.Column, _ = strconv.Atoi(m[2])
			if i := strings.Index(pe.Msg, "near"); i >= 0 {
				pe.Msg = "syntax error " + pe.Msg[i:]
			}
		}
		return nil, pe
	}
	var out []*Stmt
	for _, n := range nodes {
		c := myConv{text: n.Text()}
		if s := c.stmt(n); s != nil {
			out = append(out, s)
		}
	}
	return out, nil
}

type myConv struct{ text string }

func myTable(t *ast.TableName) *TableName {
	tn := &TableName{}
	if t.Schema.L != "" {
		tn.Parts = append(tn.Parts, t.Schema.L)
	}
	tn.Parts = append(tn.Parts, t.Name.L)
	return tn
}

func (c *myConv) stmt(n ast.StmtNode) *Stmt {
	switch v := n.(type) {
	case *ast.SelectStmt, *ast.SetOprStmt:
		return &Stmt{Kind: KindSelect, Query: c.query(v.(ast.ResultSetNode))}
	case *ast.InsertStmt:
		s := &Stmt{Kind: KindInsert}
		if ts, ok := v.Table.TableRefs.Left.(*ast.TableSource); ok {
			if tn, ok := ts.Source.(*ast.TableName); ok {
				s.Target = myTable(tn)
			}
		}
		if s.Target == nil {
			return nil
		}
		for _, col := range v.Columns {
			s.TargetCols = append(s.TargetCols, col.Name.L)
		}
		if v.Select != nil {
			s.Query = c.query(v.Select)
		} else {
			q := &Query{}
			for _, row := range v.Lists {
				var r []*Expr
				for _, e := range row {
					r = append(r, c.expr(e))
				}
				q.Values = append(q.Values, r)
			}
			s.Query = q
		}
		return s
	case *ast.CreateTableStmt:
		if v.Select == nil {
			return nil
		}
		s := &Stmt{Kind: KindCreateAs, Target: myTable(v.Table), Query: c.query(v.Select)}
		return s
	case *ast.CreateViewStmt:
		s := &Stmt{Kind: KindCreateAs, Target: myTable(v.ViewName)}
		for _, col := range v.Cols {
			s.TargetCols = append(s.TargetCols, col.L)
		}
		if rs, ok := v.Select.(ast.ResultSetNode); ok {
			s.Query = c.query(rs)
		}
		return s
	case *ast.UpdateStmt:
		return c.update(v)
	case *ast.DropTableStmt:
		s := &Stmt{Kind: KindOther}
		for _, t := range v.Tables {
			s.Drops = append(s.Drops, *myTable(t))
		}
		return s
	}
	return nil
}

// update handles the multi-table UPDATE of MySQL: the first table of the
// reference list is the target, the rest are sources.
func (c *myConv) update(v *ast.UpdateStmt) *Stmt {
	s := &Stmt{Kind: KindUpdate}
	froms := c.join(v.TableRefs.TableRefs)
	first := firstTable(froms)
	if first == nil {
		return nil
	}
	s.Target, s.TargetAlias = first.Table, first.Alias
	// The target stays in the scope through its alias; drop it from the
	// sources by putting the remaining inputs in From.
	s.From = []*From{withoutTarget(froms, first)}
	for _, a := range v.List {
		s.Sets = append(s.Sets, SetItem{Col: a.Column.Name.L, Expr: c.expr(a.Expr)})
	}
	if v.With != nil {
		s.CTEs = c.with(v.With)
	}
	return s
}

func firstTable(f *From) *From {
	if f == nil {
		return nil
	}
	if f.Table != nil {
		return f
	}
	return firstTable(f.Left)
}

func withoutTarget(f, target *From) *From {
	if f == target {
		return &From{}
	}
	if f.Left != nil || f.Right != nil {
		cp := *f
		cp.Left = withoutTarget(f.Left, target)
		return &cp
	}
	return f
}

func (c *myConv) with(w *ast.WithClause) []*CTE {
	var out []*CTE
	for _, cte := range w.CTEs {
		x := &CTE{Name: cte.Name.L, Q: c.query(cte.Query.Query)}
		for _, col := range cte.ColNameList {
			x.Cols = append(x.Cols, col.L)
		}
		out = append(out, x)
	}
	return out
}

func (c *myConv) query(n ast.ResultSetNode) *Query {
	switch v := n.(type) {
	case *ast.SelectStmt:
		return c.selectQuery(v)
	case *ast.SetOprStmt:
		q := c.setList(v.SelectList.Selects)
		if v.With != nil {
			q.CTEs = append(c.with(v.With), q.CTEs...)
		}
		return q
	case *ast.SubqueryExpr:
		return c.query(v.Query)
	}
	return &Query{}
}

// setList folds a set-operation list left to right (position merge).
func (c *myConv) setList(nodes []ast.Node) *Query {
	var q *Query
	for _, n := range nodes {
		var next *Query
		switch s := n.(type) {
		case *ast.SelectStmt:
			next = c.selectQuery(s)
		case *ast.SetOprSelectList:
			next = c.setList(s.Selects)
		}
		if q == nil {
			q = next
			continue
		}
		q = &Query{Op: "union", Left: q, Right: next}
	}
	if q == nil {
		return &Query{}
	}
	return q
}

func (c *myConv) selectQuery(s *ast.SelectStmt) *Query {
	q := &Query{}
	if s.With != nil {
		q.CTEs = c.with(s.With)
	}
	if s.Kind == ast.SelectStmtKindValues || s.Kind == ast.SelectStmtKindTable {
		if s.Kind == ast.SelectStmtKindTable && s.From != nil {
			q.From = append(q.From, c.join(s.From.TableRefs))
			q.Items = append(q.Items, &Item{Star: true})
		}
		return q
	}
	if s.From != nil {
		q.From = append(q.From, c.join(s.From.TableRefs))
	}
	if s.Fields != nil {
		for _, f := range s.Fields.Fields {
			if f.WildCard != nil {
				it := &Item{Star: true}
				if f.WildCard.Schema.L != "" {
					it.Qual = append(it.Qual, f.WildCard.Schema.L)
				}
				if f.WildCard.Table.L != "" {
					it.Qual = append(it.Qual, f.WildCard.Table.L)
				}
				q.Items = append(q.Items, it)
				continue
			}
			q.Items = append(q.Items, &Item{Alias: f.AsName.L, Text: exprText(c.text, f.Offset), Expr: c.expr(f.Expr)})
		}
	}
	if s.Where != nil {
		q.Other = append(q.Other, c.expr(s.Where))
	}
	if s.Having != nil {
		q.Other = append(q.Other, c.expr(s.Having.Expr))
	}
	return q
}

func (c *myConv) join(n ast.ResultSetNode) *From {
	switch v := n.(type) {
	case *ast.Join:
		if v.Right == nil {
			return c.join(v.Left)
		}
		f := &From{Left: c.join(v.Left), Right: c.join(v.Right)}
		for _, u := range v.Using {
			f.Using = append(f.Using, u.Name.L)
		}
		if v.On != nil {
			f.On = c.expr(v.On.Expr)
		}
		return f
	case *ast.TableSource:
		switch src := v.Source.(type) {
		case *ast.TableName:
			return &From{Table: myTable(src), Alias: v.AsName.L}
		case *ast.Join:
			return c.join(src)
		default:
			return &From{Sub: c.query(src), Alias: v.AsName.L, Lateral: v.Lateral}
		}
	case *ast.TableName:
		return &From{Table: myTable(v)}
	case nil:
		return &From{}
	}
	return &From{Sub: c.query(n)}
}

// refCollector gathers column references and subqueries of an expression.
type refCollector struct {
	c *myConv
	e *Expr
}

func (r *refCollector) Enter(n ast.Node) (ast.Node, bool) {
	switch v := n.(type) {
	case *ast.ColumnNameExpr:
		ref := ColRef{Name: v.Name.Name.L}
		if v.Name.Schema.L != "" {
			ref.Qual = append(ref.Qual, v.Name.Schema.L)
		}
		if v.Name.Table.L != "" {
			ref.Qual = append(ref.Qual, v.Name.Table.L)
		}
		r.e.Refs = append(r.e.Refs, ref)
		return n, true
	case *ast.SubqueryExpr:
		r.e.Subs = append(r.e.Subs, r.c.query(v.Query))
		return n, true
	case *ast.AggregateFuncExpr:
		if strings.EqualFold(v.F, "count") && len(v.Args) == 1 {
			if _, isCol := v.Args[0].(*ast.ColumnNameExpr); !isCol && strings.Contains(strings.ToLower(v.Text()), "*") {
				r.e.CountStar = true
			}
		}
	}
	return n, false
}

func (r *refCollector) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func (c *myConv) expr(n ast.ExprNode) *Expr {
	e := &Expr{}
	if n != nil {
		n.Accept(&refCollector{c: c, e: e})
	}
	return e
}
