// Package params renders the parameters of Kiln's SQL and scripts: ${name}
// references to built-ins (${bizdate}, ${month_end-1m}, …), to project, task
// and run parameters, and the Airflow spellings {{ ds }}, {{ ds_nodash }} and
// {{ ts }}. Render fills them for one run, Check finds unknown names and
// syntax errors without a date, and Env builds a script's KILN_* environment.
// An unknown parameter is always an error, never an empty string.
package params

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Errors callers branch on; *Error unwraps to one of them.
var (
	ErrUnknown = errors.New("unknown parameter")
	ErrSyntax  = errors.New("bad parameter syntax")
	ErrCycle   = errors.New("parameter cycle")
)

// Context is what one run's parameters are computed from.
type Context struct {
	Bizdate time.Time // the logical date; only its year, month and day count
	Hour    int       // the logical hour, 0 to 23
	Project string
	Task    string
	DataDir string
	// Values are the project, task and run parameters merged by the caller.
	// A value may use built-ins and other values; each is rendered once.
	Values map[string]string
}

// Error is a parameter that could not be rendered, at its place in the text.
type Error struct {
	Offset    int    // byte offset of the reference in the text
	Line, Col int    // 1-based; Col counts characters; 0 when not in a text
	Name      string // the parameter at fault, when there is one
	Message   string
	Err       error // ErrUnknown, ErrSyntax or ErrCycle
}

func (e *Error) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Issue is a problem Check found in a text.
type Issue struct {
	Offset    int // byte offset in the text
	Line, Col int // 1-based; Col counts characters
	Name      string
	Message   string
}

// problem is an error not yet placed in a text.
type problem struct {
	name, msg string
	kind      error
}

// renderer renders texts for one context, each value at most once.
type renderer struct {
	c      *Context
	cyc    time.Time
	done   map[string]string
	active []string // values being rendered, outermost first
}

func newRenderer(c *Context) (*renderer, error) {
	if c.Hour < 0 || c.Hour > 23 {
		return nil, fmt.Errorf("params: hour %d is not between 0 and 23", c.Hour)
	}
	for name := range c.Values {
		if name == "" || identLen(name) != len(name) {
			return nil, &Error{Name: name, Err: ErrSyntax,
				Message: fmt.Sprintf("parameter name %q is not letters, digits and _", name)}
		}
		if IsBuiltin(name) {
			return nil, &Error{Name: name, Err: ErrSyntax,
				Message: fmt.Sprintf("parameter %s is a built-in and cannot be set", name)}
		}
	}
	return &renderer{c: c, cyc: cycleTime(c), done: map[string]string{}}, nil
}

// Render replaces every parameter reference in text with its value for c.
// It fails with an *Error at the first unknown or malformed reference.
func Render(text string, c *Context) (string, error) {
	r, err := newRenderer(c)
	if err != nil {
		return "", err
	}
	out, off, p := r.expand(text)
	if p != nil {
		line, col := position(text, off)
		return "", &Error{Offset: off, Line: line, Col: col, Name: p.name, Message: p.msg, Err: p.kind}
	}
	return out, nil
}

// expand renders text; on failure it returns the offset of the fault.
func (r *renderer) expand(text string) (string, int, *problem) {
	segs, issues := scan(text)
	if len(issues) > 0 {
		return "", issues[0].offset, &problem{msg: issues[0].msg, kind: ErrSyntax}
	}
	var b strings.Builder
	for _, s := range segs {
		if s.ref == nil {
			b.WriteString(s.lit)
			continue
		}
		v, p := r.lookup(s.ref)
		if p != nil {
			return "", s.ref.start, p
		}
		b.WriteString(v)
	}
	return b.String(), 0, nil
}

