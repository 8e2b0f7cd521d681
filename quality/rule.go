// Package quality runs data quality rules after a task's body succeeded:
// it compiles the rules of a period into as few SQL scans as it can (every
// column metric of a table in one aggregate query), judges each metric
// against fixed bounds, its change vs earlier periods, or a band learned
// from its history, stores every result, and fails the instance when a
// strong rule breaks. docs/quality.md describes the rules.
package quality

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kilnhq/kiln/meta"
)

// Defaults of rules and of Config.
const (
	DefaultHistory    = 28  // periods of history an outlier or anomaly rule looks at
	DefaultMinHistory = 7   // periods an outlier or anomaly rule needs before it judges
	DefaultIQRK       = 1.5 // outlier band of the iqr method, in IQRs
	DefaultSigmaK     = 3.0 // outlier band of the sigma method and anomaly band, in σ
	DefaultSampleRows = 5
)

// The comparison periods of change rules.
const (
	VersusPrevious = "previous"  // the period before
	VersusLastWeek = "last_week" // the same weekday a week before
	VersusAvg7     = "avg7"      // the mean of the seven periods before
)

// metricNames are what outlier and anomaly rules may watch.
var metricNames = []string{"row_count", "null_count", "null_rate", "distinct_count", "min", "max", "sum", "mean"}

// columnChecks need a column.
var columnChecks = []meta.QualityCheck{
	meta.CheckNullCount, meta.CheckNullRate, meta.CheckDistinct, meta.CheckInSet, meta.CheckRegex,
	meta.CheckRange, meta.CheckMin, meta.CheckMax, meta.CheckSum, meta.CheckMean,
}

// RuleName is a rule's name, or one derived from its check and column.
func RuleName(r *meta.QualityRule) string {
	if r.Name != "" {
		return r.Name
	}
	parts := []string{string(r.Check)}
	if r.Check == meta.CheckOutlier || r.Check == meta.CheckAnomaly {
		parts = append(parts, r.Metric)
	}
	if r.Column != "" {
		parts = append(parts, r.Column)
	}
	if len(r.Columns) > 0 {
		parts = append(parts, r.Columns...)
	}
	if r.Versus != "" {
		parts = append(parts, r.Versus)
	}
	return strings.Join(parts, "_")
}

// Validate checks a rule on its own, before any data is seen: a known
// check and severity, the fields the check needs, sane thresholds and a
// pattern that compiles. Every problem is in the error, one per line.
func Validate(r *meta.QualityRule) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !slices.Contains(meta.QualityChecks, r.Check) {
		if r.Check == "" {
			bad("check is missing (one of %s)", checkList())
		} else {
			bad("unknown check %q (one of %s)", r.Check, checkList())
		}
		return errors.Join(errs...)
	}
	switch r.Severity {
	case "", meta.SeverityStrong, meta.SeverityWeak:
	default:
		bad("severity must be strong or weak, not %q", r.Severity)
	}
	if r.Min != nil && r.Max != nil && *r.Min > *r.Max {
		bad("min %g is above max %g", *r.Min, *r.Max)
	}
	if r.MaxPct != nil && *r.MaxPct < 0 {
		bad("max_pct must not be negative, got %g", *r.MaxPct)
	}
	if slices.Contains(columnChecks, r.Check) && r.Column == "" {
		bad("%s needs a column", r.Check)
	}
	if r.K < 0 || r.History < 0 || r.MinHistory < 0 {
		bad("k, history and min_history must not be negative")
	}
	validateCheck(r, bad)
	return errors.Join(errs...)
}

func validateCheck(r *meta.QualityRule, bad func(string, ...any)) {
	bounded := r.Min != nil || r.Max != nil
	switch r.Check {
	case meta.CheckRowCount, meta.CheckNullCount, meta.CheckNullRate, meta.CheckDistinct, meta.CheckMin, meta.CheckMax:
		if !bounded {
			bad("%s needs min or max", r.Check)
		}
	case meta.CheckSum, meta.CheckMean:
		if !bounded && r.MaxPct == nil {
			bad("%s needs min, max or max_pct (with versus)", r.Check)
		}
		if r.MaxPct != nil {
			checkVersus(r, bad)
		}
	case meta.CheckRowCountChange:
		if r.MaxPct == nil {
			bad("row_count_change needs max_pct")
		}
		checkVersus(r, bad)
	case meta.CheckUnique:
		if len(r.Columns) == 0 {
			bad("unique needs columns (the key)")
		}
	case meta.CheckInSet:
		if len(r.Values) == 0 {
			bad("in_set needs values")
		}
	case meta.CheckRegex:
		if r.Pattern == "" {
			bad("regex needs a pattern")
		} else if _, err := regexp.Compile(r.Pattern); err != nil {
			bad("pattern does not compile: %v", err)
		}
	case meta.CheckRange:
		if !bounded {
			bad("range needs min or max")
		}
	case meta.CheckCustomSQL:
		if strings.TrimSpace(r.SQL) == "" {
			bad("custom_sql needs sql")
		}
	case meta.CheckCompare:
		validateCompare(r, bad)
	case meta.CheckOutlier, meta.CheckAnomaly:
		if !slices.Contains(metricNames, r.Metric) {
			bad("%s needs metric: one of %s", r.Check, strings.Join(metricNames, ", "))
		} else if r.Metric != "row_count" && r.Column == "" {
			bad("%s of %s needs a column", r.Check, r.Metric)
		}
		if r.Check == meta.CheckOutlier && r.Method != "" && r.Method != "iqr" && r.Method != "sigma" {
			bad("method must be iqr or sigma, not %q", r.Method)
		}
	}
}

func checkVersus(r *meta.QualityRule, bad func(string, ...any)) {
	switch r.Versus {
	case "", VersusPrevious, VersusLastWeek, VersusAvg7:
	default:
		bad("versus must be previous, last_week or avg7, not %q", r.Versus)
	}
}

func validateCompare(r *meta.QualityRule, bad func(string, ...any)) {
	c := r.Compare
	if c == nil {
		bad("compare needs a compare: block (source, table or sql, mode)")
		return
	}
	if (c.Table == "") == (c.SQL == "") {
		bad("compare needs exactly one of table and sql")
	}
	switch c.Mode {
	case "", "count":
	case "sum":
		if len(c.Sums) == 0 {
			bad("compare mode sum needs sums (the columns)")
		}
	case "keys":
		if len(r.Columns) == 0 {
			bad("compare mode keys needs columns (the key)")
		}
	default:
		bad("compare mode must be count, sum or keys, not %q", c.Mode)
	}
}

func checkList() string {
	var s []string
	for _, c := range meta.QualityChecks {
		s = append(s, string(c))
	}
	return strings.Join(s, ", ")
}

// ValidateAll validates rules of one task and their names' uniqueness.
func ValidateAll(rules []meta.QualityRule) error {
	var errs []error
	seen := map[string]bool{}
	for i := range rules {
		name := RuleName(&rules[i])
		if err := Validate(&rules[i]); err != nil {
			errs = append(errs, fmt.Errorf("rule %s: %w", name, err))
		}
		if seen[name] {
			errs = append(errs, fmt.Errorf("rule %s: two rules have this name; give one a name", name))
		}
		seen[name] = true
	}
	return errors.Join(errs...)
}
