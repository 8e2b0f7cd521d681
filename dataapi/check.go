package dataapi

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/sqlsplit"
)

// sideEffectFuncs are functions that write, reach outside the database, or
// change session state; a published SELECT may not call them.
var sideEffectFuncs = map[string]bool{
	"nextval": true, "setval": true, "set_config": true, "pg_sleep": true, "pg_terminate_backend": true,
	"pg_cancel_backend": true, "pg_advisory_lock": true, "pg_reload_conf": true, "lo_import": true, "lo_export": true,
	"dblink": true, "dblink_exec": true, "pg_read_file": true, "pg_read_binary_file": true, "pg_ls_dir": true,
	"read_csv": true, "read_csv_auto": true, "read_parquet": true, "parquet_scan": true, "read_json": true,
	"read_json_auto": true, "read_ndjson": true, "read_text": true, "read_blob": true, "glob": true,
	"sleep": true, "benchmark": true, "get_lock": true, "release_lock": true, "load_file": true,
}

// CheckSelect checks that sql (already rendered with every optional
// fragment) is exactly one read-only SELECT. DuckDB's own parser decides
// through json_serialize_sql, which serializes SELECT statements only; other
// dialects get a conservative check until the lineage parsers (issue 4)
// offer a real parse for them.
func CheckSelect(ctx context.Context, eng engine.Engine, sql string) error {
	if n := len(sqlsplit.Split(sql)); n != 1 {
		return fmt.Errorf("%w sql: exactly one statement can be published, got %d", ErrInvalid, n)
	}
	if eng.Dialect() == "duckdb" {
		return checkDuckDB(ctx, eng, sql)
	}
	return checkGeneric(sql)
}

func checkDuckDB(ctx context.Context, eng engine.Engine, sql string) error {
	rows, err := eng.Query(ctx, "SELECT CAST(json_serialize_sql(?::VARCHAR) AS VARCHAR)", sql)
	if err != nil {
		return err
	}
	defer rows.Close()
	var doc string
	for rows.Next() {
		v, err := rows.Values()
		if err != nil {
			return err
		}
		doc, _ = v[0].(string)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var parsed struct {
		Error      bool              `json:"error"`
		Message    string            `json:"error_message"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(doc), &parsed); err != nil {
		return fmt.Errorf("parse check: %w", err)
	}
	if parsed.Error {
		return fmt.Errorf("%w sql: only one read-only SELECT can be published (%s)", ErrInvalid, parsed.Message)
	}
	if len(parsed.Statements) != 1 {
		return fmt.Errorf("%w sql: exactly one statement can be published, got %d", ErrInvalid, len(parsed.Statements))
	}
	var walk func(v any) error
	walk = func(v any) error {
		switch x := v.(type) {
		case map[string]any:
			if name, ok := x["function_name"].(string); ok && sideEffectFuncs[strings.ToLower(name)] {
				return fmt.Errorf("%w sql: a published query may not call %s (it has side effects or reads outside the database)", ErrInvalid, name)
			}
			for _, y := range x {
				if err := walk(y); err != nil {
					return err
				}
			}
		case []any:
			for _, y := range x {
				if err := walk(y); err != nil {
					return err
				}
			}
		}
		return nil
	}
	var tree any
	if err := json.Unmarshal(parsed.Statements[0], &tree); err != nil {
		return err
	}
	return walk(tree)
}

var (
	writeWords = regexp.MustCompile(`(?i)\b(insert|update|delete|merge|upsert|replace|create|drop|alter|truncate|grant|revoke|copy|call|do|into|lock|set|load|attach|install|pragma|vacuum|analyze|execute|prepare|handler|outfile|dumpfile)\b`)
	funcCall   = regexp.MustCompile(`(?i)\b([a-z_][a-z0-9_]*)\s*\(`)
)

// checkGeneric is the fallback check: one statement, starting with SELECT
// or WITH, with no word that writes and no side-effect function outside
// string literals and comments.
func checkGeneric(sql string) error {
	stmts := sqlsplit.Split(sql)
	if len(stmts) != 1 {
		return fmt.Errorf("%w sql: exactly one statement can be published, got %d", ErrInvalid, len(stmts))
	}
	bare := stripLiterals(stmts[0].SQL)
	first := strings.ToLower(strings.Fields(bare + " x")[0])
	if first != "select" && first != "with" {
		return fmt.Errorf("%w sql: only a SELECT can be published, this starts with %s", ErrInvalid, strings.ToUpper(first))
	}
	if m := writeWords.FindString(bare); m != "" {
		return fmt.Errorf("%w sql: a published query must be read-only; it contains %s", ErrInvalid, strings.ToUpper(m))
	}
	for _, m := range funcCall.FindAllStringSubmatch(bare, -1) {
		if sideEffectFuncs[strings.ToLower(m[1])] {
			return fmt.Errorf("%w sql: a published query may not call %s", ErrInvalid, m[1])
		}
	}
	return nil
}

// stripLiterals blanks string literals and comments.
func stripLiterals(sql string) string {
	t, err := parseTemplate(sql)
	if err != nil {
		return sql
	}
	var b strings.Builder
	for _, p := range t.parts {
		b.WriteString(blank(p.text))
		b.WriteString(" ")
	}
	return b.String()
}

var literalRE = regexp.MustCompile(`'(?:[^']|'')*'|--[^\n]*|/\*(?s:.*?)\*/`)

func blank(s string) string { return literalRE.ReplaceAllString(s, "''") }
