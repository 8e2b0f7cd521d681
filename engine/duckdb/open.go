//go:build cgo

package duckdb

import (
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/kilnhq/kiln/engine"
)

// Open opens the DuckDB database file at path, creating it if missing, or
// a private in-memory database when path is "". name is the data source
// name the project gives it.
func Open(name, path string) (*Engine, error) {
	connector, err := duckdb.NewConnector(path, nil)
	if err != nil {
		return nil, fmt.Errorf("open duckdb %s: %w", describePath(path), err)
	}
	db := sql.OpenDB(connector)
	return &Engine{SQLEngine: engine.NewSQLEngine(name, db, dialect{})}, nil
}

func describePath(path string) string {
	if path == "" {
		return "in memory"
	}
	return path
}

// ConvertValue turns the driver's own types into plain ones: decimals into
// their exact text, UUIDs into their canonical text.
func (dialect) ConvertValue(v any) any {
	switch x := v.(type) {
	case duckdb.Decimal:
		return decimalText(x)
	case duckdb.UUID:
		return x.String()
	case *duckdb.UUID:
		if x == nil {
			return nil
		}
		return x.String()
	}
	return v
}

// decimalText writes every digit of the scale ("10.50"), as Postgres and
// MySQL do; Decimal.String trims trailing zeros.
func decimalText(d duckdb.Decimal) string {
	digits := new(big.Int).Abs(d.Value).String()
	if scale := int(d.Scale); scale > 0 {
		if len(digits) <= scale {
			digits = strings.Repeat("0", scale-len(digits)+1) + digits
		}
		digits = digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	}
	if d.Value.Sign() < 0 {
		return "-" + digits
	}
	return digits
}

// IsConflict implements engine.Conflicter: DuckDB fails a transaction that
// writes what a concurrent one wrote (a catalog entry, a row) with a
// TransactionContext error instead of waiting.
func (dialect) IsConflict(err error) bool {
	var de *duckdb.Error
	if errors.As(err, &de) && de.Type == duckdb.ErrorTypeTransaction {
		return strings.Contains(strings.ToLower(de.Msg), "conflict")
	}
	return strings.Contains(err.Error(), "TransactionContext Error") && strings.Contains(strings.ToLower(err.Error()), "conflict")
}
