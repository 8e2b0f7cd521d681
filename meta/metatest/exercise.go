// Package metatest is the conformance suite of meta.Store. Every
// implementation runs Exercise against a real database, so that the SQLite
// and Postgres stores behave alike and a caller cannot tell them apart:
//
//	func TestStore(t *testing.T) {
//		metatest.Exercise(t, func(t *testing.T) meta.Store {
//			s, err := mystore.Open(t.Context(), filepath.Join(t.TempDir(), "kiln.db"))
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
//
// Where the interface leaves a choice open, the suite pins the one both
// stores make: lists come newest first (instances, audit, versions) or by
// name (projects, users, tasks, members, data sources); empty maps read back
// as nil; times come back in UTC at microsecond precision.
package metatest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// Opener returns a new, empty store for t and closes it when t ends.
type Opener func(t *testing.T) meta.Store

// Exercise runs the whole suite; each sub-test opens its own store and runs
// in parallel with the others of its group.
func Exercise(t *testing.T, open func(t *testing.T) meta.Store) {
	t.Helper()
	for _, g := range suite {
		t.Run(g.group, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) { c.fn(setup(t, open)) })
			}
		})
	}
}

type testCase struct {
	name string
	fn   func(f *fixture)
}

// suite lists every sub-test by group.
var suite = []struct {
	group string
	cases []testCase
}{
	{"Projects", []testCase{
		{"CreateGet", projectsCreateGet}, {"NameTaken", projectsNameTaken}, {"Missing", projectsMissing},
		{"Update", projectsUpdate}, {"List", projectsList},
	}},
	{"Users", []testCase{{"CreateGetList", usersCreateGetList}, {"Errors", usersErrors}}},
	{"Tokens", []testCase{
		{"LookupTouchesLastUsed", tokensLookupTouchesLastUsed}, {"NoExpiry", tokensNoExpiry},
		{"ExpiredOrUnknown", tokensExpiredOrUnknown}, {"Errors", tokensErrors}, {"ListDelete", tokensListDelete},
	}},
	{"Members", []testCase{{"SetChangeRemove", membersSetChangeRemove}, {"List", membersList}, {"Errors", membersErrors}}},
	{"DataSources", []testCase{
		{"UpsertReplaces", dataSourcesUpsertReplaces}, {"ListDelete", dataSourcesListDelete}, {"Errors", dataSourcesErrors},
	}},
	{"Tasks", []testCase{
		{"Create", tasksCreate}, {"NameTaken", tasksNameTaken}, {"Missing", tasksMissing},
		{"RemoveAndBringBack", tasksRemoveAndBringBack}, {"List", tasksList},
	}},
	{"Versions", []testCase{
		{"AddGetList", versionsAddGetList}, {"Errors", versionsErrors}, {"MinimalSpec", versionsMinimalSpec},
		{"Concurrent", versionsConcurrent},
	}},
	{"Instances", []testCase{
		{"Create", instancesCreate}, {"CreateQueued", instancesCreateQueued}, {"NewerVersion", instancesNewerVersion},
		{"Errors", instancesErrors}, {"List", instancesList}, {"DefaultLimit", instancesDefaultLimit},
	}},
	{"Transitions", []testCase{
		{"StateMachine", transitionsStateMachine}, {"FromCheck", transitionsFromCheck},
		{"SetsFields", transitionsSetsFields}, {"ResetRun", transitionsResetRun}, {"Concurrent", transitionsConcurrent},
	}},
	{"Attempts", []testCase{
		{"ClaimAndFinish", attemptsClaimAndFinish}, {"RetryFromRunning", attemptsRetryFromRunning},
		{"RunWithoutClaim", attemptsRunWithoutClaim}, {"None", attemptsNone},
	}},
	{"Claims", []testCase{
		{"Order", claimsOrder}, {"SetsRun", claimsSetsRun}, {"Arguments", claimsArguments}, {"Concurrent", claimsConcurrent},
	}},
	{"Leases", []testCase{{"Renew", leasesRenew}, {"Expired", leasesExpired}}},
	{"Audit", []testCase{{"AddList", auditAddList}}},
	{"Quality", qualityCases},
	{"Query", queryCases},
	{"Lineage", lineageCases},
	{"Catalog", catalogCases},
	{"SyncMetrics", syncMetricsCases},
	{"Ops", opsCases},
	{"Summary", summaryCases},
	{"BackfillDone", backfillDoneCases},
	{"PlanBatch", planBatchCases},
	{"Pools", poolCases},
	{"Settings", []testCase{{"GetPut", settingsGetPut}}},
	{"InTx", []testCase{{"Commit", inTxCommit}, {"Rollback", inTxRollback}, {"Nested", inTxNested}, {"Panic", inTxPanic}}},
}

