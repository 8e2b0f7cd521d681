package lineage

import (
	"errors"
	"slices"
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	pgparser "github.com/pganalyze/pg_query_go/v6/parser"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// parsePostgres parses text with the Postgres 17 parser (libpg_query) and
// converts every statement to the neutral form.
func parsePostgres(text string) ([]*Stmt, error) {
	tree, err := pg.Parse(text)
	if err != nil {
		var pe *pgparser.Error
		if errors.As(err, &pe) {
			line, col := lineCol(text, runeOffset(text, pe.Cursorpos-1))
			return nil, &ParseError{Line: line, Column: col, Msg: pe.Message}
		}
		return nil, &ParseError{Line: 1, Column: 1, Msg: err.Error()}
	}
	c := pgConv{text: text}
	var out []*Stmt
	for _, raw := range tree.Stmts {
		if s := c.stmt(raw.Stmt); s != nil {
			out = append(out, s)
		}
	}
	return out, nil
}

// runeOffset turns a character position into a byte offset.
func runeOffset(s string, chars int) int {
	n := 0
	for i := range s {
		if n == chars {
			return i
		}
		n++
	}
	return len(s)
}

type pgConv struct{ text string }

func (c *pgConv) stmt(n *pg.Node) *Stmt {
	switch {
	case n.GetSelectStmt() != nil:
		sel := n.GetSelectStmt()
		if into := selectInto(sel); into != nil && into.GetRel() != nil {
			return &Stmt{Kind: KindCreateAs, Target: rangeVarName(into.GetRel()), TargetCols: strList(into.GetColNames()), Query: c.query(n)}
		}
		return &Stmt{Kind: KindSelect, Query: c.query(n)}
	case n.GetInsertStmt() != nil:
		ins := n.GetInsertStmt()
		s := &Stmt{Kind: KindInsert, Target: rangeVarName(ins.GetRelation())}
		for _, col := range ins.GetCols() {
			s.TargetCols = append(s.TargetCols, col.GetResTarget().GetName())
		}
		if ins.GetSelectStmt() != nil {
			s.Query = c.query(ins.GetSelectStmt())
		}
		s.CTEs = c.with(ins.GetWithClause())
		return s
	case n.GetCreateTableAsStmt() != nil:
		ct := n.GetCreateTableAsStmt()
		into := ct.GetInto()
		return &Stmt{Kind: KindCreateAs, Target: rangeVarName(into.GetRel()), TargetCols: strList(into.GetColNames()), Query: c.query(ct.GetQuery())}
	case n.GetViewStmt() != nil:
		v := n.GetViewStmt()
		return &Stmt{Kind: KindCreateAs, Target: rangeVarName(v.GetView()), TargetCols: strList(v.GetAliases()), Query: c.query(v.GetQuery())}
	case n.GetUpdateStmt() != nil:
		u := n.GetUpdateStmt()
		s := &Stmt{Kind: KindUpdate, Target: rangeVarName(u.GetRelation()), TargetAlias: u.GetRelation().GetAlias().GetAliasname(), CTEs: c.with(u.GetWithClause())}
		for _, f := range u.GetFromClause() {
			s.From = append(s.From, c.from(f))
		}
		for _, t := range u.GetTargetList() {
			rt := t.GetResTarget()
			s.Sets = append(s.Sets, SetItem{Col: setCol(rt), Expr: c.expr(rt.GetVal())})
		}
		return s
	case n.GetMergeStmt() != nil:
		return c.merge(n.GetMergeStmt())
	case n.GetCreateStmt() != nil:
		cs := n.GetCreateStmt()
		s := &Stmt{Kind: KindCreate, Target: rangeVarName(cs.GetRelation())}
		for _, e := range cs.GetTableElts() {
			if cd := e.GetColumnDef(); cd != nil {
				s.TargetCols = append(s.TargetCols, cd.GetColname())
			}
		}
		return s
	case n.GetRenameStmt() != nil:
		rs := n.GetRenameStmt()
		if rs.GetRenameType() != pg.ObjectType_OBJECT_TABLE || rs.GetRelation() == nil {
			return nil
		}
		from := rangeVarName(rs.GetRelation())
		to := TableName{Parts: append(slices.Clone(from.Parts[:len(from.Parts)-1]), rs.GetNewname())}
		return &Stmt{Kind: KindOther, Renames: [][2]TableName{{*from, to}}}
	case n.GetDropStmt() != nil:
		d := n.GetDropStmt()
		s := &Stmt{Kind: KindOther}
		if d.GetRemoveType() == pg.ObjectType_OBJECT_TABLE || d.GetRemoveType() == pg.ObjectType_OBJECT_VIEW {
			for _, o := range d.GetObjects() {
				s.Drops = append(s.Drops, TableName{Parts: strList(o.GetList().GetItems())})
			}
		}
		return s
	}
	return nil
}

func (c *pgConv) merge(m *pg.MergeStmt) *Stmt {
	s := &Stmt{Kind: KindMerge, Target: rangeVarName(m.GetRelation()), TargetAlias: m.GetRelation().GetAlias().GetAliasname(), CTEs: c.with(m.GetWithClause())}
	s.From = append(s.From, c.from(m.GetSourceRelation()))
	for _, w := range m.GetMergeWhenClauses() {
		mw := w.GetMergeWhenClause()
		switch mw.GetCommandType() {
		case pg.CmdType_CMD_UPDATE:
			for _, t := range mw.GetTargetList() {
				rt := t.GetResTarget()
				s.Sets = append(s.Sets, SetItem{Col: setCol(rt), Expr: c.expr(rt.GetVal())})
			}
		case pg.CmdType_CMD_INSERT:
			mi := MergeInsert{}
			for _, t := range mw.GetTargetList() {
				mi.Cols = append(mi.Cols, t.GetResTarget().GetName())
			}
			for _, v := range mw.GetValues() {
				mi.Vals = append(mi.Vals, c.expr(v))
			}
			s.MergeInserts = append(s.MergeInserts, mi)
		}
	}
	return s
}

// setCol is the column an UPDATE SET item assigns: `t.c = ...` parses as
// name t with indirection c.
func setCol(rt *pg.ResTarget) string {
	if ind := strList(rt.GetIndirection()); len(ind) > 0 {
		return ind[len(ind)-1]
	}
	return rt.GetName()
}

// selectInto finds SELECT ... INTO, which sits on the leftmost branch of a
// set operation.
func selectInto(sel *pg.SelectStmt) *pg.IntoClause {
	for ; sel != nil; sel = sel.GetLarg() {
		if sel.GetIntoClause() != nil {
			return sel.GetIntoClause()
		}
	}
	return nil
}

func rangeVarName(rv *pg.RangeVar) *TableName {
	t := &TableName{}
	for _, p := range []string{rv.GetCatalogname(), rv.GetSchemaname(), rv.GetRelname()} {
		if p != "" {
			t.Parts = append(t.Parts, p)
		}
	}
	return t
}

func strList(nodes []*pg.Node) []string {
	var out []string
	for _, n := range nodes {
		if s := n.GetString_(); s != nil {
			out = append(out, s.GetSval())
		}
	}
	return out
}

func (c *pgConv) with(w *pg.WithClause) []*CTE {
	var out []*CTE
	for _, n := range w.GetCtes() {
		cte := n.GetCommonTableExpr()
		out = append(out, &CTE{Name: cte.GetCtename(), Cols: strList(cte.GetAliascolnames()), Q: c.query(cte.GetCtequery())})
	}
	return out
}

func (c *pgConv) query(n *pg.Node) *Query {
	sel := n.GetSelectStmt()
	if sel == nil {
		return &Query{}
	}
	q := &Query{CTEs: c.with(sel.GetWithClause())}
	if sel.GetOp() != pg.SetOperation_SETOP_NONE {
		q.Op = strings.ToLower(strings.TrimPrefix(sel.GetOp().String(), "SETOP_"))
		q.Left = c.query(&pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: sel.GetLarg()}})
		q.Right = c.query(&pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: sel.GetRarg()}})
		return q
	}
	for _, row := range sel.GetValuesLists() {
		var r []*Expr
		for _, v := range row.GetList().GetItems() {
			r = append(r, c.expr(v))
		}
		q.Values = append(q.Values, r)
	}
	for _, f := range sel.GetFromClause() {
		q.From = append(q.From, c.from(f))
	}
	for _, t := range sel.GetTargetList() {
		q.Items = append(q.Items, c.item(t.GetResTarget()))
	}
	for _, e := range []*pg.Node{sel.GetWhereClause(), sel.GetHavingClause()} {
		if e != nil {
			q.Other = append(q.Other, c.expr(e))
		}
	}
	for _, e := range append(sel.GetGroupClause(), sel.GetSortClause()...) {
		q.Other = append(q.Other, c.expr(e))
	}
	return q
}

