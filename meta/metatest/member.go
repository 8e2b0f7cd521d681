package metatest

import (
	"bytes"
	"reflect"

	"github.com/kilnhq/kiln/meta"
)

func membersSetChangeRemove(f *fixture) {
	t := f.t
	p, u := f.project("edu"), f.user("alice")
	since := tick()
	m, err := f.s.SetMember(f.ctx, &meta.SetMemberParams{ProjectID: p.ID, UserID: u.ID, Role: meta.RoleOwner})
	must(t, err)
	if m.ProjectID != p.ID || m.UserID != u.ID || m.UserName != "alice" || m.Role != meta.RoleOwner {
		t.Errorf("set %+v", m)
	}
	wantRecent(t, "created_at", m.CreatedAt, since)
	changed, err := f.s.SetMember(f.ctx, &meta.SetMemberParams{ProjectID: p.ID, UserID: u.ID, Role: meta.RoleViewer})
	must(t, err)
	if changed.Role != meta.RoleViewer || !changed.CreatedAt.Equal(m.CreatedAt) {
		t.Errorf("changed %+v, want viewer since %v", changed, m.CreatedAt)
	}
	got, err := f.s.GetMember(f.ctx, p.ID, u.ID)
	must(t, err)
	if !reflect.DeepEqual(got, changed) {
		t.Errorf("got %+v, want %+v", got, changed)
	}
	must(t, f.s.RemoveMember(f.ctx, p.ID, u.ID))
	_, err = f.s.GetMember(f.ctx, p.ID, u.ID)
	wantErr(t, err, meta.ErrNotFound)
	wantErr(t, f.s.RemoveMember(f.ctx, p.ID, u.ID), meta.ErrNotFound)
}

func membersList(f *fixture) {
	t := f.t
	edu, ops := f.project("edu"), f.project("ops")
	roles := map[string]meta.Role{"zoe": meta.RoleDeveloper, "al": meta.RoleOperator, "mia": meta.RoleOwner}
	for _, n := range []string{"zoe", "al", "mia"} {
		u := f.user(n)
		_, err := f.s.SetMember(f.ctx, &meta.SetMemberParams{ProjectID: edu.ID, UserID: u.ID, Role: roles[n]})
		must(t, err)
		if n == "mia" {
			_, err = f.s.SetMember(f.ctx, &meta.SetMemberParams{ProjectID: ops.ID, UserID: u.ID, Role: meta.RoleViewer})
			must(t, err)
		}
	}
	ms, err := f.s.ListMembers(f.ctx, edu.ID)
	must(t, err)
	if got := names(ms, func(m *meta.Member) string { return m.UserName }); !reflect.DeepEqual(got, []string{"al", "mia", "zoe"}) {
		t.Fatalf("members %v, want by user name", got)
	}
	for _, m := range ms {
		if m.Role != roles[m.UserName] || m.ProjectID != edu.ID {
			t.Errorf("member %+v, want role %s in project %d", m, roles[m.UserName], edu.ID)
		}
	}
	ms, err = f.s.ListMembers(f.ctx, ops.ID)
	must(t, err)
	if len(ms) != 1 || ms[0].UserName != "mia" || ms[0].Role != meta.RoleViewer {
		t.Errorf("ops members %+v, want mia as viewer", ms)
	}
}

func membersErrors(f *fixture) {
	t := f.t
	p, u := f.project("edu"), f.user("alice")
	_, err := f.s.SetMember(f.ctx, &meta.SetMemberParams{ProjectID: p.ID, UserID: u.ID, Role: "god"})
	wantFail(t, err, "unknown role")
	_, err = f.s.SetMember(f.ctx, &meta.SetMemberParams{ProjectID: p.ID, UserID: 9999, Role: meta.RoleViewer})
	wantErr(t, err, meta.ErrNotFound, "9999")
	_, err = f.s.SetMember(f.ctx, &meta.SetMemberParams{ProjectID: 8888, UserID: u.ID, Role: meta.RoleViewer})
	wantErr(t, err, meta.ErrNotFound, "8888")
	_, err = f.s.GetMember(f.ctx, p.ID, u.ID)
	wantErr(t, err, meta.ErrNotFound)
}

// secret is ciphertext-like bytes, zeros and high bytes included.
var secret = []byte{0, 1, 2, 0xfe, 0xff, 'x'}

