package apply

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/pmezard/go-difflib/difflib"

	"github.com/kilnhq/kiln/meta"
)

// SpecText renders a task spec as reviewable text: its settings one per
// line, sorted, then its SQL or script body.
func SpecText(s meta.TaskSpec) string {
	body := s.SQL
	if body == "" {
		body = s.Script
	}
	s.SQL, s.Script = "", ""
	raw, _ := json.Marshal(s)
	var fields map[string]any
	_ = json.Unmarshal(raw, &fields)
	keys := make([]string, 0, len(fields))
	for k := range fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		v, _ := json.Marshal(fields[k])
		fmt.Fprintf(&b, "%s: %s\n", k, v)
	}
	b.WriteString("---\n")
	b.WriteString(strings.TrimRight(body, "\n"))
	b.WriteString("\n")
	return b.String()
}

// Diff returns a unified diff between two versions of a task.
func Diff(a, b *meta.Version) string {
	d := difflib.UnifiedDiff{
		A:        difflib.SplitLines(SpecText(a.Spec)),
		B:        difflib.SplitLines(SpecText(b.Spec)),
		FromFile: fmt.Sprintf("%s v%d", a.Spec.Name, a.Version),
		ToFile:   fmt.Sprintf("%s v%d", b.Spec.Name, b.Version),
		Context:  3,
	}
	out, err := difflib.GetUnifiedDiffString(d)
	if err != nil {
		return err.Error()
	}
	return out
}
