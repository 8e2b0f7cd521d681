package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &App{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(stdin)}
	code := a.Execute(context.Background(), args)
	return code, out.String(), errb.String()
}

func TestLineageSQL(t *testing.T) {
	dir := t.TempDir()
	cat := filepath.Join(dir, "cat.json")
	if err := os.WriteFile(cat, []byte(`{"ods.users": ["id", "Name"]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCLI(t, "INSERT INTO dw.u SELECT * FROM ods.users u JOIN ods.t t ON t.id = u.id;\n", "lineage", "sql", "--dialect", "postgres", "--catalog", cat, "-")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res struct {
		Sources, Targets []string
		Columns          []struct{ Source, Target string }
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	if strings.Join(res.Sources, ",") != "ods.t,ods.users" || strings.Join(res.Targets, ",") != "dw.u" {
		t.Errorf("tables: %s", out)
	}
	// users expands from the catalog; t has no columns there, so it stays a star.
	want := "ods.users.id>dw.u.id ods.users.name>dw.u.name ods.t.*>dw.u.*"
	var got []string
	for _, c := range res.Columns {
		got = append(got, c.Source+">"+c.Target)
	}
	if strings.Join(got, " ") != want {
		t.Errorf("columns %v, want %s", got, want)
	}

	f := filepath.Join(dir, "bad.sql")
	os.WriteFile(f, []byte("SELECT 1;\nSELECT FROM WHERE;"), 0o600)
	code, _, errs = runCLI(t, "", "lineage", "sql", "--dialect", "mysql", f)
	if code != 1 || !strings.Contains(errs, "line 2, column") {
		t.Errorf("parse error: exit %d, %q", code, errs)
	}
	code, _, errs = runCLI(t, "", "lineage", "sql", "--dialect", "cobol", f)
	if code != 2 || !strings.Contains(errs, "unknown dialect") {
		t.Errorf("bad dialect: exit %d, %q", code, errs)
	}
}
