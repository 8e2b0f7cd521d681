package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kilnhq/kiln/engine/duckdb"
	"github.com/kilnhq/kiln/meta"
	"github.com/kilnhq/kiln/runner"
)

// fileSink writes a sync's rows to one CSV or Parquet file: the rows load
// into a private in-memory DuckDB as a full sync would, then DuckDB's COPY
// writes a temporary file that is renamed over the target, so a reader
// never sees a half-written file and a failed run leaves the old one.
type fileSink struct {
	path, format string
	close        func() error
}

// fileTable is the table of the private DuckDB the rows load into.
const fileTable = "out"

func (x *Executor) openFileTarget(ctx context.Context, job *runner.Job, p *plan) error {
	t := p.spec.Target
	switch p.spec.Mode {
	case meta.SyncFull, meta.SyncPartition, "":
	default:
		return fmt.Errorf("target files %q: a file is written whole by every run: use mode full (or partition, with ${bizdate} in the path)", t.Files)
	}
	path, err := render(job, t.Files)
	if err != nil {
		return fmt.Errorf("target files: %w", err)
	}
	if !filepath.IsAbs(path) && x.BaseDir != "" {
		path = filepath.Join(x.BaseDir, path)
	}
	format := t.Format
	if format == "" {
		format = strings.TrimPrefix(filepath.Ext(path), ".")
	}
	if format != "csv" && format != "parquet" {
		return fmt.Errorf("target files %q: unknown format %q: want csv or parquet", t.Files, format)
	}
	if fi, err := os.Stat(filepath.Dir(path)); err != nil || !fi.IsDir() {
		return fmt.Errorf("target files %q: directory %s does not exist", t.Files, filepath.Dir(path))
	}
	e, err := duckdb.Open("files-out", "")
	if err != nil {
		return err
	}
	if p.tgt, err = openWarehouse(ctx, e.DB()); err != nil {
		e.Close()
		return err
	}
	p.schema, p.table = "", fileTable
	p.file = &fileSink{path: path, format: format, close: e.Close}
	return p.checkPartition()
}

// write copies the loaded table to the file.
func (f *fileSink) write(ctx context.Context, w *warehouse) error {
	tmp := f.path + ".kiln-tmp"
	opts := "FORMAT parquet"
	if f.format == "csv" {
		opts = "FORMAT csv, HEADER"
	}
	if err := w.exec(ctx, "COPY "+qi(fileTable)+" TO "+qs(tmp)+" ("+opts+")"); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("target files: %w", err)
	}
	if err := os.Rename(tmp, f.path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("target files: %w", err)
	}
	return nil
}
