package metatest

import (
	"errors"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// queryCases are the QueryStore and DataAPIStore sub-tests.
var queryCases = []testCase{
	{"RunsHistory", queryRunsHistory}, {"SavedQueries", querySaved}, {"TableGrants", queryTableGrants},
	{"DataAPIVersions", dataAPIVersions}, {"DataApps", dataApps}, {"DataAPICalls", dataAPICalls},
}

func (f *fixture) queryStore() meta.QueryStore {
	qs, ok := f.s.(meta.QueryStore)
	if !ok {
		f.t.Fatal("store does not implement meta.QueryStore")
	}
	return qs
}

func (f *fixture) dataAPIStore() meta.DataAPIStore {
	ds, ok := f.s.(meta.DataAPIStore)
	if !ok {
		f.t.Fatal("store does not implement meta.DataAPIStore")
	}
	return ds
}

func queryRunsHistory(f *fixture) {
	t, qs, p := f.t, f.queryStore(), f.project("edu")
	since := tick()
	a := &meta.QueryRun{ProjectID: p.ID, UserName: "alice", Engine: "warehouse", SQL: "SELECT 1"}
	must(t, qs.CreateQueryRun(f.ctx, a))
	b := &meta.QueryRun{ProjectID: p.ID, UserName: "bob", Engine: "warehouse", SQL: "SELECT 2"}
	must(t, qs.CreateQueryRun(f.ctx, b))
	wantRecent(t, "started_at", a.StartedAt, since)
	end := tick()
	must(t, qs.FinishQueryRun(f.ctx, &meta.FinishQueryRunParams{ID: a.ID, Status: meta.QuerySucceeded, EndedAt: end, Rows: 7, Truncated: true}))
	got, err := qs.GetQueryRun(f.ctx, a.ID)
	must(t, err)
	if got.Status != meta.QuerySucceeded || got.Rows != 7 || !got.Truncated || got.EndedAt == nil || !got.EndedAt.Equal(end) || got.SQL != "SELECT 1" {
		t.Errorf("finished run reads back as %+v", got)
	}
	mine, err := qs.ListQueryRuns(f.ctx, &meta.ListQueryRunsParams{ProjectID: p.ID, UserName: "alice"})
	must(t, err)
	if len(mine) != 1 || mine[0].ID != a.ID {
		t.Errorf("alice's history = %+v", mine)
	}
	all, err := qs.ListQueryRuns(f.ctx, &meta.ListQueryRunsParams{ProjectID: p.ID})
	must(t, err)
	if len(all) != 2 || all[0].ID != b.ID {
		t.Errorf("history not newest first: %+v", all)
	}
	if err := qs.FinishQueryRun(f.ctx, &meta.FinishQueryRunParams{ID: 999, Status: meta.QueryFailed, EndedAt: end}); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("finish a missing run: %v, want ErrNotFound", err)
	}
}

func querySaved(f *fixture) {
	t, qs, p := f.t, f.queryStore(), f.project("edu")
	q := &meta.SavedQuery{ProjectID: p.ID, Owner: "alice", Folder: "reports", Name: "daily", SQL: "SELECT 1"}
	must(t, qs.SaveQuery(f.ctx, q))
	again := &meta.SavedQuery{ProjectID: p.ID, Owner: "alice", Folder: "reports", Name: "daily", SQL: "SELECT 2", Shared: true}
	must(t, qs.SaveQuery(f.ctx, again))
	if again.ID != q.ID || again.SQL != "SELECT 2" || !again.Shared {
		t.Errorf("re-save made %+v, want the same query (id %d) replaced", again, q.ID)
	}
	must(t, qs.SaveQuery(f.ctx, &meta.SavedQuery{ProjectID: p.ID, Owner: "alice", Name: "private", SQL: "SELECT 3"}))
	bobs, err := qs.ListSavedQueries(f.ctx, p.ID, "bob")
	must(t, err)
	if len(bobs) != 1 || bobs[0].Name != "daily" {
		t.Errorf("bob sees %+v, want only the shared query", bobs)
	}
	alices, err := qs.ListSavedQueries(f.ctx, p.ID, "alice")
	must(t, err)
	if len(alices) != 2 || alices[0].Name != "private" {
		t.Errorf("alice sees %+v, want both, by folder", alices)
	}
	must(t, qs.DeleteSavedQuery(f.ctx, q.ID))
	if _, err := qs.GetSavedQuery(f.ctx, q.ID); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("deleted query: %v", err)
	}
	wantFail(t, qs.SaveQuery(f.ctx, &meta.SavedQuery{ProjectID: p.ID, Owner: "alice"}), "save without a name")
}

