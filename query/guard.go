package query

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kilnhq/kiln/engine"
	"github.com/kilnhq/kiln/lineage"
	"github.com/kilnhq/kiln/meta"
)

// Errors of the guard; the API answers them with 403.
var (
	// ErrTableForbidden is returned when a query reads a table the user is
	// not granted; the message names the table.
	ErrTableForbidden = errors.New("no read permission on table")
	// ErrSensitive is returned when a query uses a sensitive column in a way
	// that masking cannot cover (renamed or computed in the result).
	ErrSensitive = errors.New("sensitive column")
	// ErrSQL is returned when the engine refuses to plan the query.
	ErrSQL = errors.New("the engine refuses the query")
)

// SensitivePatterns match column names treated as sensitive in every
// project, besides the columns a project lists under sensitive: in kiln.yaml.
var SensitivePatterns = regexp.MustCompile(`(?i)(phone|mobile|id_?card|id_?no|e_?mail|ssn|passport|bank_?card|card_?no)`)

// RestrictedMarker is the user name of the grant row that marks a table as
// restricted: it stays restricted when every user's grant is revoked.
const RestrictedMarker = ""

// Prepared is a checked query: the SQL to run (sensitive columns masked
// when the user may not unmask) and the sensitive columns it touched.
type Prepared struct {
	SQL       string
	Sensitive []string // result columns that are sensitive (masked or not)
	Tables    []string // tables the query reads
}

// Guard enforces table grants and masks sensitive columns: the
// api.QueryGuard of the server.
type Guard struct {
	Grants meta.QueryStore
}

// Prepare checks sql for user u with role in project p before it runs on eng.
func (g *Guard) Prepare(ctx context.Context, p *meta.Project, u *meta.User, role meta.Role, eng engine.Engine, sql string) (*Prepared, error) {
	out := &Prepared{SQL: sql}
	res, perr := lineage.Analyze(eng.Dialect(), sql, lineage.Options{})
	if perr == nil {
		out.Tables = res.Sources
	}
	if !u.Admin && !role.Can(meta.ActManageMembers) {
		if err := g.checkGrants(ctx, p.ID, u.Name, out.Tables, perr); err != nil {
			return nil, err
		}
	}
	sens := sensitiveColumns(p.Config.Sensitive, out.Tables, perr != nil)
	cols, err := columnsOf(ctx, eng, sql)
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %v", ErrSQL, err)
	}
	var masked []string
	names := map[string]int{}
	for _, c := range cols {
		names[strings.ToLower(c.Name)]++
		if sens[strings.ToLower(c.Name)] || SensitivePatterns.MatchString(c.Name) {
			masked = append(masked, c.Name)
		}
	}
	out.Sensitive = masked
	unmask := u.Admin || role.Can(meta.ActUnmask)
	if unmask {
		return out, nil
	}
	// A sensitive column used but not returned under its own name (renamed,
	// computed, filtered on) cannot be masked: refuse rather than leak.
	for _, id := range identifiers(sql, out.Tables) {
		if (sens[id] || SensitivePatterns.MatchString(id)) && names[id] == 0 {
			return nil, fmt.Errorf("%w %s: the query uses it without returning it under its own name, so it cannot be masked; select the column as %s (it is shown masked) or ask a project owner", ErrSensitive, id, id)
		}
	}
	for _, m := range masked {
		if names[strings.ToLower(m)] > 1 {
			return nil, fmt.Errorf("%w %s: the result has two columns of that name; alias one", ErrSensitive, m)
		}
	}
	if len(masked) > 0 {
		out.SQL = maskSQL(eng.Dialect(), sql, cols, masked)
	}
	return out, nil
}

