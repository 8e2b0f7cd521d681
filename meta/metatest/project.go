package metatest

import (
	"reflect"
	"time"

	"github.com/kilnhq/kiln/meta"
)

func sampleConfig() meta.Config {
	return meta.Config{
		Params: map[string]string{"source_dir": "${data_dir}/demo", "region": "华东"},
		Defaults: meta.TaskDefaults{
			Owner: "data-team", Retries: 2, RetryDelay: meta.Duration(5 * time.Minute),
			Timeout: meta.Duration(90 * time.Minute), Pool: "default", Timezone: "Asia/Shanghai",
			Tier: meta.TierCore, MemoryLimitMB: 2048,
		},
	}
}

func projectsCreateGet(f *fixture) {
	t := f.t
	since := tick()
	p, err := f.s.CreateProject(f.ctx, &meta.CreateProjectParams{
		Name: "edu", Description: "Online education", DefaultEngine: "warehouse", Config: sampleConfig(),
	})
	must(t, err)
	if p.ID == 0 || p.Name != "edu" || p.Description != "Online education" || p.DefaultEngine != "warehouse" {
		t.Errorf("created %+v", p)
	}
	if !reflect.DeepEqual(p.Config, sampleConfig()) {
		t.Errorf("config = %+v, want %+v", p.Config, sampleConfig())
	}
	wantRecent(t, "created_at", p.CreatedAt, since)
	wantRecent(t, "updated_at", p.UpdatedAt, since)
	byName, err := f.s.GetProject(f.ctx, "edu")
	must(t, err)
	byID, err := f.s.GetProjectByID(f.ctx, p.ID)
	must(t, err)
	for _, got := range []*meta.Project{byName, byID} {
		if !reflect.DeepEqual(got, p) {
			t.Errorf("got %+v, want %+v", got, p)
		}
	}
}

func projectsNameTaken(f *fixture) {
	t := f.t
	f.project("edu")
	_, err := f.s.CreateProject(f.ctx, &meta.CreateProjectParams{Name: "edu"})
	wantErr(t, err, meta.ErrConflict, "edu")
	_, err = f.s.CreateProject(f.ctx, &meta.CreateProjectParams{})
	wantFail(t, err, "project without a name")
}

func projectsMissing(f *fixture) {
	t := f.t
	_, err := f.s.GetProject(f.ctx, "nope")
	wantErr(t, err, meta.ErrNotFound, "nope")
	_, err = f.s.GetProjectByID(f.ctx, 424242)
	wantErr(t, err, meta.ErrNotFound, "424242")
	_, err = f.s.UpdateProject(f.ctx, &meta.UpdateProjectParams{ID: 424242})
	wantErr(t, err, meta.ErrNotFound, "424242")
}

func projectsUpdate(f *fixture) {
	t := f.t
	p, err := f.s.CreateProject(f.ctx, &meta.CreateProjectParams{Name: "edu", Description: "old", Config: sampleConfig()})
	must(t, err)
	cfg := meta.Config{Params: map[string]string{"k": "v"}, Defaults: meta.TaskDefaults{Retries: 5}}
	u, err := f.s.UpdateProject(f.ctx, &meta.UpdateProjectParams{ID: p.ID, Description: "new", DefaultEngine: "pg", Config: cfg})
	must(t, err)
	if u.Name != "edu" || u.Description != "new" || u.DefaultEngine != "pg" || !reflect.DeepEqual(u.Config, cfg) {
		t.Errorf("updated %+v", u)
	}
	if !u.CreatedAt.Equal(p.CreatedAt) || u.UpdatedAt.Before(p.UpdatedAt) {
		t.Errorf("times %v %v after update, were %v %v", u.CreatedAt, u.UpdatedAt, p.CreatedAt, p.UpdatedAt)
	}
	got, err := f.s.GetProject(f.ctx, "edu")
	must(t, err)
	if !reflect.DeepEqual(got, u) {
		t.Errorf("got %+v, want %+v", got, u)
	}
}