// lookup returns the value of one reference.
func (r *renderer) lookup(ref *ref) (string, *problem) {
	if ref.airflow {
		return airflowParams[ref.name].value(r.cyc, ref), nil
	}
	if p, ok := dateParams[ref.name]; ok {
		return p.value(r.cyc, ref), nil
	}
	f, isText := textParams[ref.name]
	_, isValue := r.c.Values[ref.name]
	switch {
	case (isText || isValue) && ref.sign != 0:
		return "", notDate(ref.name)
	case isText:
		return f(r.c), nil
	case isValue:
		return r.value(ref.name)
	}
	return "", unknown(ref)
}

func unknown(ref *ref) *problem {
	msg := "unknown parameter " + ref.spelling()
	if strings.ToLower(ref.name) != ref.name {
		// Most likely a shell variable; parameters are lower case.
		msg += "; for an environment variable write $" + ref.name + " or $${" + ref.name + "}"
	}
	return &problem{name: ref.name, msg: msg, kind: ErrUnknown}
}

// value renders the custom parameter name once.
func (r *renderer) value(name string) (string, *problem) {
	if v, ok := r.done[name]; ok {
		return v, nil
	}
	for i, a := range r.active {
		if a == name {
			chain := append(append([]string{}, r.active[i:]...), name)
			return "", &problem{name: name, kind: ErrCycle,
				msg: "parameter cycle: " + strings.Join(chain, " → ")}
		}
	}
	r.active = append(r.active, name)
	v, _, p := r.expand(r.c.Values[name])
	r.active = r.active[:len(r.active)-1]
	if p != nil {
		if p.kind != ErrCycle {
			p.msg = "in the value of " + name + ": " + p.msg
		}
		return "", p
	}
	r.done[name] = v
	return v, nil
}

func notDate(name string) *problem {
	return &problem{name: name, kind: ErrSyntax,
		msg: "arithmetic applies only to date parameters, not ${" + name + "}"}
}

// Check reports the malformed references in text and the names that are
// neither built-ins nor known. It needs no date. known may be nil.
func Check(text string, known func(name string) bool) []Issue {
	segs, syntax := scan(text)
	var issues []Issue
	add := func(off int, name, msg string) {
		line, col := position(text, off)
		issues = append(issues, Issue{Offset: off, Line: line, Col: col, Name: name, Message: msg})
	}
	for _, s := range syntax {
		add(s.offset, "", s.msg)
	}
	for _, s := range segs {
		if s.ref == nil {
			continue
		}
		if p := checkRef(s.ref, known); p != nil {
			add(s.ref.start, p.name, p.msg)
		}
	}
	sort.SliceStable(issues, func(i, j int) bool { return issues[i].Offset < issues[j].Offset })
	return issues
}

func checkRef(ref *ref, known func(string) bool) *problem {
	switch {
	case ref.airflow || dateParams[ref.name].layout != "":
	case textParams[ref.name] != nil || known != nil && known(ref.name):
		if ref.sign != 0 {
			return notDate(ref.name)
		}
	default:
		return unknown(ref)
	}
	return nil
}

// Names returns the parameter names text refers to, built-ins included,
// sorted and without repeats. Malformed references are skipped.
func Names(text string) []string {
	segs, _ := scan(text)
	seen := map[string]bool{}
	var names []string
	for _, s := range segs {
		if s.ref != nil && !seen[s.ref.name] {
			seen[s.ref.name] = true
			names = append(names, s.ref.name)
		}
	}
	sort.Strings(names)
	return names
}

// Env returns every built-in and value of c as KILN_<NAME>=value, names upper
// case, sorted: the environment of a shell or python task.
func Env(c *Context) ([]string, error) {
	r, err := newRenderer(c)
	if err != nil {
		return nil, err
	}
	var env []string
	for _, name := range Builtins() {
		v, _ := r.lookup(&ref{name: name})
		env = append(env, envName(name)+"="+v)
	}
	names := make([]string, 0, len(c.Values))
	for name := range c.Values {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		v, p := r.value(name)
		if p != nil {
			return nil, &Error{Name: p.name, Message: p.msg, Err: p.kind}
		}
		env = append(env, envName(name)+"="+v)
	}
	sort.Strings(env)
	return env, nil
}

func envName(name string) string { return "KILN_" + strings.ToUpper(name) }
