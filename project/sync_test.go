package project

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kilnhq/kiln/meta"
)

func TestSyncTask(t *testing.T) {
	fsys := fstest.MapFS{
		"kiln.yaml": {Data: []byte("name: p\ndefault_engine: warehouse\nengines:\n  warehouse:\n    kind: duckdb\ntask_dirs: [tasks]\n")},
		"tasks/ods_film.yaml": {Data: []byte("type: sync\nsync:\n  mode: incremental\n  cursor: last_update\n  lookback: 1h\n" +
			"  source: {engine: warehouse, table: film}\n  target: {table: ods_film}\n  rename: {title: film_title}\n")},
	}
	p, probs := Load(fsys)
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	var s *meta.SyncSpec
	for _, task := range p.Tasks {
		if task.Name == "ods_film" {
			s = task.Sync
		}
	}
	if s == nil || s.Mode != meta.SyncIncremental || s.Source.Table != "film" || s.Rename["title"] != "film_title" || s.Lookback != "1h" {
		t.Fatalf("sync spec %+v", s)
	}

	fsys["tasks/ods_film.yaml"] = &fstest.MapFile{Data: []byte("type: sync\nsync:\n  mode: incremental\n  source:\n    engine: warehouse\n    tabel: film\n  target: {table: x}\n")}
	_, probs = Load(fsys)
	var got []string
	for _, pr := range probs {
		got = append(got, pr.String())
	}
	all := strings.Join(got, "\n")
	if !strings.Contains(all, `tasks/ods_film.yaml:6:5: sync: unknown field "tabel"`) {
		t.Errorf("problems:\n%s", all)
	}
	fsys["tasks/ods_film.yaml"] = &fstest.MapFile{Data: []byte("type: sync\nsync:\n  mode: incremental\n  source: {engine: warehouse, table: film}\n  target: {table: x}\n")}
	_, probs = Load(fsys)
	if len(probs) != 1 || !strings.Contains(probs[0].String(), "needs a cursor column") {
		t.Errorf("problems: %v", probs)
	}
	// File and queue targets need no table.
	fsys["tasks/ods_film.yaml"] = &fstest.MapFile{Data: []byte("type: sync\nsync:\n  source: {engine: warehouse, table: film}\n" +
		"  target: {queue: 'nats://127.0.0.1:4222', subject: ods.film, stream: ODS, message: batch}\n")}
	if _, probs = Load(fsys); len(probs) != 0 {
		t.Errorf("queue target: %v", probs)
	}
	fsys["tasks/ods_film.yaml"] = &fstest.MapFile{Data: []byte("type: sync\nsync:\n  source: {engine: warehouse, table: film}\n  target: {files: out/film.parquet}\n")}
	if _, probs = Load(fsys); len(probs) != 0 {
		t.Errorf("file target: %v", probs)
	}
}
