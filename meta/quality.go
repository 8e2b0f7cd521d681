package meta

import (
	"context"
	"time"
)

// QualityCheck names what a quality rule measures.
type QualityCheck string

// The quality checks. Table checks measure the whole period; column checks
// name a column.
const (
	CheckRowCount       QualityCheck = "row_count"        // rows in the period within min/max
	CheckRowCountChange QualityCheck = "row_count_change" // rows vs an earlier period within max_pct
	CheckUnique         QualityCheck = "unique"           // no two rows share columns
	CheckCompare        QualityCheck = "compare"          // the period equals another table or query
	CheckCustomSQL      QualityCheck = "custom_sql"       // a query returns no rows, or a value in min/max
	CheckNullCount      QualityCheck = "null_count"       // NULLs in column within min/max
	CheckNullRate       QualityCheck = "null_rate"        // NULL share (0..1) within min/max
	CheckDistinct       QualityCheck = "distinct_count"   // distinct values within min/max
	CheckInSet          QualityCheck = "in_set"           // every value in values
	CheckRegex          QualityCheck = "regex"            // every value fully matches pattern
	CheckRange          QualityCheck = "range"            // every value within min/max
	CheckMin            QualityCheck = "min"              // the column's minimum within min/max
	CheckMax            QualityCheck = "max"              // the column's maximum within min/max
	CheckSum            QualityCheck = "sum"              // the column's sum within min/max, or its change within max_pct
	CheckMean           QualityCheck = "mean"             // the column's mean within min/max, or its change within max_pct
	CheckOutlier        QualityCheck = "outlier"          // a metric outside k·IQR or k·σ of its history
	CheckAnomaly        QualityCheck = "anomaly"          // a metric outside a band learned from its history
)

// QualityChecks lists every check, in documentation order.
var QualityChecks = []QualityCheck{
	CheckRowCount, CheckRowCountChange, CheckUnique, CheckCompare, CheckCustomSQL,
	CheckNullCount, CheckNullRate, CheckDistinct, CheckInSet, CheckRegex, CheckRange,
	CheckMin, CheckMax, CheckSum, CheckMean, CheckOutlier, CheckAnomaly,
}

// Severity says what a breach does.
type Severity string

// The severities.
const (
	SeverityStrong Severity = "strong" // fails the instance, blocking its downstream
	SeverityWeak   Severity = "weak"   // alerts only
)

// QualityRule is one data quality rule, declared in a task file's
// quality: list, in a rules file of the project, or through the API. It is
// a flat record: which fields matter depends on Check (docs/quality.md).
type QualityRule struct {
	// Name identifies the rule within its task; derived from Check and
	// Column when empty.
	Name     string       `json:"name,omitempty"`
	Task     string       `json:"task,omitempty"` // rules files and the API: the task the rule follows
	Check    QualityCheck `json:"check"`
	Severity Severity     `json:"severity,omitempty"` // default weak
	// Table is the table measured; default the task's target.
	Table  string `json:"table,omitempty"`
	Column string `json:"column,omitempty"`
	// Where selects the period's rows (parameters allowed); default the
	// task's partition, or the whole table.
	Where string `json:"where,omitempty"`
	// Min and Max bound the metric; either may be absent.
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// MaxPct bounds the change vs Versus, in percent (change checks, sum, mean).
	MaxPct *float64 `json:"max_pct,omitempty"`
	// Versus is the earlier period compared with: previous, last_week or avg7.
	Versus string `json:"versus,omitempty"`
	// Columns are the key of unique, and of a per-key compare.
	Columns []string `json:"columns,omitempty"`
	Values  []string `json:"values,omitempty"`  // in_set
	Pattern string   `json:"pattern,omitempty"` // regex
	SQL     string   `json:"sql,omitempty"`     // custom_sql
	// Metric is what outlier and anomaly watch: row_count, null_count,
	// null_rate, distinct_count, min, max, sum or mean.
	Metric  string  `json:"metric,omitempty"`
	Method  string  `json:"method,omitempty"`  // outlier: iqr (default) or sigma
	K       float64 `json:"k,omitempty"`       // outlier and anomaly band width; default 1.5 (iqr) or 3
	History int     `json:"history,omitempty"` // periods of history used; default 28
	// MinHistory is how many earlier periods an outlier or anomaly rule
	// needs before it judges; default 7.
	MinHistory int             `json:"min_history,omitempty"`
	Compare    *QualityCompare `json:"compare,omitempty"`
}

