package lineage

import (
	"fmt"
	"strings"
)

// Dialects Kiln reads. "ansi" is generic SQL read by the Postgres parser,
// the most permissive of the three; "duckdb" uses DuckDB's own parser (see
// duckdb.go and docs/lineage.md).
var Dialects = []string{"ansi", "duckdb", "mysql", "postgres"}

// Parse parses SQL text (one statement or a script) in a dialect.
func Parse(dialect, text string) ([]*Stmt, error) {
	text = rewriteInsertOverwrite(text)
	switch strings.ToLower(dialect) {
	case "ansi", "postgres", "postgresql":
		return parsePostgres(text)
	case "duckdb":
		return parseDuckDB(text)
	case "mysql", "mariadb", "tidb", "doris", "starrocks":
		return parseMySQL(text)
	}
	return nil, fmt.Errorf("unknown dialect %q (one of: %s)", dialect, strings.Join(Dialects, ", "))
}

// Analyze parses and resolves SQL text.
func Analyze(dialect, text string, opt Options) (*Result, error) {
	stmts, err := Parse(dialect, text)
	if err != nil {
		return nil, err
	}
	return Resolve(stmts, opt), nil
}
