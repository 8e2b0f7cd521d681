package dataapi

import (
	"fmt"
	"strconv"
	"strings"
)

// A template is a published SELECT cut into pieces: plain SQL text,
// :name parameters, and optional fragments [[ ... ]] that are dropped when
// any parameter inside them has no value. Parameters become bind variables;
// their values never enter the SQL text.
type template struct {
	parts []part
}

type part struct {
	text     string
	param    string // a parameter reference when not ""
	optional []part // an optional fragment when not nil
}

// parseTemplate cuts sql into parts, skipping string literals, quoted
// identifiers and comments, and leaving Postgres casts (::) alone.
func parseTemplate(sql string) (*template, error) {
	var top, frag []part
	inFrag := false
	var text strings.Builder
	flush := func() {
		if text.Len() == 0 {
			return
		}
		p := part{text: text.String()}
		text.Reset()
		if inFrag {
			frag = append(frag, p)
		} else {
			top = append(top, p)
		}
	}
	for i := 0; i < len(sql); {
		c := sql[i]
		switch {
		case c == '\'' || c == '"' || c == '`':
			j := i + 1
			for j < len(sql) {
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c {
						j += 2
						continue
					}
					break
				}
				j++
			}
			if j >= len(sql) {
				return nil, fmt.Errorf("%w sql: unterminated %c quote", ErrInvalid, c)
			}
			text.WriteString(sql[i : j+1])
			i = j + 1
		case strings.HasPrefix(sql[i:], "--"):
			j := strings.IndexByte(sql[i:], '\n')
			if j < 0 {
				j = len(sql) - i
			}
			text.WriteString(sql[i : i+j])
			i += j
		case strings.HasPrefix(sql[i:], "/*"):
			j := strings.Index(sql[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("%w sql: unterminated comment", ErrInvalid)
			}
			text.WriteString(sql[i : i+j+4])
			i += j + 4
		case strings.HasPrefix(sql[i:], "[["):
			if inFrag {
				return nil, fmt.Errorf("%w sql: optional fragments [[ ]] cannot nest", ErrInvalid)
			}
			flush()
			inFrag, frag = true, nil
			i += 2
		case strings.HasPrefix(sql[i:], "]]"):
			if !inFrag {
				return nil, fmt.Errorf("%w sql: ]] without [[", ErrInvalid)
			}
			flush()
			if !hasParam(frag) {
				return nil, fmt.Errorf("%w sql: an optional fragment [[ ]] must use a parameter", ErrInvalid)
			}
			top = append(top, part{optional: frag})
			inFrag = false
			i += 2
		case c == ':' && i+1 < len(sql) && sql[i+1] == ':':
			text.WriteString("::")
			i += 2
		case c == ':' && i+1 < len(sql) && isIdentStart(sql[i+1]):
			j := i + 1
			for j < len(sql) && isIdent(sql[j]) {
				j++
			}
			flush()
			p := part{param: sql[i+1 : j]}
			if inFrag {
				frag = append(frag, p)
			} else {
				top = append(top, p)
			}
			i = j
		default:
			text.WriteByte(c)
			i++
		}
	}
	if inFrag {
		return nil, fmt.Errorf("%w sql: [[ without ]]", ErrInvalid)
	}
	flush()
	return &template{parts: top}, nil
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdent(c byte) bool      { return isIdentStart(c) || c >= '0' && c <= '9' }

func hasParam(ps []part) bool {
	for _, p := range ps {
		if p.param != "" {
			return true
		}
	}
	return false
}

// params lists the parameter names the template uses.
func (t *template) params() map[string]bool {
	out := map[string]bool{}
	var walk func([]part)
	walk = func(ps []part) {
		for _, p := range ps {
			if p.param != "" {
				out[p.param] = true
			}
			walk(p.optional)
		}
	}
	walk(t.parts)
	return out
}

// render writes the SQL for the given values with placeholders of the
// dialect ($1 for postgres, ? otherwise) and returns the bind arguments. A
// list value expands to one placeholder per item. all keeps every optional
// fragment (with NULL-free placeholders), for checking the full statement.
func (t *template) render(vals map[string]any, dialect string, all bool) (string, []any) {
	var b strings.Builder
	var args []any
	bind := func(v any) {
		args = append(args, v)
		if dialect == "postgres" {
			b.WriteString("$" + strconv.Itoa(len(args)))
		} else {
			b.WriteByte('?')
		}
	}
	write := func(p part) {
		if p.param == "" {
			b.WriteString(p.text)
			return
		}
		v := vals[p.param]
		if list, ok := v.([]any); ok {
			for i, item := range list {
				if i > 0 {
					b.WriteString(", ")
				}
				bind(item)
			}
			return
		}
		bind(v)
	}
	for _, p := range t.parts {
		if p.optional == nil {
			write(p)
			continue
		}
		if !all && !present(p.optional, vals) {
			continue
		}
		for _, q := range p.optional {
			write(q)
		}
	}
	return b.String(), args
}

func present(ps []part, vals map[string]any) bool {
	for _, p := range ps {
		if p.param == "" {
			continue
		}
		v, ok := vals[p.param]
		if !ok || v == nil {
			return false
		}
		if l, isList := v.([]any); isList && len(l) == 0 {
			return false
		}
	}
	return true
}
