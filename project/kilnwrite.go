package project

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/parser"

	"github.com/kilnhq/kiln/meta"
)

// SetAlerts returns the kiln.yaml text src with its top-level alerts:
// section replaced by cfg (added at the end when src has none; removed when
// cfg is nil or empty). Every other line of src is kept byte for byte. It
// fails, changing nothing, when src cannot be rewritten safely: kiln.yaml
// has problems, or the result would not read back as cfg with the rest of
// the file unchanged.
func SetAlerts(src []byte, cfg *meta.AlertConfig) ([]byte, error) {
	var section []byte
	if cfg != nil && !emptyJSON(cfg) {
		b, err := MarshalAlerts(cfg)
		if err != nil {
			return nil, err
		}
		section = append([]byte("alerts:\n"), indent(b)...)
	}
	return setSection(src, "alerts", section, func(p *Project) bool {
		if section == nil {
			return !p.AlertsSet
		}
		return p.AlertsSet && sameJSON(p.Config.Alerts, cfg)
	})
}

// SetPools is SetAlerts for the pools: section: pool name to slots, nil or
// empty for none.
func SetPools(src []byte, pools map[string]int) ([]byte, error) {
	var section []byte
	if len(pools) > 0 {
		b, err := yaml.Marshal(map[string]map[string]int{"pools": pools})
		if err != nil {
			return nil, err
		}
		section = b
	}
	return setSection(src, "pools", section, func(p *Project) bool {
		if section == nil {
			return !p.PoolsSet
		}
		return p.PoolsSet && maps.Equal(p.Config.Pools, pools)
	})
}

// MarshalAlerts writes alert settings as the YAML users write in kiln.yaml's
// alerts: section (without the alerts: key): sequences indented under their
// key, durations as short as they go (30m, not 30m0s).
func MarshalAlerts(cfg *meta.AlertConfig) ([]byte, error) {
	return yaml.MarshalWithOptions(cfg, yaml.IndentSequence(true),
		yaml.CustomMarshaler[meta.Duration](func(d meta.Duration) ([]byte, error) {
			return []byte(shortDuration(time.Duration(d))), nil
		}))
}

// shortDuration is d as Go writes it, without zero minutes and seconds at
// the end: 30m, 1h, 1h30m, 90s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// indent puts two spaces before each non-empty line.
func indent(b []byte) []byte {
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(b, []byte("\n")) {
		if len(bytes.TrimSpace(line)) > 0 {
			out.WriteString("  ")
		}
		out.Write(line)
	}
	return out.Bytes()
}

// setSection replaces the lines of kiln.yaml's top-level key (section nil:
// removes them; no such key: appends section) and checks that the result
// reads back with no problems, as want says, and with every other setting
// as src had it.
func setSection(src []byte, key string, section []byte, want func(*Project) bool) ([]byte, error) {
	before, err := readBack(src)
	if err != nil {
		return nil, err
	}
	out, err := replaceSection(src, key, section)
	if err != nil {
		return nil, err
	}
	after, err := readBack(out)
	if err != nil {
		return nil, fmt.Errorf("the rewritten file would not read back: %w", err)
	}
	if !want(after) || !reflect.DeepEqual(without(before, key), without(after, key)) {
		return nil, fmt.Errorf("the rewritten %s: section would not read back as written; edit kiln.yaml by hand", key)
	}
	return out, nil
}

// readBack reads a kiln.yaml text, failing on any problem in it.
func readBack(src []byte) (*Project, error) {
	var probs problems
	pf := readProjectFile(string(src), &probs)
	if len(probs) == 0 {
		pf.taskDirList(&probs)
	}
	if len(probs) > 0 {
		msgs := make([]string, 0, len(probs))
		for _, p := range probs.sorted() {
			msgs = append(msgs, p.String())
		}
		return nil, fmt.Errorf("kiln.yaml has %d problem(s), fix them first: %s", len(msgs), strings.Join(msgs, "; "))
	}
	p := *pf.p
	p.TaskDirs = nil
	for _, it := range pf.taskDirs {
		p.TaskDirs = append(p.TaskDirs, it.value)
	}
	return &p, nil
}

// without is p with key's section left out, to compare the rest.
func without(p *Project, key string) Project {
	c := *p
	switch key {
	case "alerts":
		c.Config.Alerts, c.AlertsSet = nil, false
	case "pools":
		c.Config.Pools, c.PoolsSet = nil, false
	}
	return c
}

