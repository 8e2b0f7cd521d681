package query

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/meta"
)

// Formats of a download.
var Formats = []string{"csv", "xlsx", "parquet"}

// ErrFormat is returned for a download format the engine cannot write.
var ErrFormat = errors.New("unsupported download format")

// ContentType returns the MIME type of a download format.
func ContentType(format string) string {
	switch format {
	case "xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	case "parquet":
		return "application/vnd.apache.parquet"
	}
	return "text/csv; charset=utf-8"
}

// Download streams a query's full result to w in format, without holding it
// in memory, and returns the row count. It is recorded in the history like
// any other run; the row limit does not apply, the time limit does.
func (s *Service) Download(ctx context.Context, req *Request, format string, w io.Writer) (int64, error) {
	switch format {
	case "csv", "xlsx", "parquet":
	default:
		return 0, fmt.Errorf("%w %q: want csv, xlsx or parquet", ErrFormat, format)
	}
	eng, prep, err := s.prepare(ctx, req)
	if err != nil {
		return 0, err
	}
	run := &meta.QueryRun{ProjectID: req.Project.ID, UserName: req.User, Engine: eng.Name(), SQL: req.SQL}
	if err := s.store.CreateQueryRun(ctx, run); err != nil {
		return 0, err
	}
	dctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	n, err := s.download(dctx, eng, prep.SQL, format, w)
	fin := &meta.FinishQueryRunParams{ID: run.ID, Status: meta.QuerySucceeded, EndedAt: time.Now(), Rows: n}
	switch {
	case err == nil:
	case errors.Is(dctx.Err(), context.DeadlineExceeded) && ctx.Err() == nil:
		fin.Status, fin.Error = meta.QueryTimedOut, "the download ran longer than the time limit"
	case ctx.Err() != nil:
		fin.Status, fin.Error = meta.QueryCanceled, "the client went away"
	default:
		fin.Status, fin.Error = meta.QueryFailed, err.Error()
	}
	if ferr := s.store.FinishQueryRun(context.WithoutCancel(ctx), fin); ferr != nil {
		s.log.Error("record download", "query", run.ID, "err", ferr)
	}
	if req.OnFinish != nil {
		run.Status, run.Rows, run.Error = fin.Status, fin.Rows, fin.Error
		req.OnFinish(run, prep)
	}
	return n, err
}

func (s *Service) download(ctx context.Context, eng engine.Engine, sql, format string, w io.Writer) (int64, error) {
	x, canExport := engine.AsExporter(eng)
	switch {
	case canExport && (format == "csv" || format == "parquet"):
		return x.Export(ctx, sql, format, w)
	case format == "parquet":
		return 0, fmt.Errorf("%w: parquet downloads need an engine that writes Parquet itself (the embedded DuckDB); use csv or xlsx on %s", ErrFormat, eng.Dialect())
	}
	src, err := open(ctx, eng, sql)
	if err != nil {
		return 0, err
	}
	n, err := writeRows(src, format, w)
	return n, errors.Join(err, src.close())
}

func writeRows(src *source, format string, w io.Writer) (int64, error) {
	header := make([]string, len(src.cols))
	for i, c := range src.cols {
		header[i] = c.Name
	}
	var add func([]any) error
	var finish func() error
	if format == "xlsx" {
		xw := newXLSXWriter(w, header, MaxSheetRows)
		add, finish = xw.add, xw.close
	} else {
		bw := bufio.NewWriterSize(w, 64<<10)
		cw := csv.NewWriter(bw)
		if err := cw.Write(header); err != nil {
			return 0, err
		}
		rec := make([]string, len(header))
		add = func(vals []any) error {
			for i, v := range vals {
				rec[i] = textValue(v)
			}
			return cw.Write(rec)
		}
		finish = func() error { cw.Flush(); return errors.Join(cw.Error(), bw.Flush()) }
	}
	var n int64
	for {
		vals, err := src.next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, err
		}
		if err := add(vals); err != nil {
			return n, err
		}
		n++
	}
	return n, finish()
}
