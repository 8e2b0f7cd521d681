package metatest

import (
	"reflect"
	"time"

	"github.com/kilnhq/kiln/meta"
)

// fullSpec sets every field of a spec, with text that needs escaping.
func fullSpec(name string) meta.TaskSpec {
	return meta.TaskSpec{
		Name: name, Type: meta.TaskSQLModel, Path: "tasks/dwd/" + name + ".sql", Engine: "warehouse",
		Schedule:  meta.Schedule{Cron: "0 2 * * *", Timezone: "Asia/Shanghai"},
		Upstreams: []string{"ods_orders", "ods_students"},
		Params:    map[string]string{"lookback": "7", "label": `it's "quoted"`},
		Retries:   2, RetryDelay: meta.Duration(1500 * time.Millisecond), Timeout: meta.Duration(90 * time.Minute),
		Priority: 5, Pool: "etl", Owner: "alice", Tier: meta.TierCore, Tags: []string{"dwd", "订单"},
		Description: "Orders, cleaned.\nOne row per order.",
		SQL:         "SELECT *\nFROM ods.orders\nWHERE dt = '${bizdate}' -- ✓",
		Target:      "dwd.dwd_orders", WriteMode: meta.WriteOverwritePartition,
		PartitionColumn: "dt", PartitionValue: "${bizdate}", UniqueKey: []string{"order_id", "line"},
		Script: "#!/bin/sh\necho \"$HOME\" \\\n", MemoryLimitMB: 2048,
	}
}

func tasksCreate(f *fixture) {
	t := f.t
	p := f.project("edu")
	since := tick()
	spec := fullSpec("dwd_orders")
	task, v, err := f.s.CreateTask(f.ctx, &meta.CreateTaskParams{ProjectID: p.ID, Spec: spec, Hash: "h1", Author: "alice", Message: "first"})
	must(t, err)
	if task.ID == 0 || task.ProjectID != p.ID || task.Name != "dwd_orders" || task.Type != meta.TaskSQLModel ||
		task.Status != meta.TaskActive || task.CurrentVersion != 1 || task.Owner != "alice" || task.Removed {
		t.Errorf("created task %+v", task)
	}
	wantRecent(t, "created_at", task.CreatedAt, since)
	if v.ID == 0 || v.TaskID != task.ID || v.Version != 1 || v.Hash != "h1" || v.Author != "alice" || v.Message != "first" {
		t.Errorf("created version %+v", v)
	}
	if !reflect.DeepEqual(v.Spec, spec) {
		t.Errorf("spec came back as\n%+v\nwant\n%+v", v.Spec, spec)
	}
	wantRecent(t, "version created_at", v.CreatedAt, since)
	got, err := f.s.GetTask(f.ctx, p.ID, "dwd_orders")
	must(t, err)
	byID, err := f.s.GetTaskByID(f.ctx, task.ID)
	must(t, err)
	for _, g := range []*meta.Task{got, byID} {
		if !reflect.DeepEqual(g, task) {
			t.Errorf("got %+v, want %+v", g, task)
		}
	}
}

func tasksNameTaken(f *fixture) {
	t := f.t
	edu, ops := f.project("edu"), f.project("ops")
	f.task(edu.ID, "load")
	_, _, err := f.s.CreateTask(f.ctx, &meta.CreateTaskParams{ProjectID: edu.ID, Spec: meta.TaskSpec{Name: "load", Type: meta.TaskShell}})
	wantErr(t, err, meta.ErrConflict, "load")
	f.task(ops.ID, "load") // names are unique per project only
	_, _, err = f.s.CreateTask(f.ctx, &meta.CreateTaskParams{ProjectID: 9999, Spec: meta.TaskSpec{Name: "x", Type: meta.TaskShell}})
	wantErr(t, err, meta.ErrNotFound, "9999")
	_, _, err = f.s.CreateTask(f.ctx, &meta.CreateTaskParams{ProjectID: edu.ID})
	wantFail(t, err, "task without a name")
}

