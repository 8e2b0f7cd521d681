package meta

import (
	"context"
	"time"
)

// CatalogStore keeps the data map's catalog: the tables the crawler found
// in each data source of a project, and the schema changes it saw between
// crawls. The SQLite and Postgres stores implement it; find it on a Store
// by type assertion.
type CatalogStore interface {
	// ReplaceCatalogTables replaces every table saved for one data source
	// (engine) of a project by tables, in one transaction, so a table
	// dropped from the engine leaves the catalog at the next crawl.
	ReplaceCatalogTables(ctx context.Context, projectID int64, engine string, tables []*CatalogTable) error
	// ListCatalogTables lists a project's tables by engine, schema and name.
	ListCatalogTables(ctx context.Context, projectID int64) ([]*CatalogTable, error)
	// AddCatalogChange records one schema change.
	AddCatalogChange(ctx context.Context, c *CatalogChange) error
	// ListCatalogChanges lists the schema changes of a table (schema.name),
	// newest first; limit <= 0 means 100.
	ListCatalogChanges(ctx context.Context, projectID int64, table string, limit int) ([]*CatalogChange, error)
}

// CatalogTable is one table or view of a data source as the crawler saw it.
type CatalogTable struct {
	ProjectID int64  `json:"project_id"`
	Engine    string `json:"engine"`   // the data source name
	Database  string `json:"database"` // the engine's database (catalog)
	Schema    string `json:"schema"`
	Name      string `json:"name"`
	Kind      string `json:"kind"` // table or view
	Comment   string `json:"comment,omitempty"`
	// Columns in table order.
	Columns []CatalogColumn `json:"columns"`
	// Rows and SizeBytes are the engine's own figures (estimates in most
	// engines); -1 when the engine does not report them.
	Rows      int64 `json:"rows"`
	SizeBytes int64 `json:"size_bytes"`
	// Owner is the owner of the task that writes the table, if any.
	Owner string `json:"owner,omitempty"`
	// Layer is ods, dwd, dws, ads or dim, from a tag, the schema or a name prefix.
	Layer string   `json:"layer,omitempty"`
	Tags  []string `json:"tags"`
	// Producers are the tasks whose lineage writes the table.
	Producers []string `json:"producers"`
	// Partitions are the values of the table's period column, newest first.
	Partitions []CatalogPartition `json:"partitions,omitempty"`
	CrawledAt  time.Time          `json:"crawled_at"`
}

// FullName is schema.name, or name when there is no schema.
func (t *CatalogTable) FullName() string {
	if t.Schema == "" {
		return t.Name
	}
	return t.Schema + "." + t.Name
}

// CatalogColumn is one column of a catalog table.
type CatalogColumn struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Comment string `json:"comment,omitempty"`
	// Sensitive marks a column whose name matches a sensitive pattern.
	Sensitive bool `json:"sensitive,omitempty"`
}

// CatalogPartition is one value of a table's period (partition) column.
type CatalogPartition struct {
	Column string `json:"column"`
	Value  string `json:"value"`
	Rows   int64  `json:"rows"`
	// UpdatedAt is when an instance last wrote that period (from
	// table_writes), nil when no recorded instance did.
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// CatalogChange is one schema change seen between two crawls.
type CatalogChange struct {
	ID        int64  `json:"id"`
	ProjectID int64  `json:"project_id"`
	Engine    string `json:"engine"`
	Table     string `json:"table"` // schema.name
	// Kind is table_added, column_added, column_removed or type_changed.
	Kind   string    `json:"kind"`
	Column string    `json:"column,omitempty"`
	Detail string    `json:"detail,omitempty"` // e.g. "int -> bigint"
	At     time.Time `json:"at"`
}
