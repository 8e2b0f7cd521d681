// Package mysql is the engine for databases that speak the MySQL protocol:
// MySQL and MariaDB, and in time Doris, StarRocks and TiDB. A "schema" here
// is a database.
package mysql

import (
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/go-sql-driver/mysql"

	"github.com/kilnhq/kiln/engine"
)

// Engine is a MySQL or MariaDB server.
type Engine struct {
	*engine.SQLEngine
	cfg *mysql.Config
}

// DriverConfig is a copy of the connection settings (password included),
// for clients that speak to the server beside database/sql: the binlog
// reader of a CDC sync.
func (e *Engine) DriverConfig() *mysql.Config { return e.cfg.Clone() }

var _ engine.Engine = (*Engine)(nil)

// Open connects lazily to the server dsn names, either as a URL
// (mysql://user@host:3306/db?params, with ?socket=/path for a Unix socket)
// or in the driver's own form (user@tcp(host:3306)/db?params). password is
// given apart so that it never sits in a DSN that could be logged; when
// empty, the DSN's own is used.
func Open(name, dsn, password string) (*Engine, error) {
	cfg, err := parseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("open mysql %s: %w", name, err)
	}
	if password != "" {
		cfg.Passwd = password
	}
	// DATE and DATETIME come back as time.Time; one statement per call, so
	// a model's SQL cannot smuggle a second one; and bind arguments are
	// interpolated by the driver (escaped for the connection's charset), which
	// saves the prepare and close round trips of server-side statements.
	cfg.ParseTime = true
	cfg.MultiStatements = false
	cfg.InterpolateParams = true
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("open mysql %s: %w", name, err)
	}
	return &Engine{engine.NewSQLEngine(name, sql.OpenDB(connector), dialect{}), cfg.Clone()}, nil
}

// parseDSN reads either DSN form. Errors never repeat the DSN: it may hold
// a password.
func parseDSN(dsn string) (*mysql.Config, error) {
	scheme, _, isURL := strings.Cut(dsn, "://")
	if !isURL {
		return mysql.ParseDSN(dsn)
	}
	if scheme != "mysql" && scheme != "mariadb" {
		return nil, fmt.Errorf("unknown URL scheme %q: want mysql://", scheme)
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, errors.New("the DSN is not a valid URL")
	}
	query := u.Query()
	socket := query.Get("socket")
	query.Del("socket")
	// The driver's own parser reads the parameters, so both forms accept
	// the same ones.
	cfg, err := mysql.ParseDSN("/?" + query.Encode())
	if err != nil {
		return nil, err
	}
	cfg.User = u.User.Username()
	if p, ok := u.User.Password(); ok {
		cfg.Passwd = p
	}
	cfg.DBName = strings.TrimPrefix(u.Path, "/")
	switch {
	case socket != "":
		cfg.Net, cfg.Addr = "unix", socket
	case u.Port() == "":
		cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(u.Hostname(), "3306")
	default:
		cfg.Net, cfg.Addr = "tcp", u.Host
	}
	return cfg, nil
}

// dialect is MySQL's SQL. Its DDL commits the open transaction, so
// SQLEngine runs it on its own and an overwrite swaps tables by rename.
type dialect struct{}

var (
	_ engine.Dialect = dialect{}
	_ engine.Swapper = dialect{}
)

func (dialect) Name() string             { return "mysql" }
func (dialect) TransactionalDDL() bool   { return false }
func (dialect) PeriodColumnType() string { return "VARCHAR(64)" }

func (dialect) QuoteIdent(name string) string {
	return "`" + strings.ReplaceAll(name, "`", "``") + "`"
}

// stringEscaper doubles quotes, which is right whatever the sql_mode, and
// escapes backslashes, which is right unless NO_BACKSLASH_ESCAPES is set
// (then a backslash in a value is doubled, but the literal still ends where
// it should).
var stringEscaper = strings.NewReplacer(`\`, `\\`, `'`, `''`, "\x00", `\0`)

func (dialect) QuoteString(s string) string {
	return "'" + stringEscaper.Replace(s) + "'"
}

// inSchema matches the database given as the first argument, or the
// connection's current one when it is empty.
const inSchema = "TABLE_SCHEMA = COALESCE(NULLIF(?, ''), DATABASE()) AND TABLE_NAME = ?"

func (dialect) DescribeTableSQL(t engine.TableRef) (string, []any) {
	return `SELECT TABLE_SCHEMA, TABLE_NAME,
  CASE WHEN TABLE_TYPE = 'VIEW' THEN 'view' ELSE 'table' END,
  CASE WHEN TABLE_TYPE = 'VIEW' THEN '' ELSE TABLE_COMMENT END
FROM information_schema.TABLES
WHERE ` + inSchema + ` AND TABLE_TYPE <> 'TEMPORARY'`, []any{t.Schema, t.Name}
}

func (dialect) DescribeColumnsSQL(t engine.TableRef) (string, []any) {
	return `SELECT COLUMN_NAME, COLUMN_TYPE, IS_NULLABLE = 'YES', COLUMN_COMMENT
FROM information_schema.COLUMNS
WHERE ` + inSchema + `
ORDER BY ORDINAL_POSITION`, []any{t.Schema, t.Name}
}

func (dialect) ListTablesSQL(schema string) (string, []any) {
	return `SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES
WHERE TABLE_TYPE <> 'TEMPORARY' AND CASE WHEN ? = ''
  THEN TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')
  ELSE TABLE_SCHEMA = ? END
ORDER BY 1, 2`, []any{schema, schema}
}

func (dialect) ExplainSQL(stmt string) (string, bool) { return "EXPLAIN " + stmt, true }

// StageSQL puts the temporary table in the target's database, because an
// unqualified one goes to the current database, which a DSN need not name.
// CREATE and DROP TEMPORARY TABLE are the DDL that does not commit.
func (d dialect) StageSQL(target engine.TableRef, name, selectSQL string) (engine.TableRef, string, string) {
	ref := engine.TableRef{Schema: target.Schema, Name: name}
	q := engine.QuoteTable(d, ref)
	return ref, "CREATE TEMPORARY TABLE " + q + " AS " + selectSQL, "DROP TEMPORARY TABLE IF EXISTS " + q
}

// DeleteMatchingSQL joins rather than using IN (subquery), which MariaDB
// and older MySQL run as a dependent subquery, once per target row.
func (d dialect) DeleteMatchingSQL(target, stage engine.TableRef, keys []string) string {
	on := make([]string, len(keys))
	for i, k := range keys {
		k = d.QuoteIdent(k)
		on[i] = "_kiln_t." + k + " = _kiln_s." + k
	}
	return "DELETE _kiln_t FROM " + engine.QuoteTable(d, target) + " AS _kiln_t JOIN " +
		engine.QuoteTable(d, stage) + " AS _kiln_s ON " + strings.Join(on, " AND ")
}

func (d dialect) CreateLikeSQL(dst, src engine.TableRef) string {
	return "CREATE TABLE " + engine.QuoteTable(d, dst) + " LIKE " + engine.QuoteTable(d, src)
}

func (d dialect) SwapSQL(target, fresh, old engine.TableRef) string {
	t := engine.QuoteTable(d, target)
	return "RENAME TABLE " + t + " TO " + engine.QuoteTable(d, old) + ", " + engine.QuoteTable(d, fresh) + " TO " + t
}