func dataSourcesUpsertReplaces(f *fixture) {
	t := f.t
	p := f.project("edu")
	since := tick()
	d, err := f.s.UpsertDataSource(f.ctx, &meta.UpsertDataSourceParams{
		ProjectID: p.ID, Name: "crm", Kind: "postgres", DSN: "postgres://kiln@db/crm",
		Options: map[string]string{"schema": "public"}, SecretEnc: secret,
	})
	must(t, err)
	if d.ID == 0 || d.ProjectID != p.ID || d.Name != "crm" || d.Kind != "postgres" || d.DSN != "postgres://kiln@db/crm" ||
		!reflect.DeepEqual(d.Options, map[string]string{"schema": "public"}) || !bytes.Equal(d.SecretEnc, secret) || !d.HasSecret {
		t.Errorf("created %+v", d)
	}
	wantRecent(t, "created_at", d.CreatedAt, since)
	got, err := f.s.GetDataSource(f.ctx, p.ID, "crm")
	must(t, err)
	if !reflect.DeepEqual(got, d) {
		t.Errorf("got %+v, want %+v", got, d)
	}
	r, err := f.s.UpsertDataSource(f.ctx, &meta.UpsertDataSourceParams{
		ProjectID: p.ID, Name: "crm", Kind: "mysql", DSN: "kiln@tcp(db)/crm",
	})
	must(t, err)
	if r.ID != d.ID || r.Kind != "mysql" || r.DSN != "kiln@tcp(db)/crm" || r.Options != nil || r.SecretEnc != nil || r.HasSecret {
		t.Errorf("replaced %+v, want every field replaced and no secret", r)
	}
	if !r.CreatedAt.Equal(d.CreatedAt) || r.UpdatedAt.Before(d.UpdatedAt) {
		t.Errorf("times %v %v after upsert, were %v %v", r.CreatedAt, r.UpdatedAt, d.CreatedAt, d.UpdatedAt)
	}
	got, err = f.s.GetDataSource(f.ctx, p.ID, "crm")
	must(t, err)
	if !reflect.DeepEqual(got, r) {
		t.Errorf("got %+v, want %+v", got, r)
	}
}

func dataSourcesListDelete(f *fixture) {
	t := f.t
	edu, ops := f.project("edu"), f.project("ops")
	for _, n := range []string{"wh", "crm"} {
		_, err := f.s.UpsertDataSource(f.ctx, &meta.UpsertDataSourceParams{ProjectID: edu.ID, Name: n, Kind: "duckdb", SecretEnc: secret})
		must(t, err)
	}
	_, err := f.s.UpsertDataSource(f.ctx, &meta.UpsertDataSourceParams{ProjectID: ops.ID, Name: "crm", Kind: "mysql"})
	must(t, err)
	ds, err := f.s.ListDataSources(f.ctx, edu.ID)
	must(t, err)
	if got := names(ds, func(d *meta.DataSource) string { return d.Name }); !reflect.DeepEqual(got, []string{"crm", "wh"}) {
		t.Fatalf("listed %v, want [crm wh]", got)
	}
	if !bytes.Equal(ds[0].SecretEnc, secret) || !ds[0].HasSecret {
		t.Errorf("listed secret %v, want %v", ds[0].SecretEnc, secret)
	}
	must(t, f.s.DeleteDataSource(f.ctx, edu.ID, "crm"))
	_, err = f.s.GetDataSource(f.ctx, edu.ID, "crm")
	wantErr(t, err, meta.ErrNotFound, "crm")
	wantErr(t, f.s.DeleteDataSource(f.ctx, edu.ID, "crm"), meta.ErrNotFound, "crm")
	if _, err := f.s.GetDataSource(f.ctx, ops.ID, "crm"); err != nil {
		t.Errorf("ops's crm is gone: %v", err)
	}
}

func dataSourcesErrors(f *fixture) {
	t := f.t
	_, err := f.s.UpsertDataSource(f.ctx, &meta.UpsertDataSourceParams{ProjectID: 9999, Name: "x", Kind: "duckdb"})
	wantErr(t, err, meta.ErrNotFound, "9999")
	_, err = f.s.GetDataSource(f.ctx, 9999, "x")
	wantErr(t, err, meta.ErrNotFound, `"x"`)
	p := f.project("edu")
	_, err = f.s.UpsertDataSource(f.ctx, &meta.UpsertDataSourceParams{ProjectID: p.ID, Kind: "duckdb"})
	wantFail(t, err, "data source without a name")
}
