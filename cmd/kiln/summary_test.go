package main

import (
	"context"
	"math"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/scheduler"
)

// TestAPI_OpsSummaryGroups: the ops summary grouped by owner, tier and
// project, filtered, across the caller's projects only, and its bad inputs
// refused with 400 and a message saying what is wrong.
func TestAPI_OpsSummaryGroups(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	files := map[string]string{
		"kiln.yaml":  projectFile("dash", ""),
		"tasks/a.sh": "# kiln:\n#   schedule: \"0 2 * * *\"\n#   owner: ann\n#   tier: core\necho a\n",
		"tasks/b.sh": "# kiln:\n#   schedule: \"0 2 * * *\"\n#   owner: bob\n#   upstreams: [a]\necho b\n",
	}
	k.mustCLI("apply", writeProject(t, files))
	k.mustCLI("backfill", "a", "--from", "2024-02-01", "--to", "2024-02-02", "--downstream", "-p", "dash")
	k.waitInstances("dash", url.Values{"from": {"2024-02-01"}, "to": {"2024-02-02"}}, 4)
	ctx := context.Background()
	get := func(c *client.Client, path string) ([]scheduler.Summary, error) {
		var out []scheduler.Summary
		err := c.JSON(ctx, "GET", path, nil, &out)
		return out, err
	}
	groups := func(sum []scheduler.Summary) string {
		var b strings.Builder
		for _, s := range sum {
			b.WriteString(s.Bizdate + ":" + s.Group + "=" + strconv.Itoa(s.Total) + " ")
		}
		return strings.TrimSpace(b.String())
	}
	base := "/api/v1/projects/dash/ops/summary?from=2024-02-01&to=2024-02-02"
	for _, c := range []struct{ query, want string }{
		{"", "2024-02-01:=2 2024-02-02:=2"},
		{"&group_by=owner", "2024-02-01:ann=1 2024-02-01:bob=1 2024-02-02:ann=1 2024-02-02:bob=1"},
		{"&group_by=tier", "2024-02-01:core=1 2024-02-01:normal=1 2024-02-02:core=1 2024-02-02:normal=1"},
		{"&group_by=owner&tier=core", "2024-02-01:ann=1 2024-02-02:ann=1"},
		{"&group_by=tier&owner=bob", "2024-02-01:normal=1 2024-02-02:normal=1"},
		{"&group_by=owner&top=1", "2024-02-01:ann=1 2024-02-01:=1 2024-02-02:ann=1 2024-02-02:=1"},
	} {
		sum, err := get(k.client(), base+c.query)
		if err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		if got := groups(sum); got != c.want {
			t.Errorf("summary%s: %s, want %s", c.query, got, c.want)
		}
	}
	sum, err := get(k.client(), base+"&group_by=owner&top=1")
	if err != nil || len(sum) != 4 || !sum[1].Others || sum[0].Others || sum[0].SuccessRate != 1 || sum[0].Project != "dash" {
		t.Fatalf("top 1: %+v %v", sum, err)
	}
	if s := sum[0]; s.P95DurationMs <= 0 || s.TotalDurationMs < s.P95DurationMs || math.Abs(s.CPUHours*3600-s.CPUSeconds) > 1e-9 || s.OnTimeRate != -1 {
		t.Errorf("figures of %+v", s)
	}

	// Across projects: grouped by project by default, only the caller's.
	all, err := get(k.client(), "/api/v1/ops/summary?from=2024-02-01&to=2024-02-02")
	if err != nil || groups(all) != "2024-02-01:dash=2 2024-02-02:dash=2" || all[0].Project != "dash" {
		t.Fatalf("all projects: %+v %v", all, err)
	}
	if all, err = get(k.client(), "/api/v1/ops/summary?from=2024-02-01&to=2024-02-02&group_by=owner&owner=bob"); err != nil ||
		groups(all) != "2024-02-01:bob=1 2024-02-02:bob=1" {
		t.Fatalf("all projects by owner: %+v %v", all, err)
	}
	admin := k.client()
	if err := admin.JSON(ctx, "POST", "/api/v1/users", api.CreateUserRequest{Name: "olga", Password: "outsider-pass-1"}, nil); err != nil {
		t.Fatal(err)
	}
	login, err := client.New(k.addr, "").Login(ctx, "olga", "outsider-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	olga := client.New(k.addr, login.Token)
	if all, err := get(olga, "/api/v1/ops/summary?from=2024-02-01&to=2024-02-02"); err != nil || len(all) != 0 {
		t.Fatalf("a user of no project sees %+v %v", all, err)
	}
	if _, err := get(olga, base); !isStatus(err, 403) {
		t.Fatalf("a user of no project reads the project's summary: %v", err)
	}
	if err := admin.JSON(ctx, "PUT", "/api/v1/projects/dash/members/olga", api.SetMemberRequest{Role: meta.RoleViewer}, nil); err != nil {
		t.Fatal(err)
	}
	if all, err := get(olga, "/api/v1/ops/summary?from=2024-02-01&to=2024-02-02"); err != nil || groups(all) != "2024-02-01:dash=2 2024-02-02:dash=2" {
		t.Fatalf("a viewer of dash sees %+v %v", all, err)
	}

	// Bad input.
	for _, c := range []struct{ query, msg string }{
		{"?group_by=foo", `group_by must be owner, tier, project or none, got "foo"`},
		{"?from=2024-02-30", `from must be a date like 2024-03-01, got "2024-02-30"`},
		{"?to=yesterday", `to must be a date like 2024-03-01, got "yesterday"`},
		{"?from=2024-03-01&to=2024-02-01", "from (2024-03-01) is after to (2024-02-01)"},
		{"?from=2023-01-01&to=2024-02-01", "the range covers 397 days; at most 366 are summarized at once"},
		{"?top=-1", "top must be between 0 (all groups) and 100, got -1"},
		{"?top=x", "query parameter top must be a whole number"},
		{"?tier=gold", `unknown tier "gold" (want core or normal)`},
	} {
		for _, path := range []string{"/api/v1/projects/dash/ops/summary", "/api/v1/ops/summary"} {
			_, err := get(k.client(), path+c.query)
			var ae *client.Error
			if !errorsAs(err, &ae) || ae.Status != 400 || ae.Code != "bad_request" || !strings.Contains(ae.Message, c.msg) {
				t.Errorf("%s%s: %v, want 400 %q", path, c.query, err, c.msg)
			}
		}
	}
	// top needs groups: the project summary has none unless asked for; the
	// all-projects one groups by project.
	if _, err := get(k.client(), "/api/v1/projects/dash/ops/summary?top=3"); err == nil || !strings.Contains(err.Error(), "top keeps the largest groups, so it needs group_by") {
		t.Errorf("top without group_by: %v", err)
	}
	if _, err := get(k.client(), "/api/v1/ops/summary?top=3&from=2024-02-01&to=2024-02-02"); err != nil {
		t.Errorf("top over projects: %v", err)
	}
	if _, err := get(k.client(), "/api/v1/ops/summary?top=3&group_by=none"); err == nil {
		t.Errorf("top with group_by=none over projects: accepted")
	}
	// 366 days is the most.
	if _, err := get(k.client(), "/api/v1/projects/dash/ops/summary?from=2023-02-02&to=2024-02-01"); err != nil {
		t.Errorf("366 days: %v", err)
	}
}
