package project

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestScaffold(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "My Project")
	if err := Scaffold(dir, ""); err != nil {
		t.Fatal(err)
	}
	p, probs := Load(os.DirFS(dir))
	if len(probs) != 0 {
		t.Fatalf("the scaffold does not load: %v", probs)
	}
	if p.Name != "my_project" || len(p.Tasks) != 2 {
		t.Fatalf("project %q with %d tasks", p.Name, len(p.Tasks))
	}
	if m := p.Tasks[1]; m.Name != "hello_model" || m.Target != "demo.hello" || m.Upstreams[0] != "hello" {
		t.Errorf("model = %+v", m)
	}
	if info, err := os.Stat(filepath.Join(dir, "tasks", "hello.sh")); err != nil || info.Mode()&0o100 == 0 {
		t.Errorf("hello.sh is not executable: %v", err)
	}

	err := Scaffold(dir, "other")
	if err == nil || !strings.Contains(err.Error(), "kiln.yaml already exists") {
		t.Errorf("second Scaffold: %v; want a refusal", err)
	}
}

func TestScaffold_EmptyProjectFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ProjectFile), []byte("\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Scaffold(dir, "shop"); err != nil {
		t.Fatalf("Scaffold over an empty kiln.yaml: %v", err)
	}
	if p, probs := Load(os.DirFS(dir)); p.Name != "shop" || len(probs) != 0 {
		t.Errorf("project %q, problems %v", p.Name, probs)
	}
}

func TestScaffold_Refusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := Scaffold(dir, "Bad Name"); err == nil {
		t.Error("Scaffold accepted a bad name")
	}
	if err := os.MkdirAll(filepath.Join(dir, "tasks"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "tasks", "hello.sh"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Scaffold(dir, "shop"); err == nil || !strings.Contains(err.Error(), "tasks/hello.sh already exists") {
		t.Errorf("Scaffold over a task file: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ProjectFile)); err == nil {
		t.Error("a refused Scaffold wrote kiln.yaml")
	}
}
