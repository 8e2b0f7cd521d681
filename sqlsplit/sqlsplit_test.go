package sqlsplit

import (
	"reflect"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"empty", "  \n ", nil},
		{"one without semicolon", "SELECT 1", []string{"SELECT 1"}},
		{"two", "SELECT 1; SELECT 2;", []string{"SELECT 1", "SELECT 2"}},
		{"string with semicolon", "SELECT 'a;b'; SELECT 2", []string{"SELECT 'a;b'", "SELECT 2"}},
		{"doubled quote", "SELECT 'it''s;'; SELECT 3", []string{"SELECT 'it''s;'", "SELECT 3"}},
		{"backslash escape", `SELECT 'a\';b'; SELECT 4`, []string{`SELECT 'a\';b'`, "SELECT 4"}},
		{"identifier", `SELECT 1 AS "x;y"; SELECT 5`, []string{`SELECT 1 AS "x;y"`, "SELECT 5"}},
		{"backtick", "SELECT `a;b` FROM t; SELECT 6", []string{"SELECT `a;b` FROM t", "SELECT 6"}},
		{"line comment", "SELECT 1 -- no; split\n; SELECT 7", []string{"SELECT 1 -- no; split", "SELECT 7"}},
		{"block comment", "SELECT /* ; */ 1; SELECT 8", []string{"SELECT /* ; */ 1", "SELECT 8"}},
		{"comment only statement", "SELECT 1; -- trailing\n", []string{"SELECT 1"}},
		{"dollar quote", "CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql; SELECT 9",
			[]string{"CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql", "SELECT 9"}},
		{"tagged dollar", "DO $body$ BEGIN; END $body$; SELECT 10", []string{"DO $body$ BEGIN; END $body$", "SELECT 10"}},
		{"positional param is not a tag", "SELECT $1; SELECT 11", []string{"SELECT $1", "SELECT 11"}},
		{"unterminated string", "SELECT 'abc; SELECT 2", []string{"SELECT 'abc; SELECT 2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, s := range Split(tt.in) {
				got = append(got, s.SQL)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Split(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestSplit_Lines(t *testing.T) {
	t.Parallel()
	got := Split("SELECT 1;\n\n  SELECT\n 'a\nb';\n/* c\n */ SELECT 3")
	lines := []int{1, 3, 6}
	if len(got) != 3 {
		t.Fatalf("got %d statements", len(got))
	}
	for i, s := range got {
		if s.Line != lines[i] {
			t.Errorf("statement %d (%q) on line %d, want %d", i, s.SQL, s.Line, lines[i])
		}
	}
}

func FuzzSplit(f *testing.F) {
	for _, s := range []string{"SELECT 1; SELECT 2", "SELECT 'a;'", "$$;$$", "/*;*/", "--;\n;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, st := range Split(s) {
			if strings.TrimSpace(st.SQL) != st.SQL || st.SQL == "" || st.Line < 1 {
				t.Fatalf("bad statement %q line %d", st.SQL, st.Line)
			}
		}
	})
}