// fixture is what a sub-test works with: its own store and context.
type fixture struct {
	t   *testing.T
	ctx context.Context
	s   meta.Store
}

// setup marks t parallel and opens a store for it.
func setup(t *testing.T, open Opener) *fixture {
	t.Helper()
	t.Parallel()
	return &fixture{t: t, ctx: t.Context(), s: open(t)}
}

// with returns the fixture for a sub-test t of f's test, sharing its store.
func (f *fixture) with(t *testing.T) *fixture { return &fixture{t: t, ctx: t.Context(), s: f.s} }

func (f *fixture) project(name string) *meta.Project {
	f.t.Helper()
	p, err := f.s.CreateProject(f.ctx, &meta.CreateProjectParams{Name: name})
	must(f.t, err)
	return p
}

func (f *fixture) user(name string) *meta.User {
	f.t.Helper()
	u, err := f.s.CreateUser(f.ctx, &meta.CreateUserParams{Name: name, Email: name + "@example.com"})
	must(f.t, err)
	return u
}

func (f *fixture) task(projectID int64, name string) (*meta.Task, *meta.Version) {
	f.t.Helper()
	task, v, err := f.s.CreateTask(f.ctx, &meta.CreateTaskParams{
		ProjectID: projectID,
		Spec:      meta.TaskSpec{Name: name, Type: meta.TaskSQLScript, SQL: "SELECT 1"},
		Hash:      "h1",
	})
	must(f.t, err)
	return task, v
}

// instance creates a waiting instance of v for 2024-01-01, changed by mods.
func (f *fixture) instance(v *meta.Version, mods ...func(*meta.CreateInstanceParams)) *meta.Instance {
	f.t.Helper()
	p := &meta.CreateInstanceParams{TaskID: v.TaskID, VersionID: v.ID, Bizdate: "2024-01-01", Trigger: meta.TriggerSchedule}
	for _, m := range mods {
		m(p)
	}
	in, err := f.s.CreateInstance(f.ctx, p)
	must(f.t, err)
	return in
}

// queued makes instance creates queued.
func queued(p *meta.CreateInstanceParams) { p.State = meta.StateQueued }

// move transitions an instance to a state it may reach, changed by mods.
func (f *fixture) move(id int64, to meta.State, mods ...func(*meta.TransitionParams)) *meta.Instance {
	f.t.Helper()
	p := &meta.TransitionParams{ID: id, To: to}
	for _, m := range mods {
		m(p)
	}
	in, err := f.s.TransitionInstance(f.ctx, p)
	must(f.t, err)
	return in
}

// instanceIn returns a new instance of v brought to state st by allowed moves.
func (f *fixture) instanceIn(v *meta.Version, st meta.State) *meta.Instance {
	f.t.Helper()
	switch st {
	case meta.StateWaiting:
		return f.instance(v)
	case meta.StateQueued:
		return f.instance(v, queued)
	case meta.StateRunning:
		return f.move(f.instance(v, queued).ID, meta.StateRunning)
	case meta.StateSuccess, meta.StateFailed:
		return f.move(f.instanceIn(v, meta.StateRunning).ID, st, func(p *meta.TransitionParams) { p.ClearLease = true })
	default:
		return f.move(f.instance(v).ID, st)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// wantErr checks that err wraps target, says what it was about and does
// not leak a driver's message.
func wantErr(t *testing.T, err, target error, mentions ...string) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("err = %v, want one wrapping %q", err, target)
	}
	msg := err.Error()
	if strings.Contains(msg, "no rows") {
		t.Errorf("error %q leaks the driver's no-rows message", msg)
	}
	for _, m := range mentions {
		if !strings.Contains(msg, m) {
			t.Errorf("error %q does not mention %q", msg, m)
		}
	}
}

// wantFail checks that err is an error at all, for bad arguments.
func wantFail(t *testing.T, err error, what string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: got no error", what)
	}
}

// tick is a wall-clock instant at the stores' precision.
func tick() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// wantRecent checks that a store-set time is in UTC and not before since.
func wantRecent(t *testing.T, what string, got, since time.Time) {
	t.Helper()
	if got.Location() != time.UTC {
		t.Errorf("%s = %v, want UTC", what, got)
	}
	if got.Before(since) || got.After(time.Now().Add(time.Minute)) {
		t.Errorf("%s = %v, want a time after %v", what, got, since)
	}
}

// wantTime checks a time the caller gave, or a nil one.
func wantTime(t *testing.T, what string, got, want *time.Time) {
	t.Helper()
	switch {
	case got == nil && want == nil:
	case got == nil || want == nil:
		t.Errorf("%s = %v, want %v", what, got, want)
	case !got.Equal(want.Truncate(time.Microsecond)) || got.Location() != time.UTC:
		t.Errorf("%s = %v, want %v in UTC", what, *got, *want)
	}
}

func ptr[T any](v T) *T { return &v }