func queryTableGrants(f *fixture) {
	t, qs, p := f.t, f.queryStore(), f.project("edu")
	must(t, qs.GrantTable(f.ctx, &meta.TableGrant{ProjectID: p.ID, UserName: "bob", Table: "ods.orders", GrantedBy: "admin"}))
	must(t, qs.GrantTable(f.ctx, &meta.TableGrant{ProjectID: p.ID, UserName: "bob", Table: "ods.orders", GrantedBy: "admin"}))
	must(t, qs.GrantTable(f.ctx, &meta.TableGrant{ProjectID: p.ID, UserName: "alice", Table: "dim.users"}))
	gs, err := qs.ListTableGrants(f.ctx, p.ID)
	must(t, err)
	if len(gs) != 2 || gs[0].Table != "dim.users" || gs[1].UserName != "bob" || gs[1].GrantedBy != "admin" {
		t.Errorf("grants = %+v", gs)
	}
	must(t, qs.RevokeTable(f.ctx, p.ID, "bob", "ods.orders"))
	if err := qs.RevokeTable(f.ctx, p.ID, "bob", "ods.orders"); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("revoke twice: %v, want ErrNotFound", err)
	}
}

func dataAPIVersions(f *fixture) {
	t, ds, p := f.t, f.dataAPIStore(), f.project("edu")
	a1, err := ds.PublishDataAPI(f.ctx, &meta.PublishDataAPIParams{ProjectID: p.ID, Path: "orders/by-user", Spec: `{"v":1}`, Author: "alice"})
	must(t, err)
	a2, err := ds.PublishDataAPI(f.ctx, &meta.PublishDataAPIParams{ProjectID: p.ID, Path: "orders/by-user", Spec: `{"v":2}`, Author: "bob"})
	must(t, err)
	if a1.ID != a2.ID || a1.Version != 1 || a2.Version != 2 || a2.Spec != `{"v":2}` || !a2.Online {
		t.Errorf("publishes: %+v then %+v", a1, a2)
	}
	one, off := 1, false
	back, err := ds.SetDataAPIState(f.ctx, &meta.SetDataAPIStateParams{ID: a1.ID, Version: &one, Online: &off})
	must(t, err)
	if back.Version != 1 || back.Spec != `{"v":1}` || back.Online {
		t.Errorf("rolled back and offline: %+v", back)
	}
	got, err := ds.GetDataAPI(f.ctx, p.ID, "orders/by-user")
	must(t, err)
	if got.Version != 1 || got.Online {
		t.Errorf("get after rollback = %+v", got)
	}
	nine := 9
	if _, err := ds.SetDataAPIState(f.ctx, &meta.SetDataAPIStateParams{ID: a1.ID, Version: &nine}); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("roll back to a missing version: %v", err)
	}
	vs, err := ds.ListDataAPIVersions(f.ctx, a1.ID)
	must(t, err)
	if len(vs) != 2 || vs[0].Version != 2 || vs[0].Author != "bob" {
		t.Errorf("versions = %+v", vs)
	}
	list, err := ds.ListDataAPIs(f.ctx, 0)
	must(t, err)
	if len(list) != 1 {
		t.Errorf("list = %+v", list)
	}
	if _, err := ds.GetDataAPI(f.ctx, p.ID, "nope"); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("missing api: %v", err)
	}
}

