package postgres

import (
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestConnConfig(t *testing.T) {
	tests := []struct {
		dsn, password, wantPassword string
		wantMode                    pgx.QueryExecMode
	}{
		{"postgres://kiln@db:5432/dw", "s3cret", "s3cret", pgx.QueryExecModeDescribeExec},
		{"postgres://kiln:inline@db:5432/dw", "", "inline", pgx.QueryExecModeDescribeExec},
		{"postgres://kiln:inline@db:5432/dw", "given", "given", pgx.QueryExecModeDescribeExec},
		{"host=db user=kiln dbname=dw default_query_exec_mode=cache_statement", "pw", "pw", pgx.QueryExecModeCacheStatement},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			cfg, err := connConfig(tt.dsn, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Password != tt.wantPassword || cfg.DefaultQueryExecMode != tt.wantMode {
				t.Errorf("password %q, mode %v; want %q, %v", cfg.Password, cfg.DefaultQueryExecMode, tt.wantPassword, tt.wantMode)
			}
		})
	}
}
