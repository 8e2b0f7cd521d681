package api

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/meta"
)

// SQLRequest runs one ad-hoc statement.
type SQLRequest struct {
	SQL    string `json:"sql"`
	Engine string `json:"engine,omitempty"` // default: the project's default engine
	Format string `json:"format,omitempty"` // json (default), csv or ndjson
	Limit  int    `json:"limit,omitempty"`  // stop after this many rows; 0: all
}

// SQLResult is the json format's shape: columns, then rows as arrays.
type SQLResult struct {
	Columns   []engine.Column `json:"columns"`
	Rows      [][]any         `json:"rows"`
	RowCount  int64           `json:"row_count"`
	Truncated bool            `json:"truncated"`
	ElapsedMs int64           `json:"elapsed_ms"`
}

func (s *Server) registerSQLRoutes() {
	s.add(&route{method: "POST", path: "/api/v1/projects/{project}/sql", tag: "query",
		summary: "Run an ad-hoc statement on an engine and stream its rows as JSON, CSV or NDJSON",
		scope:   scopeProject, act: meta.ActQuery, in: SQLRequest{}, out: SQLResult{}, h: s.runSQL})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/engines/{engine}/tables", tag: "query", summary: "Tables of an engine",
		scope: scopeProject, act: meta.ActRead, out: []engine.TableRef{}, query: []param{{"schema", "string", "only this schema"}}, h: s.listTables})
	s.add(&route{method: "GET", path: "/api/v1/projects/{project}/engines/{engine}/tables/{table}", tag: "query", summary: "Columns of a table ([schema.]table)",
		scope: scopeProject, act: meta.ActRead, out: engine.Table{}, h: s.describeTable})
}

func (s *Server) projectEngine(r *http.Request, c *call, name string) (engine.Engine, error) {
	name = cmp.Or(name, c.project.DefaultEngine)
	if name == "" {
		return nil, badRequest("name an engine: project %s has no default engine", c.project.Name)
	}
	return s.engines.Engine(r.Context(), c.project.ID, name)
}

func (s *Server) runSQL(w http.ResponseWriter, r *http.Request, c *call) error {
	var req SQLRequest
	if err := s.decode(r, &req); err != nil {
		return err
	}
	if req.SQL == "" {
		return badRequest("sql is empty")
	}
	format := cmp.Or(req.Format, "json")
	if format != "json" && format != "csv" && format != "ndjson" {
		return badRequest("format must be json, csv or ndjson, got %q", format)
	}
	if req.Limit < 0 {
		return badRequest("limit must not be negative")
	}
	eng, err := s.projectEngine(r, c, req.Engine)
	if err != nil {
		return err
	}
	start := time.Now()
	if x, ok := engine.AsExporter(eng); ok && format != "json" && req.Limit == 0 && isQuery(req.SQL) {
		s.audit(r.Context(), c.user, c.project.ID, "sql.run", eng.Name(), truncate(req.SQL, 2000))
		return exportStream(w, x, r, req.SQL, format)
	}
	rows, err := eng.Query(r.Context(), req.SQL)
	if err != nil {
		return &Error{Status: http.StatusBadRequest, Code: "sql_error", Message: err.Error()}
	}
	defer rows.Close()
	s.audit(r.Context(), c.user, c.project.ID, "sql.run", eng.Name(), truncate(req.SQL, 2000))
	switch format {
	case "csv":
		return streamCSV(w, rows, req.Limit)
	case "ndjson":
		return streamNDJSON(w, rows, req.Limit)
	}
	return streamJSON(w, rows, req.Limit, start)
}

