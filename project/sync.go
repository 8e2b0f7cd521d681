package project

import (
	"errors"
	"regexp"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"

	"github.com/kilnhq/kiln/meta"
)

// readSync reads the sync: block of a YAML sync task into the spec;
// unknown keys and wrong value types are reported where they are.
func (dr *draft) readSync(d *decoder, k, v ast.Node) {
	dr.mark(d, "sync", k, v)
	v = d.unwrap(v)
	if v == nil || v.Type() == ast.NullType {
		return
	}
	s := &meta.SyncSpec{}
	if err := yaml.NodeToValue(v, s, yaml.DisallowUnknownField()); err != nil {
		var ye interface {
			GetToken() *token.Token
			GetMessage() string
		}
		if errors.As(err, &ye) {
			d.probs.add(d.file, d.where(ye.GetToken()), "sync: %s", ye.GetMessage())
		} else {
			d.probs.add(d.file, dr.set["sync"], "sync: %v", err)
		}
		return
	}
	dr.spec.Sync = s
}

var syncIdentRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// checkSync checks a sync task: it holds a sync block (and no sql or
// script) whose mode and fields agree.
func (dr *draft) checkSync(probs *problems) {
	s, file := dr.spec.Sync, dr.spec.Path
	for _, key := range []string{"sql", "script", "memory_limit_mb"} {
		if at, ok := dr.keyAt[key]; ok {
			probs.add(file, at, "%s: a sync task holds a sync block", key)
		}
	}
	at := dr.set["sync"]
	if s == nil {
		if _, ok := dr.set["sync"]; !ok {
			probs.add(file, dr.set["type"], "a sync task needs a sync block: source, target and mode")
		}
		return
	}
	if s.Mode == "" {
		s.Mode = meta.SyncFull
	}
	if !s.Mode.Valid() {
		probs.add(file, at, "sync.mode: unknown mode %q: want full, incremental, partition or cdc", s.Mode)
	}
	n := 0
	for _, set := range []string{s.Source.Engine, s.Source.Files, s.Source.SQLite} {
		if set != "" {
			n++
		}
	}
	if n != 1 {
		probs.add(file, at, "sync.source: set exactly one of engine, files or sqlite")
	}
	if s.Source.Files == "" && s.Source.Table == "" && len(s.Source.Tables) == 0 {
		probs.add(file, at, "sync.source: table (or tables, for shards) is required")
	}
	if s.Target.Table == "" && s.Target.Files == "" && s.Target.Queue == "" {
		probs.add(file, at, "sync.target: table (or files, or queue) is required")
	} else if s.Target.Table != "" && !tableRe.MatchString(s.Target.Table) {
		probs.add(file, at, "sync.target.table %q: want [schema.]table, letters, digits and _", s.Target.Table)
	}
	if s.Mode == meta.SyncIncremental && !syncIdentRe.MatchString(s.Cursor) {
		probs.add(file, at, "sync.cursor: an incremental sync needs a cursor column (updated_at or an auto-increment id)")
	}
	if s.Mode == meta.SyncPartition && s.PartitionColumn == "" {
		probs.add(file, at, "sync.partition_column: a partition sync names the target column it replaces")
	}
	if s.Mode == meta.SyncPartition && s.PartitionValue == "" {
		s.PartitionValue = DefaultPartitionValue
	}
	if s.Mode == meta.SyncCDC && s.Source.Engine == "" {
		probs.add(file, at, "sync.source: a cdc sync reads the binlog of a MySQL/MariaDB engine: set source.engine")
	}
	if s.DroppedColumns != "" && s.DroppedColumns != "keep" && s.DroppedColumns != "fail" {
		probs.add(file, at, "sync.dropped_columns %q: want keep or fail", s.DroppedColumns)
	}
}
