package metatest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/kilnhq/kiln/meta"
)

func instancesCreate(f *fixture) {
	t := f.t
	p := f.project("edu")
	task, v := f.task(p.ID, "load")
	since := tick()
	params := map[string]string{"bizdate": "2024-03-01", "note": "ünïcode, \"quotes\""}
	in, err := f.s.CreateInstance(f.ctx, &meta.CreateInstanceParams{
		ProjectID: p.ID, TaskID: task.ID, VersionID: v.ID, Bizdate: "2024-03-01", Hour: 13,
		Trigger: meta.TriggerBackfill, Priority: 7, Pool: "etl", Params: params, CreatedBy: "alice",
	})
	must(t, err)
	want := &meta.Instance{
		ID: in.ID, ProjectID: p.ID, TaskID: task.ID, TaskName: "load", VersionID: v.ID, Version: 1,
		Bizdate: "2024-03-01", Hour: 13, State: meta.StateWaiting, Trigger: meta.TriggerBackfill,
		Priority: 7, Pool: "etl", Params: params, CreatedBy: "alice", CreatedAt: in.CreatedAt,
	}
	if in.ID == 0 || !reflect.DeepEqual(in, want) {
		t.Errorf("created\n%+v\nwant\n%+v", in, want)
	}
	wantRecent(t, "created_at", in.CreatedAt, since)
	got, err := f.s.GetInstance(f.ctx, in.ID)
	must(t, err)
	if !reflect.DeepEqual(got, in) {
		t.Errorf("got\n%+v\nwant\n%+v", got, in)
	}
}

func instancesCreateQueued(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, v := f.task(p.ID, "load")
	since := tick()
	in := f.instance(v, queued)
	if in.State != meta.StateQueued || in.QueuedAt == nil || in.ProjectID != p.ID || in.Params != nil || in.Attempt != 0 {
		t.Fatalf("created %+v, want queued now in project %d", in, p.ID)
	}
	wantRecent(t, "queued_at", *in.QueuedAt, since)
}

func instancesNewerVersion(f *fixture) {
	t := f.t
	p := f.project("edu")
	task, _ := f.task(p.ID, "load")
	v2, err := f.s.AddVersion(f.ctx, &meta.AddVersionParams{TaskID: task.ID, Spec: meta.TaskSpec{Type: meta.TaskShell}})
	must(t, err)
	in := f.instance(v2)
	if in.VersionID != v2.ID || in.Version != 2 {
		t.Errorf("instance of v2 says version %d (id %d)", in.Version, in.VersionID)
	}
}

func instancesErrors(f *fixture) {
	t := f.t
	edu, ops := f.project("edu"), f.project("ops")
	task, v := f.task(edu.ID, "load")
	other, ov := f.task(edu.ID, "other")
	cases := []struct {
		name   string
		p      meta.CreateInstanceParams
		target error // nil: any error
	}{
		{"running", meta.CreateInstanceParams{TaskID: task.ID, VersionID: v.ID, Bizdate: "2024-01-01", State: meta.StateRunning}, nil},
		{"bad bizdate", meta.CreateInstanceParams{TaskID: task.ID, VersionID: v.ID, Bizdate: "20240101"}, nil},
		{"bad hour", meta.CreateInstanceParams{TaskID: task.ID, VersionID: v.ID, Bizdate: "2024-01-01", Hour: 24}, nil},
		{"another task's version", meta.CreateInstanceParams{TaskID: other.ID, VersionID: v.ID, Bizdate: "2024-01-01"}, meta.ErrNotFound},
		{"missing task", meta.CreateInstanceParams{TaskID: 9999, VersionID: ov.ID, Bizdate: "2024-01-01"}, meta.ErrNotFound},
		{"another project", meta.CreateInstanceParams{ProjectID: ops.ID, TaskID: task.ID, VersionID: v.ID, Bizdate: "2024-01-01"}, meta.ErrNotFound},
	}
	for _, c := range cases {
		_, err := f.s.CreateInstance(f.ctx, &c.p)
		if c.target == nil {
			wantFail(t, err, c.name)
		} else {
			wantErr(t, err, c.target)
		}
	}
	ins, err := f.s.ListInstances(f.ctx, &meta.ListInstancesParams{})
	must(t, err)
	if len(ins) != 0 {
		t.Errorf("failed creates left %d instances", len(ins))
	}
	_, err = f.s.GetInstance(f.ctx, 9999)
	wantErr(t, err, meta.ErrNotFound, "9999")
}

