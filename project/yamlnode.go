package project

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// lineMap places the lines of a YAML text inside the file it came from: a
// task header starts some lines down, and shell headers lose their "# ".
type lineMap struct {
	first int   // file line of the YAML's line 1
	shift []int // columns removed from each YAML line; nil for none
}

func (m lineMap) at(line, col int) pos {
	if line <= 0 {
		return pos{}
	}
	if i := line - 1; i < len(m.shift) && col > 0 {
		col += m.shift[i]
	}
	return pos{line: m.first + line - 1, col: col}
}

// decoder reads YAML nodes into Go values, reporting every problem with its
// place in the file rather than stopping at the first.
type decoder struct {
	file  string
	lines lineMap
	probs *problems
	src   string // the YAML text parse read
	// broken is set when the YAML could not be parsed: what was read from it
	// is incomplete, and checks on it would only add noise.
	broken bool
}

func (d *decoder) where(tk *token.Token) pos {
	if tk == nil || tk.Position == nil {
		return pos{}
	}
	return d.lines.at(tk.Position.Line, tk.Position.Column)
}

func (d *decoder) errorf(n ast.Node, format string, args ...any) {
	var at pos
	if n != nil {
		at = d.where(n.GetToken())
	}
	d.probs.add(d.file, at, format, args...)
}

// parse reads a YAML text holding one mapping. It returns nil when the text
// is empty or broken; a broken text is reported.
func (d *decoder) parse(src string) ast.Node {
	d.src = src
	f, err := parser.ParseBytes([]byte(src), 0)
	if err != nil {
		d.broken = true
		var ye yaml.Error
		if errors.As(err, &ye) {
			d.probs.add(d.file, d.where(ye.GetToken()), "bad YAML: %s", ye.GetMessage())
		} else {
			d.probs.add(d.file, d.lines.at(1, 0), "bad YAML: %v", err)
		}
		return nil
	}
	var body ast.Node
	for i, doc := range f.Docs {
		if i > 0 && doc.Body != nil {
			d.broken = true
			d.errorf(doc.Body, "bad YAML: one document only, without ---")
			break
		}
		body = doc.Body
	}
	if body == nil {
		return nil
	}
	if _, ok := mapIter(body); !ok {
		d.broken = true
		d.errorf(body, "want settings as key: value lines, not %s", kind(body))
		return nil
	}
	return body
}

// mapIter returns an iterator over a mapping node's entries.
func mapIter(n ast.Node) (*ast.MapNodeIter, bool) {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.MapRange(), true
	case *ast.MappingValueNode:
		return m.MapRange(), true
	}
	return nil, false
}

// fields maps the keys of a mapping to what reads their values.
type fields map[string]func(key, value ast.Node)

// mapping calls the field function of each key of n. Unknown keys are
// reported with a guess at the key meant; what names the mapping.
func (d *decoder) mapping(n ast.Node, what string, fs fields) {
	n = d.unwrap(n)
	if n == nil || n.Type() == ast.NullType {
		return
	}
	it, ok := mapIter(n)
	if !ok {
		d.errorf(n, "%s: want a mapping of key: value, not %s", what, kind(n))
		return
	}
	for it.Next() {
		key := it.Key()
		name := keyName(key)
		set, ok := fs[name]
		if !ok {
			d.errorf(key, "unknown key %q in %s%s", name, what, suggest(name, fs))
			continue
		}
		set(key, it.Value())
	}
}

func keyName(key ast.Node) string {
	if s, ok := key.(*ast.StringNode); ok {
		return s.Value
	}
	if k, ok := key.(*ast.MappingKeyNode); ok && k.Value != nil {
		return keyName(k.Value)
	}
	return key.GetToken().Value
}

