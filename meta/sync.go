package meta

// SyncMode is how a sync task moves rows.
type SyncMode string

// The sync modes.
const (
	// SyncFull replaces the whole target atomically: rows load into a
	// staging table, which is swapped in when complete.
	SyncFull SyncMode = "full"
	// SyncIncremental reads rows whose cursor column passed the saved
	// watermark (minus a lookback) and merges them on the primary key.
	SyncIncremental SyncMode = "incremental"
	// SyncPartition reads the rows a filter selects (one period) and
	// replaces the rows of that period in the target.
	SyncPartition SyncMode = "partition"
	// SyncCDC is a long-running job: a snapshot through the chunked reader,
	// then the MySQL/MariaDB binlog applied by primary key.
	SyncCDC SyncMode = "cdc"
)

// Valid reports whether m is a known sync mode.
func (m SyncMode) Valid() bool {
	switch m {
	case SyncFull, SyncIncremental, SyncPartition, SyncCDC:
		return true
	}
	return false
}

// SyncSpec is the definition of a sync task: where rows come from, where
// they go and how. docs/integration.md describes every field.
type SyncSpec struct {
	Source SyncSource `json:"source"`
	Target SyncTarget `json:"target"`
	Mode   SyncMode   `json:"mode"`

	// Cursor is the column an incremental sync follows (updated_at or an
	// auto-increment id); Lookback re-reads that much before the watermark
	// for late rows: a duration ("1h") for time cursors, a number for ids.
	Cursor   string `json:"cursor,omitempty"`
	Lookback string `json:"lookback,omitempty"`
	// PartitionColumn and PartitionValue name the target rows a partition
	// sync replaces; the source filter is Source.Where.
	PartitionColumn string `json:"partition_column,omitempty"`
	PartitionValue  string `json:"partition_value,omitempty"`

	// Rename maps source column names to target names; Drop lists source
	// columns left out; Add declares constant or expression columns.
	Rename map[string]string `json:"rename,omitempty"`
	Drop   []string          `json:"drop,omitempty"`
	Add    []SyncColumn      `json:"add,omitempty"`

	// ChunkRows is how many rows one primary-key chunk holds (and one
	// checkpoint covers); Parallel is how many chunk readers run at once.
	ChunkRows int `json:"chunk_rows,omitempty"`
	Parallel  int `json:"parallel,omitempty"`
	// RowsPerSecond and BytesPerSecond cap the read rate; 0 is no limit.
	RowsPerSecond  int   `json:"rows_per_second,omitempty"`
	BytesPerSecond int64 `json:"bytes_per_second,omitempty"`
	// DirtyLimit fails the run when more rows than this could not be
	// converted; DirtyPercent the same as a share of rows read. Both 0 means
	// any dirty row fails the run.
	DirtyLimit   int     `json:"dirty_limit,omitempty"`
	DirtyPercent float64 `json:"dirty_percent,omitempty"`
	// DroppedColumns says what happens to a target column whose source
	// column disappeared: "keep" (default: kept, made nullable) or "fail".
	DroppedColumns string `json:"dropped_columns,omitempty"`

	// CDC settings. ServerID is the replica id the binlog reader registers
	// with (default: derived from the task); BatchRows caps the rows of one
	// applied batch (default 5000); MaxLag is the lag ("30s") past which
	// sync.lagging is published (default 30s).
	ServerID  uint32 `json:"server_id,omitempty"`
	BatchRows int    `json:"batch_rows,omitempty"`
	MaxLag    string `json:"max_lag,omitempty"`
}

// SyncSource is where a sync reads. Exactly one of Engine, Files or SQLite
// is set.
type SyncSource struct {
	// Engine is a data source of the project (MySQL, Postgres, DuckDB).
	Engine string `json:"engine,omitempty"`
	// Table is [schema.]table; with Shards it is ignored.
	Table string `json:"table,omitempty"`
	// Databases and Tables select shards, each a list of names or one
	// regular expression written /like this/; every matching table of every
	// matching database is read into one target.
	Databases []string `json:"databases,omitempty"`
	Tables    []string `json:"tables,omitempty"`
	// Where filters the rows read (a partition sync's period filter).
	Where string `json:"where,omitempty"`
	// Files is a path or glob of CSV or Parquet files; Format is csv or
	// parquet (default: from the extension).
	Files  string `json:"files,omitempty"`
	Format string `json:"format,omitempty"`
	// SQLite is the path of a SQLite database file.
	SQLite string `json:"sqlite,omitempty"`
}

// SyncTarget is where a sync writes.
type SyncTarget struct {
	// Engine is a data source of the project; empty is the warehouse.
	Engine string `json:"engine,omitempty"`
	// Table is [schema.]table.
	Table string `json:"table,omitempty"`
	// Files is a CSV or Parquet file to write instead of a table (relative
	// to the data directory; parameters such as ${bizdate} allowed);
	// Format is csv or parquet (default: from the extension).
	Files  string `json:"files,omitempty"`
	Format string `json:"format,omitempty"`
	// Queue is a message queue to publish the rows to instead of a table:
	// nats://host:4222 (JetStream); kafka:// is the seam for Kafka. Subject
	// is the subject (topic); Stream the JetStream stream, created for the
	// subject when missing; Message is "row" (one JSON object a message,
	// the default) or "batch" (a JSON array of rows a message).
	Queue   string `json:"queue,omitempty"`
	Subject string `json:"subject,omitempty"`
	Stream  string `json:"stream,omitempty"`
	Message string `json:"message,omitempty"`
}

// SyncColumn is a column a sync adds: a constant Value or a source SQL
// Expr, of target Type (default VARCHAR for values).
type SyncColumn struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
	Expr  string `json:"expr,omitempty"`
	Type  string `json:"type,omitempty"`
}