func tasksMissing(f *fixture) {
	t := f.t
	p := f.project("edu")
	_, err := f.s.GetTask(f.ctx, p.ID, "ghost")
	wantErr(t, err, meta.ErrNotFound, "ghost")
	_, err = f.s.GetTaskByID(f.ctx, 9999)
	wantErr(t, err, meta.ErrNotFound, "9999")
	wantErr(t, f.s.RemoveTask(f.ctx, 9999), meta.ErrNotFound, "9999")
	wantErr(t, f.s.SetTaskStatus(f.ctx, 9999, meta.TaskPaused), meta.ErrNotFound, "9999")
}

func tasksRemoveAndBringBack(f *fixture) {
	t := f.t
	p := f.project("edu")
	task, _ := f.task(p.ID, "load")
	must(t, f.s.RemoveTask(f.ctx, task.ID))
	got, err := f.s.GetTask(f.ctx, p.ID, "load")
	must(t, err)
	if !got.Removed {
		t.Fatalf("removed task %+v", got)
	}
	v, err := f.s.AddVersion(f.ctx, &meta.AddVersionParams{TaskID: task.ID, Spec: meta.TaskSpec{Name: "load", Type: meta.TaskShell}, Hash: "h2"})
	must(t, err)
	got, err = f.s.GetTask(f.ctx, p.ID, "load")
	must(t, err)
	if got.Removed || got.CurrentVersion != 2 || v.Version != 2 || got.Type != meta.TaskShell {
		t.Errorf("after a new version task %+v version %d, want back at version 2", got, v.Version)
	}
}

func tasksList(f *fixture) {
	t := f.t
	edu, ops := f.project("edu"), f.project("ops")
	ids := map[string]int64{}
	for _, n := range []string{"c_removed", "b_paused", "a_active", "d_offline"} {
		task, _ := f.task(edu.ID, n)
		ids[n] = task.ID
	}
	f.task(ops.ID, "other")
	must(t, f.s.RemoveTask(f.ctx, ids["c_removed"]))
	must(t, f.s.SetTaskStatus(f.ctx, ids["b_paused"], meta.TaskPaused))
	must(t, f.s.SetTaskStatus(f.ctx, ids["d_offline"], meta.TaskOffline))
	wantFail(t, f.s.SetTaskStatus(f.ctx, ids["a_active"], "sleeping"), "unknown status")
	cases := []struct {
		name string
		p    meta.ListTasksParams
		want []string
	}{
		{"project", meta.ListTasksParams{ProjectID: edu.ID}, []string{"a_active", "b_paused", "d_offline"}},
		{"with removed", meta.ListTasksParams{ProjectID: edu.ID, IncludeRemoved: true}, []string{"a_active", "b_paused", "c_removed", "d_offline"}},
		{"paused", meta.ListTasksParams{ProjectID: edu.ID, Status: meta.TaskPaused}, []string{"b_paused"}},
		{"active", meta.ListTasksParams{ProjectID: edu.ID, Status: meta.TaskActive}, []string{"a_active"}},
		{"active with removed", meta.ListTasksParams{ProjectID: edu.ID, Status: meta.TaskActive, IncludeRemoved: true}, []string{"a_active", "c_removed"}},
		{"other project", meta.ListTasksParams{ProjectID: ops.ID}, []string{"other"}},
		{"no project", meta.ListTasksParams{ProjectID: 9999}, []string{}},
	}
	for _, c := range cases {
		ts, err := f.s.ListTasks(f.ctx, &c.p)
		must(t, err)
		if got := names(ts, func(t *meta.Task) string { return t.Name }); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: listed %v, want %v", c.name, got, c.want)
		}
	}
}

