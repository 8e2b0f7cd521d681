package main

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
)

// TestOps_InstanceListOwnerTierCount: the instance list filters on the
// task's owner and tier, the count route counts the whole filter whatever
// the page, and a bad tier is refused.
func TestOps_InstanceListOwnerTierCount(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	dir := writeProject(t, map[string]string{
		"kiln.yaml":  projectFile("lst", ""),
		"tasks/a.sh": "# kiln:\n#   schedule: \"0 2 * * *\"\n#   owner: ann\n#   tier: core\necho a\n",
		"tasks/b.sh": shellTask("0 2 * * *", []string{"a"}, "echo b"),
	})
	k.mustCLI("apply", dir)
	k.mustCLI("backfill", "a", "--from", "2024-02-01", "--to", "2024-02-03", "--downstream", "-p", "lst")
	k.waitInstances("lst", url.Values{"from": {"2024-02-01"}, "to": {"2024-02-03"}}, 6)

	ctx := context.Background()
	for _, c := range []struct {
		q    string
		want int
		task string // every listed instance's task, when set
	}{
		{"", 6, ""},
		{"owner=ann", 3, "a"},
		{"owner=tester", 3, "b"},
		{"owner=nobody", 0, ""},
		{"tier=core", 3, "a"},
		{"tier=normal", 3, "b"},
		{"owner=tester&tier=core", 0, ""},
		{"owner=ann&from=2024-02-02", 2, "a"},
		{"tier=core&state=success", 3, "a"},
	} {
		// The scheduler plans today's instances too: keep to the backfill's days.
		c.q += "&from=2024-02-01&to=2024-02-03"
		if strings.Contains(c.q, "from=2024-02-02") {
			c.q = strings.Replace(c.q, "&from=2024-02-01", "", 1)
		}
		insts, err := k.client().Instances(ctx, "lst", mustQuery(t, c.q))
		if err != nil {
			t.Fatal(c.q, err)
		}
		var n api.InstanceCount
		if err := k.client().JSON(ctx, "GET", "/api/v1/projects/lst/instances/count?"+c.q+"&limit=1", nil, &n); err != nil {
			t.Fatal(c.q, err)
		}
		if len(insts) != c.want || n.Total != c.want {
			t.Errorf("%s: listed %d, counted %d, want %d", c.q, len(insts), n.Total, c.want)
		}
		for _, i := range insts {
			if c.task != "" && i.TaskName != c.task {
				t.Errorf("%s: listed %s", c.q, i.TaskName)
			}
		}
	}
	// A page of one still counts the whole filter.
	var n api.InstanceCount
	if err := k.client().JSON(ctx, "GET", "/api/v1/projects/lst/instances/count?owner=ann&to=2024-02-03&limit=1&offset=2", nil, &n); err != nil || n.Total != 3 {
		t.Fatalf("count of a page: %+v %v", n, err)
	}
	if _, err := k.client().Instances(ctx, "lst", mustQuery(t, "offset=-5")); !isStatus(err, 400) {
		t.Errorf("offset=-5: %v", err)
	}
	for _, q := range []string{"tier=gold", "from=yesterday"} {
		if _, err := k.client().Instances(ctx, "lst", mustQuery(t, q)); !isStatus(err, 400) {
			t.Errorf("%s: %v", q, err)
		}
		if err := k.client().JSON(ctx, "GET", "/api/v1/projects/lst/instances/count?"+q, nil, &n); !isStatus(err, 400) {
			t.Errorf("count %s: %v", q, err)
		}
	}
}

func mustQuery(t *testing.T, q string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(q)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
