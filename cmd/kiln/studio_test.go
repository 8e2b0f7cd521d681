package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/api"
	"github.com/kilnhq/kiln/cli"
	"github.com/kilnhq/kiln/client"
	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/meta"
)

func ptr[T any](v T) *T { return &v }

// The studio's settings panel: PATCH …/settings rewrites the header of the
// task's file and saves a new version through the same checks as PUT …/file.
func TestAPI_TaskSettings(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", salesProject(t))
	c, ctx := k.client(), context.Background()
	base := "/api/v1/projects/shop/tasks/"

	change := api.TaskSettings{
		Schedule: &api.ScheduleSetting{Cron: "15 4 * * *", Timezone: "Asia/Shanghai"},
		Retries:  ptr(2), RetryDelay: ptr("2m"), Timeout: ptr("30m"), Pool: ptr("heavy"), Tier: ptr("core"), Owner: ptr("ann"),
		Message: "from the settings panel",
	}
	var res api.SaveTaskResult
	if err := c.JSON(ctx, "PATCH", base+"total/settings", change, &res); err != nil {
		t.Fatal(err)
	}
	sp := res.Current.Spec
	if !res.Changed || res.Current.Version != 2 || res.Current.Message != change.Message || sp.Retries != 2 ||
		sp.RetryDelay.Std() != 2*time.Minute || sp.Timeout.Std() != 30*time.Minute || sp.Pool != "heavy" || sp.Tier != meta.TierCore ||
		sp.Owner != "ann" || sp.Schedule != (meta.Schedule{Cron: "15 4 * * *", Timezone: "Asia/Shanghai"}) ||
		!slices.Equal(sp.Upstreams, []string{"sales"}) || sp.Target != "ads.total" {
		t.Fatalf("settings saved: %+v %+v", res, sp)
	}
	var f api.TaskFile
	if err := c.JSON(ctx, "GET", base+"total/file", nil, &f); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.Content, "retries: 2") || !strings.Contains(f.Content, "SELECT dt, sum(amount) AS amount FROM dwd.sales GROUP BY dt") {
		t.Fatalf("file after settings:\n%s", f.Content)
	}
	// The same settings again save nothing.
	if err := c.JSON(ctx, "PATCH", base+"total/settings", change, &res); err != nil || res.Changed || res.Current.Version != 2 {
		t.Fatalf("unchanged: %v %+v", err, res)
	}
	// Emptied settings fall back to the project defaults; upstreams can go.
	res = api.SaveTaskResult{}
	if err := c.JSON(ctx, "PATCH", base+"total/settings", api.TaskSettings{Pool: ptr(""), Owner: ptr(""), Upstreams: &[]string{}}, &res); err != nil {
		t.Fatal(err)
	}
	if sp := res.Current.Spec; res.Current.Version != 3 || sp.Owner != "tester" || sp.Pool != "" || len(sp.Upstreams) != 0 || sp.Retries != 2 {
		t.Fatalf("defaults back: %+v", sp)
	}

	// Bad settings: 422 with the problems, nothing saved.
	for name, tt := range map[string]struct {
		req  api.TaskSettings
		want string
	}{
		"bad cron":         {api.TaskSettings{Schedule: &api.ScheduleSetting{Cron: "0 25 * * *"}}, "bad cron"},
		"bad time zone":    {api.TaskSettings{Schedule: &api.ScheduleSetting{Cron: "0 2 * * *", Timezone: "Mars/Olympus"}}, "unknown time zone"},
		"unknown upstream": {api.TaskSettings{Upstreams: &[]string{"sales", "nope"}}, "unknown task nope"},
		"negative retries": {api.TaskSettings{Retries: ptr(-1)}, "retries: must not be negative"},
		"bad duration":     {api.TaskSettings{Timeout: ptr("soon")}, "timeout"},
		"bad tier":         {api.TaskSettings{Tier: ptr("gold")}, "tier"},
		"cycle":            {api.TaskSettings{Upstreams: &[]string{"total"}}, "cycle"},
		"setting with */":  {api.TaskSettings{Owner: ptr("a */ b")}, "*/"},
	} {
		task := "total"
		if name == "cycle" {
			if err := c.JSON(ctx, "PATCH", base+"total/settings", api.TaskSettings{Upstreams: &[]string{"sales"}}, nil); err != nil {
				t.Fatal(err)
			}
			task = "sales"
		}
		err := c.JSON(ctx, "PATCH", base+task+"/settings", tt.req, nil)
		var ce *client.Error
		if !errorsAs(err, &ce) || ce.Status != http.StatusUnprocessableEntity || ce.Code != "invalid_task" || !strings.Contains(string(ce.Details), tt.want) {
			t.Errorf("%s: %v %s", name, err, detailsOf(ce))
		}
	}
	var vs []meta.Version
	if err := c.JSON(ctx, "GET", base+"sales/versions", nil, &vs); err != nil || len(vs) != 1 {
		t.Fatalf("sales changed by refused settings: %v %d", err, len(vs))
	}

	// Unknown task, malformed body.
	var ce *client.Error
	if err := c.JSON(ctx, "PATCH", base+"nope/settings", change, nil); !errorsAs(err, &ce) || ce.Status != http.StatusNotFound {
		t.Fatalf("unknown task: %v", err)
	}
	if err := c.JSON(ctx, "PATCH", base+"total/settings", map[string]any{"retries": "two"}, nil); !errorsAs(err, &ce) || ce.Status != http.StatusBadRequest {
		t.Fatalf("malformed: %v", err)
	}

	// A viewer may preview but not change settings.
	viewer := addViewer(t, k, "shop")
	if err := viewer.JSON(ctx, "PATCH", base+"total/settings", change, nil); !errorsAs(err, &ce) || ce.Status != http.StatusForbidden {
		t.Fatalf("viewer: %v", err)
	}
	var pv api.SchedulePreview
	if err := viewer.JSON(ctx, "GET", "/api/v1/projects/shop/schedule/preview?cron=0+2+*+*+*", nil, &pv); err != nil || len(pv.Next) != 5 {
		t.Fatalf("viewer preview: %v %+v", err, pv)
	}
}