func versionsAddGetList(f *fixture) {
	t := f.t
	p := f.project("edu")
	task, v1 := f.task(p.ID, "dwd_orders")
	spec := fullSpec("dwd_orders")
	since := tick()
	v2, err := f.s.AddVersion(f.ctx, &meta.AddVersionParams{TaskID: task.ID, Spec: spec, Hash: "h2", Author: "bob", Message: "merge"})
	must(t, err)
	if v2.Version != 2 || v2.TaskID != task.ID || v2.Hash != "h2" || v2.Author != "bob" || v2.Message != "merge" || !reflect.DeepEqual(v2.Spec, spec) {
		t.Errorf("added %+v", v2)
	}
	wantRecent(t, "created_at", v2.CreatedAt, since)
	got, err := f.s.GetTaskByID(f.ctx, task.ID)
	must(t, err)
	if got.CurrentVersion != 2 || got.Type != meta.TaskSQLModel || got.Owner != "alice" || got.UpdatedAt.Before(task.UpdatedAt) {
		t.Errorf("task after v2 %+v, want current 2 with the new type and owner", got)
	}
	unnamed := meta.TaskSpec{Type: meta.TaskPython, Script: "print(1)"}
	v3, err := f.s.AddVersion(f.ctx, &meta.AddVersionParams{TaskID: task.ID, Spec: unnamed, Hash: "h3"})
	must(t, err)
	if v3.Version != 3 || v3.Spec.Name != "dwd_orders" {
		t.Errorf("v3 %+v, want version 3 named after the task", v3)
	}
	for _, want := range []*meta.Version{v1, v2, v3} {
		byNum, err := f.s.GetVersion(f.ctx, task.ID, want.Version)
		must(t, err)
		byID, err := f.s.GetVersionByID(f.ctx, want.ID)
		must(t, err)
		for _, g := range []*meta.Version{byNum, byID} {
			if !reflect.DeepEqual(g, want) {
				t.Errorf("got %+v, want %+v", g, want)
			}
		}
	}
	vs, err := f.s.ListVersions(f.ctx, task.ID)
	must(t, err)
	if len(vs) != 3 || vs[0].Version != 3 || vs[1].Version != 2 || vs[2].Version != 1 || !reflect.DeepEqual(vs[1], v2) {
		t.Errorf("listed %+v, want versions 3, 2, 1", vs)
	}
}

func versionsErrors(f *fixture) {
	t := f.t
	p := f.project("edu")
	task, _ := f.task(p.ID, "load")
	_, err := f.s.AddVersion(f.ctx, &meta.AddVersionParams{TaskID: task.ID, Spec: meta.TaskSpec{Name: "renamed", Type: meta.TaskShell}})
	wantFail(t, err, "a version that renames the task")
	_, err = f.s.AddVersion(f.ctx, &meta.AddVersionParams{TaskID: 9999, Spec: meta.TaskSpec{Type: meta.TaskShell}})
	wantErr(t, err, meta.ErrNotFound, "9999")
	_, err = f.s.GetVersion(f.ctx, task.ID, 2)
	wantErr(t, err, meta.ErrNotFound)
	_, err = f.s.GetVersionByID(f.ctx, 9999)
	wantErr(t, err, meta.ErrNotFound, "9999")
	vs, err := f.s.ListVersions(f.ctx, task.ID)
	must(t, err)
	if len(vs) != 1 {
		t.Errorf("failed saves left %d versions, want 1", len(vs))
	}
}

func versionsMinimalSpec(f *fixture) {
	t := f.t
	p := f.project("edu")
	spec := meta.TaskSpec{Name: "bare", Type: meta.TaskShell}
	_, v, err := f.s.CreateTask(f.ctx, &meta.CreateTaskParams{ProjectID: p.ID, Spec: spec})
	must(t, err)
	got, err := f.s.GetVersionByID(f.ctx, v.ID)
	must(t, err)
	if !reflect.DeepEqual(got.Spec, spec) {
		t.Errorf("spec came back as %+v, want %+v with nil maps and slices", got.Spec, spec)
	}
}