func (c *pgConv) item(rt *pg.ResTarget) *Item {
	if cr := rt.GetVal().GetColumnRef(); cr != nil {
		fields := cr.GetFields()
		if len(fields) > 0 && fields[len(fields)-1].GetAStar() != nil {
			return &Item{Star: true, Qual: strList(fields[:len(fields)-1])}
		}
	}
	return &Item{Alias: rt.GetName(), Text: exprText(c.text, int(rt.GetLocation())), Expr: c.expr(rt.GetVal())}
}

func (c *pgConv) from(n *pg.Node) *From {
	switch {
	case n.GetRangeVar() != nil:
		rv := n.GetRangeVar()
		return &From{Table: rangeVarName(rv), Alias: rv.GetAlias().GetAliasname(), ColAliases: strList(rv.GetAlias().GetColnames())}
	case n.GetRangeSubselect() != nil:
		rs := n.GetRangeSubselect()
		return &From{Sub: c.query(rs.GetSubquery()), Lateral: rs.GetLateral(), Alias: rs.GetAlias().GetAliasname(), ColAliases: strList(rs.GetAlias().GetColnames())}
	case n.GetJoinExpr() != nil:
		j := n.GetJoinExpr()
		f := &From{Left: c.from(j.GetLarg()), Right: c.from(j.GetRarg()), Using: strList(j.GetUsingClause())}
		if j.GetQuals() != nil {
			f.On = c.expr(j.GetQuals())
		}
		if j.GetAlias() != nil {
			// A join with an alias hides its inputs' names; keep it simple and
			// expose the inputs (names stay resolvable by column).
			f.Alias = j.GetAlias().GetAliasname()
		}
		return f
	case n.GetRangeFunction() != nil:
		rf := n.GetRangeFunction()
		e := &Expr{}
		for _, fn := range rf.GetFunctions() {
			e.add(c.expr(fn))
		}
		return &From{Func: e, Lateral: rf.GetLateral(), Alias: rf.GetAlias().GetAliasname(), ColAliases: strList(rf.GetAlias().GetColnames())}
	}
	return &From{Func: c.expr(n)}
}

