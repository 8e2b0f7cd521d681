package main

import (
	"context"
	"net/url"
	"testing"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
)

// TestOps_DayGraph: a day's instances come back with the dependency edges
// among them (a → b → c of the ops project), and a bad date is refused.
func TestOps_DayGraph(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", opsProject(t))
	k.mustCLI("backfill", "a", "--from", "2024-02-01", "--to", "2024-02-01", "--downstream", "-p", "ops")
	k.waitInstances("ops", url.Values{"from": {"2024-02-01"}, "to": {"2024-02-01"}}, 3)

	var g api.DayGraph
	if err := k.client().JSON(context.Background(), "GET", "/api/v1/projects/ops/ops/daygraph?date=2024-02-01", nil, &g); err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, n := range g.Nodes {
		ids[n.Task] = n.ID
		if n.State != "success" || n.StartedAt == nil || n.EndedAt == nil {
			t.Fatalf("node %+v", n)
		}
	}
	if len(g.Nodes) != 3 || len(g.Edges) != 2 || g.Truncated {
		t.Fatalf("graph %+v", g)
	}
	want := map[api.DayEdge]bool{{Source: ids["a"], Target: ids["b"]}: true, {Source: ids["b"], Target: ids["c"]}: true}
	for _, e := range g.Edges {
		if !want[e] {
			t.Fatalf("unexpected edge %+v in %+v", e, g)
		}
	}
	err := k.client().JSON(context.Background(), "GET", "/api/v1/projects/ops/ops/daygraph?date=yesterday", nil, &g)
	if !isStatus(err, 400) {
		t.Fatalf("bad date: %v", err)
	}
}
