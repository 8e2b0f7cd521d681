package params

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxAmount bounds the N of ${name±N unit}; larger amounts are typos and
// would push dates past the year 9999.
const maxAmount = 100000

// ref is one parameter reference found in a text.
type ref struct {
	start, end int    // byte offsets of the whole reference in the text
	name       string // parameter name as written
	airflow    bool   // written {{ name }}
	sign       int    // +1 or -1 when the reference has arithmetic, else 0
	amount     int
	unit       byte // h, d, w, m or y
}

// segment is a literal run of text or a reference.
type segment struct {
	lit string
	ref *ref
}

// syntaxIssue is a malformed reference at a byte offset.
type syntaxIssue struct {
	offset int
	msg    string
}

// scan splits text into literal segments and references. Malformed ${...}
// references are reported and left out of the segments.
func scan(text string) ([]segment, []syntaxIssue) {
	var (
		segs   []segment
		issues []syntaxIssue
		lit    strings.Builder
	)
	flush := func() {
		if lit.Len() > 0 {
			segs = append(segs, segment{lit: lit.String()})
			lit.Reset()
		}
	}
	for i := 0; i < len(text); {
		switch {
		case strings.HasPrefix(text[i:], "$${"):
			lit.WriteString("${")
			i += 3
		case strings.HasPrefix(text[i:], "${"):
			r, end, msg := scanDollar(text, i)
			if msg != "" {
				issues = append(issues, syntaxIssue{offset: i, msg: msg})
			} else {
				flush()
				segs = append(segs, segment{ref: r})
			}
			i = end
		case strings.HasPrefix(text[i:], "{{"):
			r, end := scanBraces(text, i)
			if r == nil {
				lit.WriteString("{{")
			} else {
				flush()
				segs = append(segs, segment{ref: r})
			}
			i = end
		default:
			lit.WriteByte(text[i])
			i++
		}
	}
	flush()
	return segs, issues
}

// scanDollar reads the ${...} reference starting at text[start]. It returns
// the offset after it and, when it is malformed, a message.
func scanDollar(text string, start int) (*ref, int, string) {
	body := text[start+2:]
	stop := strings.IndexAny(body, "}\n")
	if stop < 0 || body[stop] == '\n' {
		return nil, start + 2, "unclosed ${: close it with } or write $${ for a literal ${"
	}
	end := start + 2 + stop + 1
	inner := body[:stop]
	r, msg := parseRef(inner)
	if msg != "" {
		return nil, end, "bad parameter ${" + inner + "}: " + msg
	}
	r.start, r.end = start, end
	return r, end, ""
}

// parseRef reads "name", "name+N unit" or "name-N unit", with optional
// blanks around each part.
func parseRef(s string) (*ref, string) {
	s = trimBlank(s)
	n := identLen(s)
	if n == 0 {
		if s == "" {
			return nil, "empty name"
		}
		return nil, "want ${name} or ${name±N unit}; write $${ for a literal ${"
	}
	r := &ref{name: s[:n]}
	rest := trimBlank(s[n:])
	if rest == "" {
		return r, ""
	}
	switch rest[0] {
	case '+':
		r.sign = 1
	case '-':
		r.sign = -1
	default:
		return nil, "want ${name} or ${name±N unit}; write $${ for a literal ${"
	}
	rest = trimBlank(rest[1:])
	d := 0
	for d < len(rest) && rest[d] >= '0' && rest[d] <= '9' {
		d++
	}
	if d == 0 {
		return nil, "want a number after " + string("+-"[(1-r.sign)/2])
	}
	amount, err := strconv.Atoi(rest[:d])
	if err != nil || amount > maxAmount {
		return nil, "amount too large (at most " + strconv.Itoa(maxAmount) + ")"
	}
	r.amount = amount
	unit := trimBlank(rest[d:])
	if len(unit) != 1 || !strings.Contains("hdwmy", unit) {
		return nil, "want a unit h, d, w, m or y after the number"
	}
	r.unit = unit[0]
	return r, ""
}

// scanBraces reads the Airflow-style {{ ds }}, {{ ds_nodash }} or {{ ts }}
// starting at text[start]. It returns nil for anything else in double braces:
// JSON, Go templates, Python format strings and other Airflow macros are left
// as they are, since there is no way to escape them.
func scanBraces(text string, start int) (*ref, int) {
	body := text[start+2:]
	stop := strings.Index(body, "}}")
	if stop < 0 || strings.Contains(body[:stop], "\n") {
		return nil, start + 2
	}
	inner := trimBlank(body[:stop])
	if _, ok := airflowParams[inner]; !ok {
		return nil, start + 2
	}
	end := start + 2 + stop + 2
	return &ref{start: start, end: end, name: inner, airflow: true}, end
}

// identLen is the length of the identifier [A-Za-z_][A-Za-z0-9_]* at the
// start of s, 0 if there is none.
func identLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return i
		}
	}
	return len(s)
}

func trimBlank(s string) string { return strings.Trim(s, " \t") }

// position converts a byte offset in text to a 1-based line and a 1-based
// column counted in characters, as editors count them.
func position(text string, offset int) (line, col int) {
	if offset > len(text) {
		offset = len(text)
	}
	before := text[:offset]
	line = 1 + strings.Count(before, "\n")
	lineStart := strings.LastIndexByte(before, '\n') + 1
	return line, 1 + utf8.RuneCountInString(before[lineStart:])
}

// spelling writes a reference back as the user wrote its kind.
func (r *ref) spelling() string {
	if r.airflow {
		return "{{ " + r.name + " }}"
	}
	return "${" + r.name + "}"
}