// suggest names the known key closest to an unknown one, if one is close.
func suggest(name string, fs fields) string {
	keys := make([]string, 0, len(fs))
	for k := range fs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	best, bestDist := "", 3
	for _, k := range keys {
		if dist := editDistance(name, k); dist < bestDist {
			best, bestDist = k, dist
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %s?)", best)
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// unwrap looks through anchors and tags. Aliases are refused: a project file
// is read piecewise, so an alias could not be resolved.
func (d *decoder) unwrap(n ast.Node) ast.Node {
	for {
		switch v := n.(type) {
		case *ast.AnchorNode:
			n = v.Value
		case *ast.TagNode:
			n = v.Value
		case *ast.AliasNode:
			d.errorf(n, "YAML aliases (*name) are not supported here")
			return nil
		default:
			return n
		}
	}
}

func kind(n ast.Node) string {
	switch n.Type() {
	case ast.MappingType, ast.MappingValueType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	case ast.NullType:
		return "nothing"
	}
	return "a single value"
}

// text reads a scalar as text; numbers and booleans keep their spelling and
// null is empty.
func (d *decoder) text(key string, n ast.Node) (string, bool) {
	n = d.unwrap(n)
	switch v := n.(type) {
	case nil:
		return "", false
	case *ast.StringNode:
		return v.Value, true
	case *ast.LiteralNode:
		return v.Value.Value, true
	case *ast.NullNode:
		return "", true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value, true
	}
	d.errorf(n, "%s: want text, not %s", key, kind(n))
	return "", false
}

// integer reads a whole number that must not be negative.
func (d *decoder) integer(key string, n ast.Node, allowNegative bool) (int, bool) {
	n = d.unwrap(n)
	v, ok := n.(*ast.IntegerNode)
	if !ok {
		if n != nil {
			d.errorf(n, "%s: want a whole number, not %q", key, n.GetToken().Value)
		}
		return 0, false
	}
	var i int64
	switch x := v.Value.(type) {
	case int64:
		i = x
	case uint64:
		if x > 1<<31-1 {
			d.errorf(n, "%s: %d is too large", key, x)
			return 0, false
		}
		i = int64(x)
	}
	if i < 0 && !allowNegative {
		d.errorf(n, "%s: must not be negative", key)
		return 0, false
	}
	if i > 1<<31-1 || i < -(1<<31) {
		d.errorf(n, "%s: %d is too large", key, i)
		return 0, false
	}
	return int(i), true
}

// duration reads Go duration text ("90s", "5m", "1h30m").
func (d *decoder) duration(key string, n ast.Node) (time.Duration, bool) {
	s, ok := d.text(key, n)
	if !ok {
		return 0, false
	}
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		d.errorf(n, "%s: want a duration like 90s, 5m or 1h30m, not %q", key, s)
		return 0, false
	}
	if v < 0 {
		d.errorf(n, "%s: must not be negative", key)
		return 0, false
	}
	return v, true
}

// item is a list entry with its place.
type item struct {
	value string
	at    pos
}

// list reads a list of scalars.
func (d *decoder) list(key string, n ast.Node) []item {
	n = d.unwrap(n)
	if n == nil || n.Type() == ast.NullType {
		return nil
	}
	seq, ok := n.(*ast.SequenceNode)
	if !ok {
		d.errorf(n, "%s: want a list like [a, b], not %s", key, kind(n))
		return nil
	}
	var out []item
	for _, e := range seq.Values {
		if s, ok := d.text(key, e); ok {
			out = append(out, item{value: s, at: d.where(e.GetToken())})
		}
	}
	return out
}

// textMap reads a mapping of names to scalars.
func (d *decoder) textMap(key string, n ast.Node) (map[string]string, map[string]pos) {
	n = d.unwrap(n)
	if n == nil || n.Type() == ast.NullType {
		return nil, nil
	}
	it, ok := mapIter(n)
	if !ok {
		d.errorf(n, "%s: want a mapping of name: value, not %s", key, kind(n))
		return nil, nil
	}
	values, where := map[string]string{}, map[string]pos{}
	for it.Next() {
		name := keyName(it.Key())
		if v, ok := d.text(key+"."+name, it.Value()); ok {
			values[name] = v
			where[name] = d.valuePos(it.Key(), it.Value())
		}
	}
	return values, where
}

// valuePos is where a scalar value's text starts, for placing problems found
// inside it; a null value points at its key.
func (d *decoder) valuePos(key, value ast.Node) pos {
	value = d.unwrap(value)
	if value == nil || value.Type() == ast.NullType {
		return d.where(key.GetToken())
	}
	at := d.where(value.GetToken())
	switch value.GetToken().Type {
	case token.DoubleQuoteType, token.SingleQuoteType:
		at.col++
	}
	return at
}

// blockIndent is the indentation of the first non-blank line after YAML line
// n: where the text of a block scalar starting on line n sits.
func (d *decoder) blockIndent(n int) int {
	lines := strings.Split(d.src, "\n")
	for i := n; i < len(lines); i++ {
		if l := strings.TrimRight(lines[i], " \r"); l != "" {
			return len(l) - len(strings.TrimLeft(l, " "))
		}
	}
	return 0
}