// expr walks any expression tree generically: column references and
// subqueries are what lineage needs, whatever node holds them, so CASE
// conditions and window PARTITION BY / ORDER BY count as sources as well.
func (c *pgConv) expr(n *pg.Node) *Expr {
	e := &Expr{}
	if n != nil {
		c.walk(n.ProtoReflect(), e)
	}
	return e
}

func (c *pgConv) walk(m protoreflect.Message, e *Expr) {
	switch v := m.Interface().(type) {
	case *pg.ColumnRef:
		f := v.GetFields()
		if len(f) == 0 {
			return
		}
		if f[len(f)-1].GetAStar() != nil {
			e.CountStar = true
			return
		}
		parts := strList(f)
		if len(parts) == 0 {
			return
		}
		e.Refs = append(e.Refs, ColRef{Qual: parts[:len(parts)-1], Name: parts[len(parts)-1]})
		return
	case *pg.SubLink:
		if v.GetTestexpr() != nil {
			c.walk(v.GetTestexpr().ProtoReflect(), e)
		}
		e.Subs = append(e.Subs, c.query(v.GetSubselect()))
		return
	case *pg.SelectStmt:
		e.Subs = append(e.Subs, c.query(&pg.Node{Node: &pg.Node_SelectStmt{SelectStmt: v}}))
		return
	case *pg.FuncCall:
		if v.GetAggStar() {
			e.CountStar = true
		}
		// The function's name is not a column.
		for _, a := range v.GetArgs() {
			c.walk(a.ProtoReflect(), e)
		}
		for _, o := range v.GetAggOrder() {
			c.walk(o.ProtoReflect(), e)
		}
		if v.GetAggFilter() != nil {
			c.walk(v.GetAggFilter().ProtoReflect(), e)
		}
		if v.GetOver() != nil {
			c.walk(v.GetOver().ProtoReflect(), e)
		}
		return
	case *pg.TypeName:
		return
	}
	m.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind {
			return true
		}
		if fd.IsList() {
			l := val.List()
			for i := 0; i < l.Len(); i++ {
				c.walk(l.Get(i).Message(), e)
			}
		} else if !fd.IsMap() {
			c.walk(val.Message(), e)
		}
		return true
	})
}