// replaceSection does the line work of setSection. The key's lines run from
// the key to the last indented (or "- ") line before the next top-level key;
// comment and blank lines at the start of a line after them stay.
func replaceSection(src []byte, key string, section []byte) ([]byte, error) {
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return nil, fmt.Errorf("kiln.yaml is not valid YAML: %w", err)
	}
	if len(f.Docs) != 1 || f.Docs[0].Body == nil {
		return nil, errors.New("kiln.yaml must hold one YAML mapping")
	}
	it, ok := mapIter(f.Docs[0].Body)
	if !ok {
		return nil, errors.New("kiln.yaml must hold one YAML mapping")
	}
	keyLine, nextLine := 0, 0
	for it.Next() {
		tk := it.Key().GetToken()
		if tk == nil || tk.Position == nil {
			return nil, errors.New("kiln.yaml: a top-level key has no position")
		}
		if tk.Position.Column != 1 {
			return nil, fmt.Errorf("kiln.yaml: top-level key %q does not start its line; write the file as key: value lines", keyName(it.Key()))
		}
		line := tk.Position.Line
		switch {
		case keyName(it.Key()) == key:
			if keyLine != 0 {
				return nil, fmt.Errorf("kiln.yaml has %s: twice", key)
			}
			keyLine = line
		case keyLine != 0 && line > keyLine && (nextLine == 0 || line < nextLine):
			nextLine = line
		}
	}

	lines := bytes.SplitAfter(src, []byte("\n"))
	if len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	eol := []byte("\n")
	if len(lines) > 0 && bytes.HasSuffix(lines[0], []byte("\r\n")) {
		eol = []byte("\r\n")
		section = bytes.ReplaceAll(section, []byte("\n"), eol)
	}
	var out bytes.Buffer
	if keyLine == 0 {
		out.Write(src)
		if len(section) > 0 && len(src) > 0 && !bytes.HasSuffix(src, []byte("\n")) {
			out.Write(eol)
		}
		out.Write(section)
		return out.Bytes(), nil
	}
	start := keyLine - 1 // 0-based index of the key's line
	end := len(lines)    // 0-based index past the last line to look at
	if nextLine != 0 {
		end = nextLine - 1
	}
	last := start
	for i := start + 1; i < end; i++ {
		if l := lines[i]; len(bytes.TrimSpace(l)) > 0 && (l[0] == ' ' || l[0] == '\t' || bytes.HasPrefix(l, []byte("- ")) || bytes.Equal(bytes.TrimRight(l, "\r\n"), []byte("-"))) {
			last = i
		}
	}
	for _, l := range lines[:start] {
		out.Write(l)
	}
	out.Write(section)
	if len(section) > 0 && last+1 == len(lines) && !bytes.HasSuffix(lines[last], []byte("\n")) {
		// The file ended without a newline: keep it that way.
		out.Truncate(out.Len() - len(eol))
	}
	for _, l := range lines[last+1:] {
		out.Write(l)
	}
	return out.Bytes(), nil
}

// emptyJSON reports whether v has no settings at all.
func emptyJSON(v any) bool { return sameJSON(v, struct{}{}) }

// sameJSON reports whether a and b hold the same settings, counting absent,
// null, zero and empty values as the same.
func sameJSON(a, b any) bool {
	na, errA := pruned(a)
	nb, errB := pruned(b)
	return errA == nil && errB == nil && reflect.DeepEqual(na, nb)
}

func pruned(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var x any
	if err := json.Unmarshal(b, &x); err != nil {
		return nil, err
	}
	return prune(x), nil
}

// prune drops null, zero and empty values from a decoded JSON value.
func prune(x any) any {
	switch v := x.(type) {
	case map[string]any:
		for k, e := range v {
			if e = prune(e); e == nil {
				delete(v, k)
			} else {
				v[k] = e
			}
		}
		if len(v) == 0 {
			return nil
		}
		return v
	case []any:
		for i, e := range v {
			v[i] = prune(e)
		}
		if len(v) == 0 {
			return nil
		}
		return v
	case string:
		if v == "" {
			return nil
		}
	case float64:
		if v == 0 {
			return nil
		}
	case bool:
		if !v {
			return nil
		}
	}
	return x
}