// QualityCompare is the other side of a compare rule.
type QualityCompare struct {
	Source string   `json:"source,omitempty"` // data source name; default the task's engine
	Table  string   `json:"table,omitempty"`
	Where  string   `json:"where,omitempty"`
	SQL    string   `json:"sql,omitempty"`  // a query instead of table/where
	Mode   string   `json:"mode,omitempty"` // count (default), sum or keys
	Sums   []string `json:"sums,omitempty"` // mode sum: the columns summed on both sides
}

// Verdict is how a rule run ended.
type Verdict string

// The verdicts.
const (
	VerdictPass      Verdict = "pass"
	VerdictBreach    Verdict = "breach"
	VerdictError     Verdict = "error"      // the rule could not run (missing column, unreachable source)
	VerdictNoHistory Verdict = "no_history" // too few earlier periods to judge
)

// QualityResult is one run of one rule.
type QualityResult struct {
	ID         int64        `json:"id"`
	ProjectID  int64        `json:"project_id"`
	Task       string       `json:"task"`
	InstanceID int64        `json:"instance_id"`
	Bizdate    string       `json:"bizdate"`
	Table      string       `json:"table"`
	Rule       string       `json:"rule"`
	Check      QualityCheck `json:"check"`
	Column     string       `json:"column,omitempty"`
	Severity   Severity     `json:"severity"`
	// Metric is the measured value; nil when the rule could not measure.
	Metric *float64 `json:"metric,omitempty"`
	// Threshold says what the metric was held to, as text ("<= 0.05").
	Threshold string  `json:"threshold,omitempty"`
	Verdict   Verdict `json:"verdict"`
	Message   string  `json:"message,omitempty"`
	// Sample holds up to a few offending rows, each as column → value text.
	Sample    []map[string]string `json:"sample,omitempty"`
	CreatedAt time.Time           `json:"created_at"`
}

// StoredQualityRule is a rule added through the API.
type StoredQualityRule struct {
	ID        int64       `json:"id"`
	ProjectID int64       `json:"project_id"`
	Rule      QualityRule `json:"rule"`
	CreatedBy string      `json:"created_by,omitempty"`
	CreatedAt time.Time   `json:"created_at"`
}

// ListQualityResultsParams filter results; zero fields do not filter.
type ListQualityResultsParams struct {
	ProjectID  int64
	Table      string
	Task       string
	Rule       string
	InstanceID int64
	// BizdateBefore keeps results of earlier periods only (history).
	BizdateBefore string
	Limit         int // 0 means 100
}

// QualityStore keeps quality rules added through the API and every rule
// run's result. Both metadata stores implement it.
type QualityStore interface {
	AddQualityResult(ctx context.Context, r *QualityResult) error
	// ListQualityResults lists results newest first (by bizdate, then id).
	ListQualityResults(ctx context.Context, p *ListQualityResultsParams) ([]*QualityResult, error)
	AddQualityRule(ctx context.Context, r *StoredQualityRule) error
	// ListQualityRules lists a project's API rules, of one task when task is not empty.
	ListQualityRules(ctx context.Context, projectID int64, task string) ([]*StoredQualityRule, error)
	// UpdateQualityRule replaces the body of an API rule of the project,
	// keeping its ID, author and time.
	UpdateQualityRule(ctx context.Context, projectID, id int64, rule *QualityRule) error
	DeleteQualityRule(ctx context.Context, projectID, id int64) error
}