// addViewer adds a user with the viewer role in a project and returns their client.
func addViewer(t *testing.T, k *kiln, project string) *client.Client {
	t.Helper()
	ctx := context.Background()
	admin := k.client()
	if err := admin.JSON(ctx, "POST", "/api/v1/users", api.CreateUserRequest{Name: "vic", Password: "viewer-pass-1"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := admin.JSON(ctx, "PUT", "/api/v1/projects/"+project+"/members/vic", api.SetMemberRequest{Role: meta.RoleViewer}, nil); err != nil {
		t.Fatal(err)
	}
	login, err := client.New(k.addr, "").Login(ctx, "vic", "viewer-pass-1")
	if err != nil {
		t.Fatal(err)
	}
	return client.New(k.addr, login.Token)
}

func detailsOf(ce *client.Error) string {
	if ce == nil {
		return ""
	}
	return string(ce.Details)
}

// The schedule preview lists the scheduler's own fires and bizdates.
func TestAPI_SchedulePreview(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", salesProject(t))
	c, ctx := k.client(), context.Background()
	get := func(q url.Values) (api.SchedulePreview, error) {
		var pv api.SchedulePreview
		err := c.JSON(ctx, "GET", "/api/v1/projects/shop/schedule/preview?"+q.Encode(), nil, &pv)
		return pv, err
	}
	pv, err := get(url.Values{"cron": {"0 2 * * *"}, "timezone": {"Asia/Shanghai"}, "from": {"2026-01-15T00:00:00Z"}, "n": {"3"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-01-16 02:00 2026-01-15", "2026-01-17 02:00 2026-01-16", "2026-01-18 02:00 2026-01-17"}
	var got []string
	for _, f := range pv.Next {
		got = append(got, f.Local+" "+f.Bizdate)
	}
	if pv.Error != "" || pv.Cycle != "daily" || !slices.Equal(got, want) || pv.Next[0].At.Format(time.RFC3339) != "2026-01-16T02:00:00+08:00" {
		t.Fatalf("daily preview: %+v", pv)
	}
	// Hourly: each fire runs the hour before it.
	pv, err = get(url.Values{"cron": {"5 * * * *"}, "timezone": {"UTC"}, "from": {"2026-01-15T10:30:00Z"}, "n": {"2"}})
	if err != nil || len(pv.Next) != 2 || pv.Next[0].Local != "2026-01-15 11:05" || pv.Next[0].Bizdate != "2026-01-15" || pv.Next[0].Hour != 10 {
		t.Fatalf("hourly preview: %v %+v", err, pv)
	}
	// A start past the year 2999 is refused (fires after 9999 cannot be written).
	if _, err := get(url.Values{"cron": {"0 0 29 2 1"}, "n": {"50"}, "from": {"9999-01-01T00:00:00Z"}}); !isStatus(err, 400) {
		t.Errorf("from 9999: %v", err)
	}
	// Bad crons and zones come back as the error, without fires.
	for _, q := range []url.Values{{"cron": {"0 25 * * *"}}, {"cron": {"@every 5m"}}, {"cron": {""}}, {"cron": {"0 2 * * *"}, "timezone": {"Mars/Olympus"}}} {
		pv, err := get(q)
		if err != nil || pv.Error == "" || len(pv.Next) != 0 {
			t.Errorf("%v: %v %+v", q, err, pv)
		}
	}
	var ce *client.Error
	for _, q := range []url.Values{{"cron": {"0 2 * * *"}, "n": {"0"}}, {"cron": {"0 2 * * *"}, "n": {"51"}}, {"cron": {"0 2 * * *"}, "from": {"yesterday"}}} {
		if _, err := get(q); !errorsAs(err, &ce) || ce.Status != http.StatusBadRequest {
			t.Errorf("%v: %v", q, err)
		}
	}
}

// Upstream advice from lineage, and the editor's completions from the catalog.
func TestAPI_UpstreamAdviceAndCompletions(t *testing.T) {
	k := startKiln(t, cli.ServerOptions{})
	k.mustCLI("apply", salesProject(t))
	c, ctx := k.client(), context.Background()
	base := "/api/v1/projects/shop/"

	// total reads dwd.sales, which sales writes: declared, so no advice.
	var adv lineage.UpstreamAdvice
	if err := c.JSON(ctx, "GET", base+"tasks/total/upstream-advice", nil, &adv); err != nil || len(adv.Missing)+len(adv.Unneeded) != 0 {
		t.Fatalf("advice: %v %+v", err, adv)
	}
	other := api.TaskFile{Path: "tasks/dwd/other.sql", Content: "/* kiln\ntarget: dwd.other\n*/\nSELECT 1 AS id\n"}
	if err := c.JSON(ctx, "PUT", base+"tasks/other/file", other, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.JSON(ctx, "PATCH", base+"tasks/total/settings", api.TaskSettings{Upstreams: &[]string{"other"}}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.JSON(ctx, "GET", base+"tasks/total/upstream-advice", nil, &adv); err != nil || len(adv.Missing) != 1 ||
		adv.Missing[0].Task != "sales" || !slices.Equal(adv.Missing[0].Tables, []string{"dwd.sales"}) || !slices.Equal(adv.Unneeded, []string{"other"}) {
		t.Fatalf("advice: %v %+v", err, adv)
	}
	var ce *client.Error
	if err := c.JSON(ctx, "GET", base+"tasks/nope/upstream-advice", nil, nil); !errorsAs(err, &ce) || ce.Status != http.StatusNotFound {
		t.Fatalf("unknown task: %v", err)
	}

	// Before a run the catalog does not know dwd.sales: it is offered as a
	// task's target without columns; after a run and a crawl with them.
	var comp api.Completions
	if err := c.JSON(ctx, "GET", base+"completions", nil, &comp); err != nil {
		t.Fatal(err)
	}
	if tb := findCompletion(comp, "dwd", "sales"); tb == nil || tb.Kind != "task" || comp.Engines["warehouse"] != "duckdb" {
		t.Fatalf("completions before a run: %+v", comp)
	}
	names := map[string]api.CompletionParam{}
	for _, p := range comp.Params {
		names[p.Name] = p
	}
	if names["bizdate"].Kind != "builtin" || names["bizdate"].Example != comp.Bizdate || names["bizdate-1d"].Kind != "arithmetic" || names["month_end-1m"].Example == "" {
		t.Fatalf("params: %+v", comp.Params)
	}
	if err := c.JSON(ctx, "POST", base+"tasks/sales/runs", api.RunRequest{Bizdate: "2026-01-15"}, nil); err != nil {
		t.Fatal(err)
	}
	if i := k.waitInstances("shop", url.Values{"task": {"sales"}, "from": {"2026-01-15"}, "to": {"2026-01-15"}}, 1); i[0].State != meta.StateSuccess {
		t.Fatalf("run: %s %s", i[0].State, i[0].Error)
	}
	if err := c.JSON(ctx, "POST", base+"datamap/crawl", nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.JSON(ctx, "GET", base+"completions?engine=warehouse", nil, &comp); err != nil {
		t.Fatal(err)
	}
	tb := findCompletion(comp, "dwd", "sales")
	var cols []string
	if tb != nil {
		for _, col := range tb.Columns {
			cols = append(cols, col.Name)
		}
	}
	if tb == nil || tb.Kind == "task" || !slices.Equal(cols, []string{"id", "amount", "dt"}) {
		t.Fatalf("completions after a crawl: %+v", tb)
	}
	if err := c.JSON(ctx, "GET", base+"completions?engine=nope", nil, &comp); err != nil || len(comp.Tables) != 0 {
		t.Fatalf("other engine: %v %+v", err, comp.Tables)
	}
}

func findCompletion(c api.Completions, schema, name string) *api.CompletionTable {
	for i, t := range c.Tables {
		if t.Schema == schema && t.Name == name {
			return &c.Tables[i]
		}
	}
	return nil
}