func projectsList(f *fixture) {
	t := f.t
	ps, err := f.s.ListProjects(f.ctx)
	must(t, err)
	if len(ps) != 0 {
		t.Errorf("empty store lists %d projects", len(ps))
	}
	for _, n := range []string{"sales", "edu", "ops"} {
		f.project(n)
	}
	ps, err = f.s.ListProjects(f.ctx)
	must(t, err)
	if got := names(ps, func(p *meta.Project) string { return p.Name }); !reflect.DeepEqual(got, []string{"edu", "ops", "sales"}) {
		t.Errorf("listed %v, want by name", got)
	}
}

func names[T any](xs []T, name func(T) string) []string {
	out := []string{}
	for _, x := range xs {
		out = append(out, name(x))
	}
	return out
}

func usersCreateGetList(f *fixture) {
	t := f.t
	since := tick()
	u, err := f.s.CreateUser(f.ctx, &meta.CreateUserParams{Name: "alice", Email: "a@example.com", PasswordHash: "$argon2id$x", Admin: true})
	must(t, err)
	if u.ID == 0 || u.Name != "alice" || u.Email != "a@example.com" || u.PasswordHash != "$argon2id$x" || !u.Admin {
		t.Errorf("created %+v", u)
	}
	wantRecent(t, "created_at", u.CreatedAt, since)
	byName, err := f.s.GetUser(f.ctx, "alice")
	must(t, err)
	byID, err := f.s.GetUserByID(f.ctx, u.ID)
	must(t, err)
	for _, got := range []*meta.User{byName, byID} {
		if !reflect.DeepEqual(got, u) {
			t.Errorf("got %+v, want %+v", got, u)
		}
	}
	f.user("carol")
	bob := f.user("bob")
	if bob.Admin {
		t.Error("bob is an admin without asking")
	}
	us, err := f.s.ListUsers(f.ctx)
	must(t, err)
	if got := names(us, func(u *meta.User) string { return u.Name }); !reflect.DeepEqual(got, []string{"alice", "bob", "carol"}) {
		t.Errorf("listed %v, want by name", got)
	}
}

func usersErrors(f *fixture) {
	t := f.t
	f.user("alice")
	_, err := f.s.CreateUser(f.ctx, &meta.CreateUserParams{Name: "alice"})
	wantErr(t, err, meta.ErrConflict, "alice")
	_, err = f.s.GetUser(f.ctx, "zed")
	wantErr(t, err, meta.ErrNotFound, "zed")
	_, err = f.s.GetUserByID(f.ctx, 9999)
	wantErr(t, err, meta.ErrNotFound, "9999")
	_, err = f.s.CreateUser(f.ctx, &meta.CreateUserParams{})
	wantFail(t, err, "user without a name")
}

func tokensLookupTouchesLastUsed(f *fixture) {
	t := f.t
	u := f.user("alice")
	exp := time.Now().Add(24 * time.Hour)
	since := tick()
	tok, err := f.s.CreateToken(f.ctx, &meta.CreateTokenParams{UserID: u.ID, Name: "ci", Hash: "sha256:abc", ExpiresAt: &exp})
	must(t, err)
	if tok.ID == 0 || tok.UserID != u.ID || tok.Name != "ci" || tok.Hash != "sha256:abc" || tok.LastUsedAt != nil {
		t.Errorf("created %+v", tok)
	}
	wantRecent(t, "created_at", tok.CreatedAt, since)
	wantTime(t, "expires_at", tok.ExpiresAt, &exp)
	got, err := f.s.GetTokenByHash(f.ctx, "sha256:abc")
	must(t, err)
	if got.ID != tok.ID || got.LastUsedAt == nil {
		t.Fatalf("looked up %+v", got)
	}
	wantRecent(t, "last_used_at", *got.LastUsedAt, since)
	again, err := f.s.GetTokenByHash(f.ctx, "sha256:abc")
	must(t, err)
	if again.LastUsedAt == nil || again.LastUsedAt.Before(*got.LastUsedAt) {
		t.Errorf("second lookup last used %v, first %v", again.LastUsedAt, got.LastUsedAt)
	}
	list, err := f.s.ListTokens(f.ctx, u.ID)
	must(t, err)
	if len(list) != 1 || list[0].LastUsedAt == nil {
		t.Errorf("listed %+v, want the touched token", list)
	}
}