func instancesList(f *fixture) {
	t := f.t
	edu, ops := f.project("edu"), f.project("ops")
	a, av := f.task(edu.ID, "a")
	b, bv := f.task(edu.ID, "b")
	o, ov := f.task(ops.ID, "o")
	// Created in this order, so ids grow down the list.
	rows := []struct {
		v       *meta.Version
		bizdate string
		state   meta.State
	}{
		{av, "2024-01-01", meta.StateWaiting},
		{av, "2024-01-02", meta.StateQueued},
		{bv, "2024-01-02", meta.StateWaiting},
		{ov, "2024-01-03", meta.StateQueued},
		{av, "2024-01-03", meta.StateWaiting},
		{bv, "2024-01-04", meta.StateQueued},
		{av, "2024-01-05", meta.StateQueued},
	}
	var ids []int64
	for _, r := range rows {
		in := f.instance(r.v, func(p *meta.CreateInstanceParams) { p.Bizdate, p.State = r.bizdate, r.state })
		ids = append(ids, in.ID)
	}
	// Owners and tiers come with later versions: the filters follow the
	// task's current version, not the one an instance ran.
	for _, tv := range []struct {
		task  *meta.Task
		owner string
		tier  meta.Tier
	}{{a, "ann", meta.TierCore}, {b, "bob", ""}, {o, "ann", meta.TierNormal}} {
		_, err := f.s.AddVersion(f.ctx, &meta.AddVersionParams{TaskID: tv.task.ID, Hash: "h2",
			Spec: meta.TaskSpec{Name: tv.task.Name, Type: meta.TaskSQLScript, SQL: "SELECT 2", Owner: tv.owner, Tier: tv.tier}})
		must(t, err)
	}
	// pick returns the ids of rows i..., newest first.
	pick := func(is ...int) []int64 {
		out := []int64{}
		for _, i := range is {
			out = append(out, ids[i])
		}
		slices.Sort(out)
		slices.Reverse(out)
		return out
	}
	cases := []struct {
		name string
		p    meta.ListInstancesParams
		want []int64
	}{
		{"all newest first", meta.ListInstancesParams{}, pick(0, 1, 2, 3, 4, 5, 6)},
		{"project", meta.ListInstancesParams{ProjectID: edu.ID}, pick(0, 1, 2, 4, 5, 6)},
		{"other project", meta.ListInstancesParams{ProjectID: ops.ID}, pick(3)},
		{"task", meta.ListInstancesParams{TaskID: a.ID}, pick(0, 1, 4, 6)},
		{"task and project", meta.ListInstancesParams{ProjectID: edu.ID, TaskID: b.ID}, pick(2, 5)},
		{"one state", meta.ListInstancesParams{States: []meta.State{meta.StateQueued}}, pick(1, 3, 5, 6)},
		{"two states", meta.ListInstancesParams{States: []meta.State{meta.StateQueued, meta.StateWaiting}}, pick(0, 1, 2, 3, 4, 5, 6)},
		{"no such state", meta.ListInstancesParams{States: []meta.State{meta.StateFailed}}, pick()},
		{"from", meta.ListInstancesParams{BizdateFrom: "2024-01-03"}, pick(3, 4, 5, 6)},
		{"to", meta.ListInstancesParams{BizdateTo: "2024-01-02"}, pick(0, 1, 2)},
		{"range", meta.ListInstancesParams{BizdateFrom: "2024-01-02", BizdateTo: "2024-01-03"}, pick(1, 2, 3, 4)},
		{"all filters", meta.ListInstancesParams{ProjectID: edu.ID, TaskID: a.ID, States: []meta.State{meta.StateWaiting}, BizdateFrom: "2024-01-02", BizdateTo: "2024-01-05"}, pick(4)},
		{"limit", meta.ListInstancesParams{Limit: 2}, pick(5, 6)},
		{"offset", meta.ListInstancesParams{Limit: 2, Offset: 2}, pick(3, 4)},
		{"last page", meta.ListInstancesParams{Limit: 5, Offset: 5}, pick(0, 1)},
		{"past the end", meta.ListInstancesParams{Offset: 7}, pick()},
		{"filtered page", meta.ListInstancesParams{ProjectID: edu.ID, Limit: 2, Offset: 1}, pick(4, 5)},
		{"owner", meta.ListInstancesParams{Owner: "ann"}, pick(0, 1, 3, 4, 6)},
		{"owner in project", meta.ListInstancesParams{ProjectID: edu.ID, Owner: "ann"}, pick(0, 1, 4, 6)},
		{"other owner", meta.ListInstancesParams{Owner: "bob"}, pick(2, 5)},
		{"no such owner", meta.ListInstancesParams{Owner: "nobody"}, pick()},
		{"tier", meta.ListInstancesParams{Tier: meta.TierCore}, pick(0, 1, 4, 6)},
		{"no tier is normal", meta.ListInstancesParams{Tier: meta.TierNormal}, pick(2, 3, 5)},
		{"tier and state", meta.ListInstancesParams{Tier: meta.TierCore, States: []meta.State{meta.StateQueued}}, pick(1, 6)},
		{"owner, tier, page", meta.ListInstancesParams{Owner: "ann", Tier: meta.TierCore, Limit: 2, Offset: 1}, pick(1, 4)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ins, err := f.s.ListInstances(t.Context(), &c.p)
			must(t, err)
			got := []int64{}
			for _, in := range ins {
				got = append(got, in.ID)
				if in.TaskName == "" || in.Version != 1 {
					t.Errorf("listed instance %d without its task name or version: %+v", in.ID, in)
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("listed %v, want %v", got, c.want)
			}
			// The count is of the whole filter, whatever the page.
			all := c.p
			all.Limit, all.Offset = 1000, 0
			every, err := f.s.ListInstances(t.Context(), &all)
			must(t, err)
			n, err := f.s.CountInstances(t.Context(), &c.p)
			must(t, err)
			if n != len(every) {
				t.Errorf("counted %d, want %d", n, len(every))
			}
		})
	}
}

// instancesDefaultLimit pages 101 instances by the default of 100.
func instancesDefaultLimit(f *fixture) {
	t := f.t
	p := f.project("edu")
	task, v := f.task(p.ID, "load")
	for i := range 101 {
		f.instance(v, func(p *meta.CreateInstanceParams) { p.Bizdate = fmt.Sprintf("2023-%02d-%02d", i%12+1, i%28+1) })
	}
	ins, err := f.s.ListInstances(f.ctx, &meta.ListInstancesParams{TaskID: task.ID})
	must(t, err)
	if len(ins) != 100 {
		t.Errorf("listed %d, want the default limit of 100", len(ins))
	}
}
