// Package engine defines how Kiln talks to a warehouse or database: run
// statements, stream results, describe tables, dry-run, and write a SQL
// model's result by a write mode. Adapters live in sub-packages (duckdb,
// postgres, mysql); each passes the conformance suite in engine/enginetest.
package engine

import (
	"context"
	"errors"

	"github.com/kilnhq/kiln/meta"
)

// Errors callers branch on.
var (
	ErrTableNotFound = errors.New("table not found")
	// ErrUnsupported is returned for a capability an engine lacks.
	ErrUnsupported = errors.New("not supported by this engine")
	// ErrPartitionMismatch is returned by an overwrite_partition run whose
	// query produced rows outside the partition it replaces.
	ErrPartitionMismatch = errors.New("rows outside the partition")
	// ErrDuplicateKey is returned by a merge run whose query produced two
	// rows with the same unique key.
	ErrDuplicateKey = errors.New("duplicate merge key")
)

// Engine is a connection to one warehouse or database.
type Engine interface {
	// Name is the data source name in the project ("warehouse", "crm_pg").
	Name() string
	// Dialect is the SQL dialect: "duckdb", "postgres" or "mysql".
	Dialect() string
	// Exec runs one statement and returns the rows it affected (-1 if the
	// engine does not say).
	Exec(ctx context.Context, sql string, args ...any) (int64, error)
	// Query runs one statement and streams its rows. The caller closes Rows.
	Query(ctx context.Context, sql string, args ...any) (Rows, error)
	// Describe returns a table's columns, or ErrTableNotFound.
	Describe(ctx context.Context, table TableRef) (*Table, error)
	// ListTables lists the tables and views of a schema ("" for all user schemas).
	ListTables(ctx context.Context, schema string) ([]TableRef, error)
	// Explain checks a statement without running it and returns the plan.
	Explain(ctx context.Context, sql string) (string, error)
	// RunModel writes a SELECT's result into a table by a write mode, in one
	// transaction where the engine allows, creating the table when missing.
	// On error the target is left as it was.
	RunModel(ctx context.Context, m *Model) (*ModelResult, error)
	// RunScript runs statements in order, in one transaction where the
	// engine allows; on error nothing of the script stays where it can roll back.
	RunScript(ctx context.Context, statements []string) (*ScriptResult, error)
	Close() error
}

// TableRef names a table; Schema may be empty for the engine's default.
type TableRef struct {
	Schema string `json:"schema,omitempty"`
	Name   string `json:"name"`
}

// String returns schema.name, or name when the schema is empty.
func (t TableRef) String() string {
	if t.Schema == "" {
		return t.Name
	}
	return t.Schema + "." + t.Name
}

// ParseTableRef reads "schema.table" or "table".
func ParseTableRef(s string) TableRef {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '.' {
			return TableRef{Schema: s[:i], Name: s[i+1:]}
		}
	}
	return TableRef{Name: s}
}

// Column describes one column of a table or result.
type Column struct {
	Name     string `json:"name"`
	Type     string `json:"type"` // the engine's own type name
	Nullable bool   `json:"nullable"`
	Comment  string `json:"comment,omitempty"`
}

// Table describes a table.
type Table struct {
	Ref     TableRef `json:"ref"`
	Kind    string   `json:"kind"` // "table" or "view"
	Columns []Column `json:"columns"`
	Comment string   `json:"comment,omitempty"`
}

// Rows is a stream of result rows. Values returns the current row; the slice
// is reused by the next call to Next, so copy what you keep.
type Rows interface {
	Columns() []Column
	Next() bool
	Values() ([]any, error)
	Err() error
	Close() error
}

// Model is a SQL model run: a rendered SELECT and where to write it.
type Model struct {
	Select    string
	Target    TableRef
	Mode      meta.WriteMode
	Partition string   // overwrite_partition: the period column
	Value     string   // overwrite_partition: the period value; append: the period key
	UniqueKey []string // merge
}

// ModelResult says what a model run wrote.
type ModelResult struct {
	RowsWritten int64
	Created     bool     // the target table was created by this run
	Statements  []string // the statements that ran, for the instance log
}

// ScriptResult says what a script did.
type ScriptResult struct {
	RowsAffected int64
	Statements   int
}

// AppendPeriodColumn is the column append-mode targets carry so that a rerun
// of a period replaces the rows that period appended before.
const AppendPeriodColumn = "_kiln_period"