func dataApps(f *fixture) {
	t, ds, p := f.t, f.dataAPIStore(), f.project("edu")
	api, err := ds.PublishDataAPI(f.ctx, &meta.PublishDataAPIParams{ProjectID: p.ID, Path: "x", Spec: `{}`})
	must(t, err)
	exp := tick().Add(time.Hour)
	a := &meta.DataApp{ProjectID: p.ID, Name: "crm", TokenHash: "h1", SecretEnc: []byte{1, 2}, RateLimit: 5, ExpiresAt: &exp}
	must(t, ds.CreateDataApp(f.ctx, a))
	must(t, ds.GrantDataApp(f.ctx, a.ID, api.ID))
	must(t, ds.GrantDataApp(f.ctx, a.ID, api.ID))
	must(t, ds.CreateDataApp(f.ctx, &meta.DataApp{ProjectID: p.ID, Name: "bi", TokenHash: "h2"}))
	apps, err := ds.ListDataApps(f.ctx, p.ID)
	must(t, err)
	if len(apps) != 2 || apps[1].Name != "crm" || len(apps[1].APIs) != 1 || apps[1].APIs[0] != api.ID ||
		apps[1].RateLimit != 5 || string(apps[1].SecretEnc) != "\x01\x02" || apps[1].ExpiresAt == nil || !apps[1].ExpiresAt.Equal(exp) {
		t.Errorf("apps = %+v", apps)
	}
	if err := ds.CreateDataApp(f.ctx, &meta.DataApp{ProjectID: p.ID, Name: "crm", TokenHash: "h3"}); !errors.Is(err, meta.ErrConflict) {
		t.Errorf("duplicate app name: %v", err)
	}
	later := exp.Add(time.Hour)
	must(t, ds.RotateDataApp(f.ctx, &meta.RotateDataAppParams{ID: a.ID, TokenHash: "h9", ExpiresAt: &later}))
	apps, err = ds.ListDataApps(f.ctx, p.ID)
	must(t, err)
	if apps[1].TokenHash != "h9" || len(apps[1].SecretEnc) != 0 || !apps[1].ExpiresAt.Equal(later) || len(apps[1].APIs) != 1 {
		t.Errorf("rotated app = %+v", apps[1])
	}
	must(t, ds.DeleteDataApp(f.ctx, a.ID))
	if err := ds.RotateDataApp(f.ctx, &meta.RotateDataAppParams{ID: a.ID, TokenHash: "h10"}); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("rotate a deleted app: %v", err)
	}
	if err := ds.DeleteDataApp(f.ctx, a.ID); !errors.Is(err, meta.ErrNotFound) {
		t.Errorf("delete twice: %v", err)
	}
}

func dataAPICalls(f *fixture) {
	t, ds := f.t, f.dataAPIStore()
	base := tick()
	must(t, ds.AddDataAPICalls(f.ctx, []*meta.DataAPICall{
		{At: base.Add(-time.Hour), APIID: 1, Status: 200, LatencyUS: 10},
		{At: base, APIID: 1, AppID: 2, Status: 429, LatencyUS: 20},
		{At: base.Add(time.Second), APIID: 3, AppID: 2, Status: 200, LatencyUS: 30, Rows: 4, Cached: true},
	}))
	cs, err := ds.ListDataAPICalls(f.ctx, &meta.ListDataAPICallsParams{Since: base.Add(-time.Minute)})
	must(t, err)
	if len(cs) != 2 || cs[0].Status != 429 || !cs[1].Cached || cs[1].Rows != 4 {
		t.Errorf("recent calls = %+v", cs)
	}
	cs, err = ds.ListDataAPICalls(f.ctx, &meta.ListDataAPICallsParams{APIID: 1})
	must(t, err)
	if len(cs) != 2 {
		t.Errorf("api 1 calls = %+v", cs)
	}
}
