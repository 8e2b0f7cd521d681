package lineage

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
)

// CorpusCase is one case of the sqllineage-derived corpus
// (testdata/sqllineage/cases.json).
type CorpusCase struct {
	ID            string              `json:"id"`
	Kind          string              `json:"kind"`
	Dialect       string              `json:"dialect"`
	SQL           string              `json:"sql"`
	SourceTables  []string            `json:"source_tables"`
	TargetTables  []string            `json:"target_tables"`
	SourcePaths   []string            `json:"source_paths"`
	TargetPaths   []string            `json:"target_paths"`
	Metadata      map[string][]string `json:"metadata"`
	Config        map[string]string   `json:"config"`
	ColumnLineage []struct {
		Source       string  `json:"source"`
		SourceTable  *string `json:"source_table"`
		SourceColumn string  `json:"source_column"`
		Target       string  `json:"target"`
	} `json:"column_lineage"`
}

// LoadCorpus reads a corpus file.
func LoadCorpus(path string) ([]CorpusCase, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cases []CorpusCase
	return cases, json.Unmarshal(b, &cases)
}

// corpusDialect maps a corpus dialect to the Kiln dialect that reads it,
// or "" when Kiln has no parser for it.
func corpusDialect(d string) string {
	switch d {
	case "ansi", "postgres", "duckdb", "mysql":
		return d
	case "mariadb":
		return "mysql"
	}
	return ""
}

// DialectScore accumulates the accuracy figures of one dialect.
type DialectScore struct {
	Cases, Parsed          int
	TableCases, TableExact int
	EdgeTP, EdgeFP, EdgeFN int
	Failures               []string
}

// Precision of column edges.
func (s *DialectScore) Precision() float64 { return ratio(s.EdgeTP, s.EdgeTP+s.EdgeFP) }

// Recall of column edges.
func (s *DialectScore) Recall() float64 { return ratio(s.EdgeTP, s.EdgeTP+s.EdgeFN) }

// F1 of column edges.
func (s *DialectScore) F1() float64 {
	p, r := s.Precision(), s.Recall()
	if p+r == 0 {
		return 0
	}
	return 2 * p * r / (p + r)
}

// TableRate is the share of table cases matched exactly.
func (s *DialectScore) TableRate() float64 { return ratio(s.TableExact, s.TableCases) }

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

// ScoreCorpus runs every case in a supported dialect and scores it; a case
// whose SQL does not parse counts as parsed=false and is left out of the
// accuracy figures (the corpus README: some "ansi" cases are valid in no
// engine).
func ScoreCorpus(cases []CorpusCase) map[string]*DialectScore {
	scores := map[string]*DialectScore{}
	for _, c := range cases {
		d := corpusDialect(c.Dialect)
		if d == "" || (c.Kind != "table" && c.Kind != "column") {
			continue
		}
		s := scores[d]
		if s == nil {
			s = &DialectScore{}
			scores[d] = s
		}
		s.Cases++
		opt := Options{Catalog: c.Metadata, DefaultSchema: c.Config["DEFAULT_SCHEMA"]}
		res, err := Analyze(d, c.SQL, opt)
		if err != nil {
			s.Failures = append(s.Failures, fmt.Sprintf("%s: parse: %v", c.ID, err))
			continue
		}
		s.Parsed++
		if c.Kind == "table" {
			s.TableCases++
			wantS, wantT := normNames(append(c.SourceTables, c.SourcePaths...)), normNames(append(c.TargetTables, c.TargetPaths...))
			if slices.Equal(wantS, res.Sources) && slices.Equal(wantT, res.Targets) {
				s.TableExact++
			} else {
				s.Failures = append(s.Failures, fmt.Sprintf("%s: tables: want %v -> %v, got %v -> %v", c.ID, wantS, wantT, res.Sources, res.Targets))
			}
			continue
		}
		want := map[Edge]bool{}
		for _, e := range c.ColumnLineage {
			src := strings.TrimPrefix(e.Source, "<default>.")
			if e.SourceTable == nil {
				src = Unresolved + "." + e.SourceColumn
			}
			want[Edge{Source: src, Target: strings.TrimPrefix(e.Target, "<default>.")}] = true
		}
		got := map[Edge]bool{}
		for _, e := range res.Columns {
			got[e] = true
		}
		var fp, fn []string
		for e := range got {
			if want[e] {
				s.EdgeTP++
			} else {
				s.EdgeFP++
				fp = append(fp, e.Source+"->"+e.Target)
			}
		}
		for e := range want {
			if !got[e] {
				s.EdgeFN++
				fn = append(fn, e.Source+"->"+e.Target)
			}
		}
		if len(fp)+len(fn) > 0 {
			sort.Strings(fp)
			sort.Strings(fn)
			s.Failures = append(s.Failures, fmt.Sprintf("%s: columns: extra %v missing %v", c.ID, fp, fn))
		}
	}
	return scores
}

func normNames(names []string) []string {
	out := []string{}
	for _, n := range names {
		out = append(out, strings.TrimPrefix(n, "<default>."))
	}
	sort.Strings(out)
	return slices.Compact(out)
}

// PrintScores writes the per-dialect table and the total.
func PrintScores(w io.Writer, scores map[string]*DialectScore) *DialectScore {
	total := &DialectScore{}
	fmt.Fprintf(w, "%-9s %6s %6s %12s %9s %7s %5s\n", "dialect", "cases", "parsed", "table exact", "precision", "recall", "F1")
	var names []string
	for d := range scores {
		names = append(names, d)
	}
	sort.Strings(names)
	for _, d := range names {
		s := scores[d]
		printScore(w, d, s)
		total.Cases += s.Cases
		total.Parsed += s.Parsed
		total.TableCases += s.TableCases
		total.TableExact += s.TableExact
		total.EdgeTP += s.EdgeTP
		total.EdgeFP += s.EdgeFP
		total.EdgeFN += s.EdgeFN
	}
	printScore(w, "all", total)
	return total
}

func printScore(w io.Writer, d string, s *DialectScore) {
	fmt.Fprintf(w, "%-9s %6d %6d %5d/%-3d %4.1f%% %8.1f%% %6.1f%% %4.1f%%\n", d, s.Cases, s.Parsed, s.TableExact, s.TableCases,
		100*s.TableRate(), 100*s.Precision(), 100*s.Recall(), 100*s.F1())
}
