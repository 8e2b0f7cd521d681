package project

import (
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoad_PoolsAndSections(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, yaml         string
		pools              map[string]int
		alertsSet, poolSet bool
		problem            string
	}{
		{name: "none", yaml: ""},
		{name: "pools", yaml: "pools:\n  etl: 4\n  duckdb: 1\n", pools: map[string]int{"etl": 4, "duckdb": 1}, poolSet: true},
		{name: "empty sections", yaml: "pools:\nalerts:\n", alertsSet: true, poolSet: true},
		{name: "zero slots", yaml: "pools:\n  etl: 0\n", poolSet: true, problem: "kiln.yaml:3:8: pools: pool etl: slots must be at least 1, got 0"},
		{name: "bad name", yaml: "pools:\n  \"a b\": 2\n", poolSet: true, problem: `pool name "a b"`},
		{name: "not a number", yaml: "pools:\n  etl: many\n", poolSet: true, problem: "pools.etl: want a whole number"},
		{name: "not a mapping", yaml: "pools: [etl]\n", poolSet: true, problem: "pools: want a mapping of pool name: slots"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			p, probs := Load(fstest.MapFS{"kiln.yaml": {Data: []byte("name: tiny\n" + c.yaml)}, "tasks/a.sh": {Data: []byte("echo a\n")}})
			var all []string
			for _, pr := range probs {
				all = append(all, pr.String())
			}
			if got := strings.Join(all, "\n"); c.problem == "" && got != "" || !strings.Contains(got, c.problem) {
				t.Fatalf("problems %q, want %q", got, c.problem)
			}
			if c.problem != "" {
				return
			}
			if !reflect.DeepEqual(p.Config.Pools, c.pools) || p.AlertsSet != c.alertsSet || p.PoolsSet != c.poolSet {
				t.Errorf("pools %v alerts set %v pools set %v", p.Config.Pools, p.AlertsSet, p.PoolsSet)
			}
		})
	}
}
