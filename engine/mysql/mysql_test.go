package mysql

import (
	"fmt"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/kilnhq/kiln/engine/enginetest"
	"github.com/kilnhq/kiln/internal/testenv"
)

func TestEngine(t *testing.T) {
	e, err := Open("shop_mysql", testenv.MariaDB(t), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	enginetest.Exercise(t, e)
}

// TestOpen_URL connects with the URL form of the DSN the test database has.
func TestOpen_URL(t *testing.T) {
	cfg, err := mysql.ParseDSN(testenv.MariaDB(t))
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("mysql://%s@%s/%s?charset=utf8mb4", cfg.User, cfg.Addr, cfg.DBName)
	e, err := Open("shop_mysql", url, cfg.Passwd)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var db string
	if err := e.DB().QueryRowContext(t.Context(), "SELECT DATABASE()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	if db != cfg.DBName {
		t.Errorf("connected to %q, want %q", db, cfg.DBName)
	}
}

func TestParseDSN(t *testing.T) {
	tests := []struct {
		dsn                              string
		user, passwd, net, addr, db, opt string
	}{
		{"mysql://kiln@db.example:3307/shop?wait_timeout=600", "kiln", "", "tcp", "db.example:3307", "shop", "600"},
		{"mysql://kiln:pw@db.example/shop", "kiln", "pw", "tcp", "db.example:3306", "shop", ""},
		{"mariadb://root@[::1]/", "root", "", "tcp", "[::1]:3306", "", ""},
		{"mysql://root@/test?socket=/run/mysqld/mysqld.sock", "root", "", "unix", "/run/mysqld/mysqld.sock", "test", ""},
		{"kiln:pw@tcp(10.0.0.1:3306)/shop?wait_timeout=600", "kiln", "pw", "tcp", "10.0.0.1:3306", "shop", "600"},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			cfg, err := parseDSN(tt.dsn)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{cfg.User, cfg.Passwd, cfg.Net, cfg.Addr, cfg.DBName, cfg.Params["wait_timeout"]}
			want := []string{tt.user, tt.passwd, tt.net, tt.addr, tt.db, tt.opt}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("parsed %q, want %q", got, want)
			}
		})
	}
	for _, bad := range []string{"postgres://u@h/db", "mysql://u@h:x:y/db", "no-slash"} {
		if _, err := parseDSN(bad); err == nil {
			t.Errorf("parseDSN(%q): no error", bad)
		}
	}
}