// checkGrants refuses a table that has grants (is restricted) unless user
// is granted it. A query that cannot be parsed is refused only when the
// project restricts some table (the guard cannot tell what it reads).
func (g *Guard) checkGrants(ctx context.Context, projectID int64, user string, tables []string, perr error) error {
	grants, err := g.Grants.ListTableGrants(ctx, projectID)
	if err != nil || len(grants) == 0 {
		return err
	}
	restricted, mine := map[string]bool{}, map[string]bool{}
	for _, gr := range grants {
		restricted[gr.Table] = true
		if gr.UserName == user {
			mine[gr.Table] = true
		}
	}
	if perr != nil {
		return fmt.Errorf("%w: this project restricts tables and the query could not be parsed to check them (%v)", ErrTableForbidden, perr)
	}
	for _, t := range tables {
		for r := range restricted {
			if sameTable(r, t) && !slices.ContainsFunc(keys(mine), func(m string) bool { return sameTable(m, t) }) {
				return fmt.Errorf("%w %s: ask a project owner for a grant (kiln grant add %s USER)", ErrTableForbidden, t, r)
			}
		}
	}
	return nil
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// sameTable compares table names case-insensitively; an unqualified name
// matches the same table in any schema.
func sameTable(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	if a == b {
		return true
	}
	la, lb := a[strings.LastIndex(a, ".")+1:], b[strings.LastIndex(b, ".")+1:]
	return la == lb && (!strings.Contains(a, ".") || !strings.Contains(b, "."))
}

// sensitiveColumns returns the column names of the project's sensitive
// columns on the tables read (on every table when that is unknown).
func sensitiveColumns(list, tables []string, unknown bool) map[string]bool {
	out := map[string]bool{}
	for _, s := range list {
		i := strings.LastIndex(s, ".")
		table, col := s[:i], s[i+1:]
		if unknown || slices.ContainsFunc(tables, func(t string) bool { return sameTable(table, t) }) {
			out[strings.ToLower(col)] = true
		}
	}
	return out
}

var (
	literalRE = regexp.MustCompile(`'(?:[^']|'')*'|--[^\n]*|/\*(?s:.*?)\*/`)
	identRE   = regexp.MustCompile(`"((?:[^"]|"")+)"|` + "`([^`]+)`" + `|([A-Za-z_][A-Za-z0-9_]*)`)
)

// identifiers lists the lower-case identifiers of sql outside literals and
// comments, leaving out the names of the tables read.
func identifiers(sql string, tables []string) []string {
	skip := map[string]bool{}
	for _, t := range tables {
		for _, part := range strings.Split(strings.ToLower(t), ".") {
			skip[part] = true
		}
	}
	var out []string
	for _, m := range identRE.FindAllStringSubmatch(literalRE.ReplaceAllString(sql, "''"), -1) {
		id := strings.ToLower(m[1] + m[2] + m[3])
		if !skip[id] {
			out = append(out, id)
		}
	}
	return out
}

func quoteIdent(dialect, name string) string {
	if dialect == "mysql" {
		return "`" + strings.ReplaceAll(name, "`", "``") + "`"
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// maskSQL wraps sql so that masked columns keep their first 3 and last 4
// characters (values of 7 characters or fewer become ****).
func maskSQL(dialect, sql string, cols []engine.Column, masked []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		q := quoteIdent(dialect, c.Name)
		if !slices.Contains(masked, c.Name) {
			parts[i] = q
			continue
		}
		switch dialect {
		case "mysql":
			s := "CAST(" + q + " AS CHAR)"
			parts[i] = fmt.Sprintf("CASE WHEN %s IS NULL THEN NULL WHEN CHAR_LENGTH(%s) > 7 THEN CONCAT(LEFT(%s, 3), '****', RIGHT(%s, 4)) ELSE '****' END AS %s", q, s, s, s, q)
		default:
			typ := "VARCHAR"
			if dialect == "postgres" {
				typ = "TEXT"
			}
			s := "CAST(" + q + " AS " + typ + ")"
			parts[i] = fmt.Sprintf("CASE WHEN %s IS NULL THEN NULL WHEN length(%s) > 7 THEN left(%s, 3) || '****' || right(%s, 4) ELSE '****' END AS %s", q, s, s, s, q)
		}
	}
	return "SELECT " + strings.Join(parts, ", ") + " FROM (" + trim(sql) + ") AS kiln_m"
}
