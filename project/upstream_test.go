package project

import (
	"slices"
	"strings"
	"testing"
)

func TestLoad_StructuredUpstreams(t *testing.T) {
	sql := func(header, body string) string { return "/* kiln\n" + header + "\n*/\n" + body + "\n" }
	t.Parallel()
	fsys := setup(t, map[string]string{"tasks/b.sql": sql(`upstreams:
  - a
  - {task: a, period: previous}
  - {task: orders, project: shop}
  - other.users@previous
  - {task: b, period: previous}`, "SELECT 1")})
	p, problems := Load(fsys)
	if len(problems) > 0 {
		t.Fatalf("problems: %v", problems)
	}
	var ups []string
	for _, s := range p.Tasks {
		if s.Name == "b" {
			ups = s.Upstreams
		}
	}
	want := []string{"a", "a@previous", "shop.orders", "other.users@previous", "b@previous"}
	if !slices.Equal(ups, want) {
		t.Fatalf("upstreams %v, want %v", ups, want)
	}

	_, problems = Load(setup(t, map[string]string{"tasks/b.sql": sql("upstreams:\n  - {task: a, period: someday}\n  - {period: same}", "SELECT 1")}))
	var msgs []string
	for _, pr := range problems {
		msgs = append(msgs, pr.String())
	}
	all := strings.Join(msgs, "\n")
	for _, w := range []string{"period must be same or previous", "needs task: NAME"} {
		if !strings.Contains(all, w) {
			t.Fatalf("problems lack %q:\n%s", w, all)
		}
	}
}