// exportStream lets an engine that can export write the result itself, in
// constant memory. An error after the first bytes went out is reported in
// the X-Kiln-Error trailer, since the status line is already sent.
func exportStream(w http.ResponseWriter, x engine.Exporter, r *http.Request, query, format string) error {
	ct := "text/csv; charset=utf-8"
	if format == "ndjson" {
		ct = "application/x-ndjson"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Trailer", errorTrailer)
	sw := &startedWriter{w: w}
	_, err := x.Export(r.Context(), query, format, sw)
	if err != nil && !sw.started {
		return &Error{Status: http.StatusBadRequest, Code: "sql_error", Message: err.Error()}
	}
	if err != nil {
		w.Header().Set(errorTrailer, oneLine(err.Error()))
	}
	return err
}

// errorTrailer carries an error that happened mid-stream.
const errorTrailer = "X-Kiln-Error"

type startedWriter struct {
	w       io.Writer
	started bool
}

func (s *startedWriter) Write(b []byte) (int, error) {
	s.started = true
	return s.w.Write(b)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// isQuery reports whether a statement is a plain query (it starts with
// SELECT, WITH, FROM, VALUES, TABLE or a parenthesis after any comments).
func isQuery(sql string) bool {
	s := strings.TrimSpace(sql)
	for {
		switch {
		case strings.HasPrefix(s, "--"):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return false
			}
			s = strings.TrimSpace(s[i+1:])
			continue
		case strings.HasPrefix(s, "/*"):
			i := strings.Index(s, "*/")
			if i < 0 {
				return false
			}
			s = strings.TrimSpace(s[i+2:])
			continue
		}
		break
	}
	if strings.HasPrefix(s, "(") {
		return true
	}
	words := strings.FieldsFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') })
	if len(words) == 0 {
		return false
	}
	switch strings.ToLower(words[0]) {
	case "select", "with", "from", "values", "table":
		return true
	}
	return false
}

// streamJSON writes SQLResult row by row; the envelope's trailing fields
// come after the rows so nothing is held in memory.
func streamJSON(w http.ResponseWriter, rows engine.Rows, limit int, start time.Time) error {
	w.Header().Set("Content-Type", "application/json")
	bw := bufio.NewWriterSize(w, 64<<10)
	cols, _ := json.Marshal(rows.Columns())
	fmt.Fprintf(bw, `{"columns":%s,"rows":[`, cols)
	enc := json.NewEncoder(bw)
	var n int64
	truncated := false
	out := make([]any, len(rows.Columns()))
	for rows.Next() {
		if limit > 0 && n == int64(limit) {
			truncated = true
			break
		}
		vals, err := rows.Values()
		if err != nil {
			return streamFailed(bw, err)
		}
		for i, v := range vals {
			out[i] = jsonValue(v)
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		if err := enc.Encode(out); err != nil {
			return streamFailed(bw, err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return streamFailed(bw, err)
	}
	fmt.Fprintf(bw, `],"row_count":%d,"truncated":%t,"elapsed_ms":%d}`+"\n", n, truncated, time.Since(start).Milliseconds())
	return bw.Flush()
}

func streamNDJSON(w http.ResponseWriter, rows engine.Rows, limit int) error {
	w.Header().Set("Content-Type", "application/x-ndjson")
	bw := bufio.NewWriterSize(w, 64<<10)
	cols := rows.Columns()
	enc := json.NewEncoder(bw)
	obj := make(map[string]any, len(cols))
	for n := 0; rows.Next(); n++ {
		if limit > 0 && n == limit {
			break
		}
		vals, err := rows.Values()
		if err != nil {
			return streamFailed(bw, err)
		}
		for i, v := range vals {
			obj[cols[i].Name] = jsonValue(v)
		}
		if err := enc.Encode(obj); err != nil {
			return streamFailed(bw, err)
		}
	}
	if err := rows.Err(); err != nil {
		return streamFailed(bw, err)
	}
	return bw.Flush()
}

func streamCSV(w http.ResponseWriter, rows engine.Rows, limit int) error {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Trailer", errorTrailer)
	defer func() {
		if err := rows.Err(); err != nil {
			w.Header().Set(errorTrailer, oneLine(err.Error()))
		}
	}()
	cw := csv.NewWriter(bufio.NewWriterSize(w, 64<<10))
	cols := rows.Columns()
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = c.Name
	}
	_ = cw.Write(rec)
	for n := 0; rows.Next(); n++ {
		if limit > 0 && n == limit {
			break
		}
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		for i, v := range vals {
			rec[i] = textValue(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := rows.Err(); err != nil {
		return err
	}
	return cw.Error()
}

// streamFailed ends a JSON stream that broke after its header was sent with
// an error marker a client can detect, and returns the error for the log.
func streamFailed(bw *bufio.Writer, err error) error {
	msg, _ := json.Marshal(err.Error())
	fmt.Fprintf(bw, "\n],\"error\":%s}\n", msg)
	_ = bw.Flush()
	return err
}

// jsonValue turns a driver value into something encoding/json writes well.
func jsonValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case *big.Int:
		if x.IsInt64() {
			return x.Int64()
		}
		return x.String()
	case fmt.Stringer:
		return x.String()
	}
	return v
}

// textValue renders a value for CSV: NULL is empty.
func textValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case int32:
		return strconv.FormatInt(int64(x), 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format("2006-01-02 15:04:05.999999")
	}
	return fmt.Sprint(jsonValue(v))
}

func (s *Server) listTables(w http.ResponseWriter, r *http.Request, c *call) error {
	eng, err := s.projectEngine(r, c, r.PathValue("engine"))
	if err != nil {
		return err
	}
	ts, err := eng.ListTables(r.Context(), r.URL.Query().Get("schema"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, nonNil(ts))
	return nil
}

func (s *Server) describeTable(w http.ResponseWriter, r *http.Request, c *call) error {
	eng, err := s.projectEngine(r, c, r.PathValue("engine"))
	if err != nil {
		return err
	}
	t, err := eng.Describe(r.Context(), engine.ParseTableRef(r.PathValue("table")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