func tokensNoExpiry(f *fixture) {
	t := f.t
	u := f.user("alice")
	tok, err := f.s.CreateToken(f.ctx, &meta.CreateTokenParams{UserID: u.ID, Name: "forever", Hash: "h"})
	must(t, err)
	if tok.ExpiresAt != nil {
		t.Errorf("expires at %v, want never", tok.ExpiresAt)
	}
	_, err = f.s.GetTokenByHash(f.ctx, "h")
	must(t, err)
}

func tokensExpiredOrUnknown(f *fixture) {
	t := f.t
	u := f.user("alice")
	past := time.Now().Add(-time.Second)
	_, err := f.s.CreateToken(f.ctx, &meta.CreateTokenParams{UserID: u.ID, Name: "old", Hash: "expired", ExpiresAt: &past})
	must(t, err)
	_, err = f.s.GetTokenByHash(f.ctx, "expired")
	wantErr(t, err, meta.ErrNotFound, "token")
	_, err = f.s.GetTokenByHash(f.ctx, "never-issued")
	wantErr(t, err, meta.ErrNotFound, "token")
}

func tokensErrors(f *fixture) {
	t := f.t
	u := f.user("alice")
	_, err := f.s.CreateToken(f.ctx, &meta.CreateTokenParams{UserID: u.ID, Name: "a", Hash: "same"})
	must(t, err)
	_, err = f.s.CreateToken(f.ctx, &meta.CreateTokenParams{UserID: u.ID, Name: "b", Hash: "same"})
	wantErr(t, err, meta.ErrConflict, "token")
	_, err = f.s.CreateToken(f.ctx, &meta.CreateTokenParams{UserID: 9999, Name: "c", Hash: "other"})
	wantErr(t, err, meta.ErrNotFound, "9999")
}

func tokensListDelete(f *fixture) {
	t := f.t
	alice, bob := f.user("alice"), f.user("bob")
	var ids []int64
	for _, h := range []string{"a1", "a2"} {
		tok, err := f.s.CreateToken(f.ctx, &meta.CreateTokenParams{UserID: alice.ID, Name: h, Hash: h})
		must(t, err)
		ids = append(ids, tok.ID)
	}
	bobs, err := f.s.CreateToken(f.ctx, &meta.CreateTokenParams{UserID: bob.ID, Name: "b1", Hash: "b1"})
	must(t, err)
	list, err := f.s.ListTokens(f.ctx, alice.ID)
	must(t, err)
	if got := names(list, func(t *meta.Token) string { return t.Name }); !reflect.DeepEqual(got, []string{"a1", "a2"}) {
		t.Errorf("alice's tokens %v, want [a1 a2]", got)
	}
	wantErr(t, f.s.DeleteToken(f.ctx, alice.ID, bobs.ID), meta.ErrNotFound)
	must(t, f.s.DeleteToken(f.ctx, alice.ID, ids[0]))
	wantErr(t, f.s.DeleteToken(f.ctx, alice.ID, ids[0]), meta.ErrNotFound)
	_, err = f.s.GetTokenByHash(f.ctx, "a1")
	wantErr(t, err, meta.ErrNotFound)
	list, err = f.s.ListTokens(f.ctx, alice.ID)
	must(t, err)
	if len(list) != 1 || list[0].ID != ids[1] {
		t.Errorf("after delete alice has %+v", list)
	}
	if _, err := f.s.GetTokenByHash(f.ctx, "b1"); err != nil {
		t.Errorf("bob's token is gone: %v", err)
	}
}
