package metatest

import (
	"reflect"
	"testing"
	"time"

	"github.com/kilnhq/kiln/meta"
)

func auditAddList(f *fixture) {
	t := f.t
	at := time.Date(2024, 2, 3, 4, 5, 6, 700800900, time.FixedZone("CST", 8*3600))
	entries := []*meta.AuditEntry{
		{UserName: "alice", ProjectID: 1, Action: "task.apply", Target: "dwd_orders", Detail: "v2", At: at},
		{UserName: "bob", ProjectID: 2, Action: "query.run", Target: "SELECT 1"},
		{UserName: "alice", ProjectID: 1, Action: "query.run", Target: "SELECT phone FROM users", Detail: "sensitive"},
		{UserName: "root", Action: "user.create", Target: "carol"},
		{UserName: "bob", ProjectID: 1, Action: "instance.kill", Target: "42"},
	}
	since := tick()
	for _, e := range entries {
		must(t, f.s.AddAudit(f.ctx, e))
		if e.ID == 0 {
			t.Fatalf("AddAudit left the ID unset: %+v", e)
		}
	}
	if !entries[0].At.Equal(at.Truncate(time.Microsecond)) {
		t.Errorf("given time became %v, want %v", entries[0].At, at)
	}
	wantRecent(t, "at", entries[1].At, since)
	wantFail(t, f.s.AddAudit(f.ctx, &meta.AuditEntry{UserName: "x"}), "audit without an action")

	pick := func(is ...int) []*meta.AuditEntry {
		out := []*meta.AuditEntry{}
		for _, i := range is {
			e := *entries[i]
			e.At = e.At.UTC()
			out = append(out, &e)
		}
		return out
	}
	cases := []struct {
		name string
		p    meta.ListAuditParams
		want []*meta.AuditEntry
	}{
		{"all newest first", meta.ListAuditParams{}, pick(4, 3, 2, 1, 0)},
		{"project", meta.ListAuditParams{ProjectID: 1}, pick(4, 2, 0)},
		{"action", meta.ListAuditParams{Action: "query.run"}, pick(2, 1)},
		{"project and action", meta.ListAuditParams{ProjectID: 1, Action: "query.run"}, pick(2)},
		{"limit", meta.ListAuditParams{Limit: 2}, pick(4, 3)},
		{"filtered limit", meta.ListAuditParams{ProjectID: 1, Limit: 2}, pick(4, 2)},
		{"nothing", meta.ListAuditParams{Action: "nope"}, pick()},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := f.s.ListAudit(t.Context(), &c.p)
			must(t, err)
			if got == nil {
				got = []*meta.AuditEntry{}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("listed %v, want %v", dump(got), dump(c.want))
			}
		})
	}
}

func dump(es []*meta.AuditEntry) []meta.AuditEntry {
	out := []meta.AuditEntry{}
	for _, e := range es {
		out = append(out, *e)
	}
	return out
}

func settingsGetPut(f *fixture) {
	t := f.t
	_, err := f.s.GetSetting(f.ctx, "ui.theme")
	wantErr(t, err, meta.ErrNotFound, "ui.theme")
	must(t, f.s.PutSetting(f.ctx, "ui.theme", "dark"))
	must(t, f.s.PutSetting(f.ctx, "empty", ""))
	must(t, f.s.PutSetting(f.ctx, "ui.theme", "light"))
	for key, want := range map[string]string{"ui.theme": "light", "empty": ""} {
		got, err := f.s.GetSetting(f.ctx, key)
		must(t, err)
		if got != want {
			t.Errorf("setting %q = %q, want %q", key, got, want)
		}
	}
}
