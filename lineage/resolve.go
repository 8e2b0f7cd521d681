package lineage

import (
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Catalog maps "schema.table" (or "table") to its column names, used to
// expand `*` and to bind unqualified columns in joins.
type Catalog map[string][]string

// Options tune resolution.
type Options struct {
	Catalog Catalog
	// DefaultSchema qualifies unqualified table names when set; otherwise
	// they are printed without a schema.
	DefaultSchema string
}

// Edge is one column-level lineage edge. An unresolved source column is
// "?.col".
type Edge struct {
	Source string `json:"source"`
	Target string `json:"target"`
}

// Result is the lineage of a statement or a script.
type Result struct {
	Sources []string `json:"sources"`
	Targets []string `json:"targets"`
	Columns []Edge   `json:"columns"`
	// Unresolved lists source columns that could not be bound to one
	// table (printed as "?.col" in Columns).
	Unresolved []string `json:"-"`
}

// Unresolved is the table part of an unresolved column.
const Unresolved = "?"

type outCol struct {
	name string
	srcs []string // "table.col", "table.*" or "?.col"
}

type rel struct {
	names    []string
	table    string   // base table; "" for derived
	cols     []string // known columns in order; nil = unknown
	src      map[string][]string
	starFrom []string // derived: base tables with unknown columns passed through *
}

func (r *rel) known() bool { return r.cols != nil || (r.table == "" && len(r.starFrom) == 0) }

func (r *rel) has(col string) bool { return slices.Contains(r.cols, col) }

type scope struct {
	rels   []*rel
	using  map[string]bool
	parent *scope
}

type cteEnv struct {
	name   string
	cols   []outCol
	parent *cteEnv
}

func (e *cteEnv) lookup(name string) ([]outCol, bool) {
	for ; e != nil; e = e.parent {
		if e.name == name {
			return e.cols, true
		}
	}
	return nil, false
}

// resolver holds the state of one script.
type resolver struct {
	opt     Options
	catalog map[string][]string // session catalog: the given one plus tables created
	reads   map[string]bool     // of the current statement
}

func newResolver(opt Options) *resolver {
	cat := map[string][]string{}
	for k, v := range opt.Catalog {
		cols := make([]string, len(v))
		for i, c := range v {
			cols[i] = strings.ToLower(c)
		}
		cat[strings.ToLower(k)] = cols
	}
	return &resolver{opt: opt, catalog: cat}
}

func (r *resolver) tname(t TableName) string {
	if len(t.Parts) == 1 && r.opt.DefaultSchema != "" {
		return r.opt.DefaultSchema + "." + t.Parts[0]
	}
	return strings.Join(t.Parts, ".")
}

// columnsOf looks a table up in the session catalog: exact name first, then
// a unique entry whose table part matches an unqualified name (as a search
// path would).
func (r *resolver) columnsOf(name string) []string {
	if c, ok := r.catalog[name]; ok {
		return c
	}
	lname := strings.ToLower(name)
	if c, ok := r.catalog[lname]; ok {
		return c
	}
	if strings.Contains(name, ".") {
		return nil
	}
	var found []string
	n := 0
	for k, v := range r.catalog {
		if strings.HasSuffix(k, "."+lname) {
			found, n = v, n+1
		}
	}
	if n == 1 {
		return found
	}
	return nil
}

func addUniq(dst []string, src ...string) []string {
	for _, s := range src {
		if !slices.Contains(dst, s) {
			dst = append(dst, s)
		}
	}
	return dst
}

// query resolves a query to its output columns.
func (r *resolver) query(q *Query, env *cteEnv, outer *scope) []outCol {
	if q == nil {
		return nil
	}
	for _, c := range q.CTEs {
		var cols []outCol
		if c.Q != nil && c.Q.Op != "" {
			// A recursive CTE refers to itself: bind the first branch first.
			first := r.query(c.Q.Left, env, outer)
			env = &cteEnv{name: c.Name, cols: renameCols(first, c.Cols), parent: env}
		}
		cols = renameCols(r.query(c.Q, env, outer), c.Cols)
		env = &cteEnv{name: c.Name, cols: cols, parent: env}
	}
	if q.Op != "" {
		return mergeSetOp(r.query(q.Left, env, outer), r.query(q.Right, env, outer))
	}
	sc := &scope{parent: outer, using: map[string]bool{}}
	for _, f := range q.From {
		r.from(f, env, sc, outer)
	}
	for _, e := range q.Other {
		r.expr(e, env, sc, nil)
	}
	if len(q.Values) > 0 {
		var out []outCol
		for _, row := range q.Values {
			for i, e := range row {
				srcs := r.expr(e, env, sc, nil)
				if i < len(out) {
					out[i].srcs = addUniq(out[i].srcs, srcs...)
				} else {
					out = append(out, outCol{name: "column" + itoa(i+1), srcs: srcs})
				}
			}
		}
		return out
	}
	var out []outCol
	for _, it := range q.Items {
		if it.Star {
			out = append(out, r.star(it, sc)...)
			continue
		}
		srcs := r.expr(it.Expr, env, sc, out)
		out = append(out, outCol{name: itemName(it), srcs: srcs})
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

func itemName(it *Item) string {
	if it.Alias != "" {
		return it.Alias
	}
	if it.Expr != nil && len(it.Expr.Refs) == 1 && len(it.Expr.Subs) == 0 && !it.Expr.CountStar {
		ref := it.Expr.Refs[0]
		// A bare column keeps its name; an expression is named by its text.
		if t := strings.TrimSpace(it.Text); t == "" || strings.EqualFold(lastIdent(t), ref.Name) {
			return ref.Name
		}
	}
	return strings.TrimSpace(it.Text)
}

// lastIdent returns the text after the last dot with quotes removed, so
// `a."B"` compares with B.
func lastIdent(t string) string {
	if i := strings.LastIndexByte(t, '.'); i >= 0 {
		t = t[i+1:]
	}
	return strings.Trim(t, "\"`[]")
}

func renameCols(cols []outCol, names []string) []outCol {
	if len(names) == 0 {
		return cols
	}
	out := slices.Clone(cols)
	for i := range out {
		if i < len(names) && out[i].name != "*" {
			out[i].name = names[i]
		}
	}
	return out
}

// mergeSetOp merges the branches of UNION/INTERSECT/EXCEPT by position; the
// first branch names the columns.
func mergeSetOp(l, rt []outCol) []outCol {
	out := slices.Clone(l)
	for i := range out {
		out[i].srcs = slices.Clone(out[i].srcs)
	}
	for i, c := range rt {
		if i < len(out) {
			out[i].srcs = addUniq(out[i].srcs, c.srcs...)
		} else {
			out = append(out, c)
		}
	}
	return out
}

func (r *resolver) star(it *Item, sc *scope) []outCol {
	rels := sc.rels
	if len(it.Qual) > 0 {
		if rl := findRel(sc, it.Qual, r); rl != nil {
			rels = []*rel{rl}
		} else {
			return []outCol{{name: "*", srcs: []string{r.tname(TableName{Parts: it.Qual}) + ".*"}}}
		}
	}
	var out []outCol
	for _, rl := range rels {
		for _, c := range rl.cols {
			if !slices.ContainsFunc(it.Exclude, func(x string) bool { return strings.EqualFold(x, c) }) {
				out = append(out, outCol{name: c, srcs: r.relCol(rl, c)})
			}
		}
		if rl.table != "" && rl.cols == nil {
			out = append(out, outCol{name: "*", srcs: []string{rl.table + ".*"}})
		}
		for _, t := range rl.starFrom {
			out = append(out, outCol{name: "*", srcs: []string{t + ".*"}})
		}
	}
	return out
}

func (r *resolver) from(f *From, env *cteEnv, sc *scope, outer *scope) {
	switch {
	case f.Left != nil || f.Right != nil:
		if f.Left != nil {
			r.from(f.Left, env, sc, outer)
		}
		if f.Right != nil {
			r.from(f.Right, env, sc, outer)
		}
		for _, u := range f.Using {
			sc.using[u] = true
		}
		r.expr(f.On, env, sc, nil)
	case f.Table != nil:
		if len(f.Table.Parts) == 1 {
			if cols, ok := env.lookup(f.Table.Parts[0]); ok {
				sc.rels = append(sc.rels, derivedRel(cmpOr(f.Alias, f.Table.Parts[0]), renameCols(cols, f.ColAliases)))
				return
			}
		}
		name := r.tname(*f.Table)
		r.reads[name] = true
		rl := &rel{table: name, cols: r.columnsOf(name)}
		if f.Alias != "" {
			rl.names = []string{f.Alias}
		}
		// A table is also known by its own name, even when aliased.
		rl.names = append(rl.names, name, f.Table.Parts[len(f.Table.Parts)-1])
		sc.rels = append(sc.rels, rl)
	case f.Sub != nil:
		o := outer
		if f.Lateral {
			o = sc
		}
		cols := renameCols(r.query(f.Sub, env, o), f.ColAliases)
		sc.rels = append(sc.rels, derivedRel(f.Alias, cols))
	case f.Func != nil:
		r.expr(f.Func, env, sc, nil)
		rl := &rel{names: []string{f.Alias}, cols: slices.Clone(f.ColAliases), src: map[string][]string{}}
		if rl.cols == nil {
			rl.cols = []string{}
		}
		sc.rels = append(sc.rels, rl)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func derivedRel(alias string, cols []outCol) *rel {
	rl := &rel{src: map[string][]string{}, cols: []string{}}
	if alias != "" {
		rl.names = []string{alias}
	}
	for _, c := range cols {
		if c.name == "*" {
			for _, s := range c.srcs {
				rl.starFrom = addUniq(rl.starFrom, strings.TrimSuffix(s, ".*"))
			}
			continue
		}
		if _, dup := rl.src[c.name]; !dup {
			rl.cols = append(rl.cols, c.name)
		}
		rl.src[c.name] = addUniq(rl.src[c.name], c.srcs...)
	}
	return rl
}

// relCol is the sources of column col of a relation.
func (r *resolver) relCol(rl *rel, col string) []string {
	if rl.table != "" {
		return []string{rl.table + "." + col}
	}
	if s, ok := rl.src[col]; ok {
		return s
	}
	if len(rl.starFrom) == 1 {
		return []string{rl.starFrom[0] + "." + col}
	}
	return []string{Unresolved + "." + col}
}

func findRel(sc *scope, qual []string, r *resolver) *rel {
	q := strings.Join(qual, ".")
	full := r.tname(TableName{Parts: qual})
	for s := sc; s != nil; s = s.parent {
		// Aliases first, then table names.
		for _, rl := range s.rels {
			if len(rl.names) > 0 && rl.names[0] == q {
				return rl
			}
		}
		for _, rl := range s.rels {
			if slices.Contains(rl.names, q) || (rl.table != "" && rl.table == full) {
				return rl
			}
		}
	}
	return nil
}

// expr returns the source columns of an expression; lateral holds the
// select items before it (for references to an earlier alias).
func (r *resolver) expr(e *Expr, env *cteEnv, sc *scope, lateral []outCol) []string {
	if e == nil {
		return nil
	}
	var out []string
	for _, ref := range e.Refs {
		out = addUniq(out, r.ref(ref, sc, lateral)...)
	}
	for _, sub := range e.Subs {
		for _, c := range r.query(sub, env, sc) {
			out = addUniq(out, c.srcs...)
		}
	}
	if e.CountStar {
		for _, rl := range sc.rels {
			if rl.table != "" {
				out = addUniq(out, rl.table+".*")
			}
		}
	}
	return out
}

func (r *resolver) ref(ref ColRef, sc *scope, lateral []outCol) []string {
	if len(ref.Qual) > 0 {
		if rl := findRel(sc, ref.Qual, r); rl != nil {
			return r.relCol(rl, ref.Name)
		}
		return []string{r.tname(TableName{Parts: ref.Qual}) + "." + ref.Name}
	}
	for s := sc; s != nil; s = s.parent {
		var cands, unknown []*rel
		for _, rl := range s.rels {
			if rl.has(ref.Name) {
				cands = append(cands, rl)
			} else if !rl.known() {
				unknown = append(unknown, rl)
			}
		}
		switch {
		case len(cands) == 1:
			return r.relCol(cands[0], ref.Name)
		case len(cands) > 1 && s.using[ref.Name]:
			var out []string
			for _, c := range cands {
				out = addUniq(out, r.relCol(c, ref.Name)...)
			}
			return out
		case len(cands) > 1:
			return []string{Unresolved + "." + ref.Name}
		case len(unknown) == 1:
			return r.relCol(unknown[0], ref.Name)
		case len(unknown) > 1:
			return []string{Unresolved + "." + ref.Name}
		}
		if s == sc {
			for _, c := range lateral {
				if c.name == ref.Name {
					return c.srcs
				}
			}
		}
	}
	if len(sc.rels) == 1 {
		return r.relCol(sc.rels[0], ref.Name)
	}
	return []string{Unresolved + "." + ref.Name}
}

// stmtResult is the lineage of one statement before script-level merging.
type stmtResult struct {
	reads   map[string]bool
	writes  []string
	edges   []Edge
	drops   []string
	renames [][2]string
}

func (r *resolver) stmt(s *Stmt) stmtResult {
	r.reads = map[string]bool{}
	res := stmtResult{}
	var env *cteEnv
	for _, c := range s.CTEs {
		env = &cteEnv{name: c.Name, cols: renameCols(r.query(c.Q, env, nil), c.Cols), parent: env}
	}
	for _, t := range s.Reads {
		r.reads[r.tname(t)] = true
	}
	switch s.Kind {
	case KindSelect:
		r.query(s.Query, env, nil)
	case KindInsert, KindCreateAs:
		out := r.query(s.Query, env, nil)
		target := r.tname(*s.Target)
		res.writes = append(res.writes, target)
		cols := s.TargetCols
		if len(cols) == 0 && s.Kind == KindInsert {
			cols = r.columnsOf(target)
		}
		var created []string
		for i, c := range out {
			name := c.name
			if i < len(cols) && c.name != "*" {
				name = cols[i]
			}
			created = append(created, name)
			for _, src := range c.srcs {
				res.edges = append(res.edges, Edge{Source: src, Target: target + "." + name})
			}
		}
		if s.Kind == KindCreateAs && !slices.Contains(created, "*") {
			r.catalog[target] = created
		}
	case KindUpdate, KindMerge:
		target := r.tname(*s.Target)
		res.writes = append(res.writes, target)
		sc := &scope{using: map[string]bool{}}
		trel := &rel{table: target, cols: r.columnsOf(target), names: []string{s.TargetAlias, target, s.Target.Parts[len(s.Target.Parts)-1]}}
		sc.rels = append(sc.rels, trel)
		saved := r.reads
		for _, f := range s.From {
			r.from(f, env, sc, nil)
		}
		// The target's own columns are not a source table of the statement.
		delete(saved, target)
		for _, set := range s.Sets {
			for _, src := range r.expr(set.Expr, env, sc, nil) {
				res.edges = append(res.edges, Edge{Source: src, Target: target + "." + set.Col})
			}
		}
		for _, mi := range s.MergeInserts {
			for i, v := range mi.Vals {
				if i >= len(mi.Cols) {
					break
				}
				for _, src := range r.expr(v, env, sc, nil) {
					res.edges = append(res.edges, Edge{Source: src, Target: target + "." + mi.Cols[i]})
				}
			}
		}
	case KindCreate:
		target := r.tname(*s.Target)
		res.writes = append(res.writes, target)
		if len(s.TargetCols) > 0 {
			r.catalog[target] = s.TargetCols
		}
	}
	for _, t := range s.Drops {
		delete(r.catalog, r.tname(t))
		res.drops = append(res.drops, r.tname(t))
	}
	for _, rn := range s.Renames {
		from, to := r.tname(rn[0]), r.tname(rn[1])
		if cols, ok := r.catalog[from]; ok {
			r.catalog[to] = cols
			delete(r.catalog, from)
		}
		res.renames = append(res.renames, [2]string{from, to})
	}
	res.reads = r.reads
	return res
}

// Resolve computes the lineage of a script's parsed statements. A table
// written by one statement and read by a later one is intermediate: it is
// in neither list, and column edges are stitched through it.
func Resolve(stmts []*Stmt, opt Options) *Result {
	r := newResolver(opt)
	var results []stmtResult
	for _, s := range stmts {
		results = append(results, r.stmt(s))
	}
	return merge(results)
}

func merge(results []stmtResult) *Result {
	written := map[string]bool{}
	inter := map[string]bool{}
	applyRenames(results)
	for i, res := range results {
		// A table written and then dropped by the script is temporary.
		for _, t := range res.drops {
			for _, prev := range results[:i] {
				if slices.Contains(prev.writes, t) {
					inter[t] = true
				}
			}
		}
		for t := range res.reads {
			if written[t] {
				inter[t] = true
			}
		}
		for _, t := range res.writes {
			written[t] = true
		}
	}
	sources, targets := map[string]bool{}, map[string]bool{}
	var edges []Edge
	for _, res := range results {
		for t := range res.reads {
			if !inter[t] {
				sources[t] = true
			}
		}
		for _, t := range res.writes {
			if !inter[t] {
				targets[t] = true
			}
		}
		edges = append(edges, res.edges...)
	}
	out := &Result{Sources: sortedKeys(sources), Targets: sortedKeys(targets), Columns: stitch(edges, inter)}
	seen := map[string]bool{}
	for _, e := range out.Columns {
		if strings.HasPrefix(e.Source, Unresolved+".") && !seen[e.Source] {
			seen[e.Source] = true
			out.Unresolved = append(out.Unresolved, e.Source)
		}
	}
	return out
}

// applyRenames makes a table renamed by the script appear under its new
// name in the statements before the rename.
func applyRenames(results []stmtResult) {
	for i, res := range results {
		for _, rn := range res.renames {
			for j := range results[:i] {
				prev := &results[j]
				for k, w := range prev.writes {
					if w == rn[0] {
						prev.writes[k] = rn[1]
					}
				}
				for k, e := range prev.edges {
					if tableOf(e.Target) == rn[0] {
						prev.edges[k].Target = rn[1] + e.Target[len(rn[0]):]
					}
				}
			}
		}
	}
}

// tableOf returns the table part of "table.col".
func tableOf(col string) string {
	if i := strings.LastIndexByte(col, '.'); i >= 0 {
		return col[:i]
	}
	return ""
}

// stitch replaces edges out of an intermediate table by the edges into it,
// and drops edges into intermediate tables.
func stitch(edges []Edge, inter map[string]bool) []Edge {
	into := map[string][]string{}
	for _, e := range edges {
		if inter[tableOf(e.Target)] {
			into[e.Target] = append(into[e.Target], e.Source)
		}
	}
	var expand func(src string, depth int) []string
	expand = func(src string, depth int) []string {
		if !inter[tableOf(src)] || depth > 20 {
			return []string{src}
		}
		var out []string
		for _, s := range into[src] {
			out = addUniq(out, expand(s, depth+1)...)
		}
		return out
	}
	seen := map[Edge]bool{}
	out := []Edge{}
	for _, e := range edges {
		if inter[tableOf(e.Target)] {
			continue
		}
		for _, s := range expand(e.Source, 0) {
			ne := Edge{Source: s, Target: e.Target}
			if !seen[ne] {
				seen[ne] = true
				out = append(out, ne)
			}
		}
	}
	// Targets keep the order they first appear in; the sources of one
	// target are sorted, so the output never depends on map order.
	first := map[string]int{}
	for i, e := range out {
		if _, ok := first[e.Target]; !ok {
			first[e.Target] = i
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if a, b := first[out[i].Target], first[out[j].Target]; a != b {
			return a < b
		}
		return out[i].Source < out[j].Source
	})
	return out
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
