package project

import (
	"regexp"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

var sensitiveRe = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*\.){1,2}[A-Za-z_][A-Za-z0-9_]*$`)

// readSensitive reads kiln.yaml's sensitive: list of "table.column" (or
// "schema.table.column"), kept lower case: the columns self-service query
// masks for members who may not unmask.
func readSensitive(d *decoder, n ast.Node) []string {
	var out []string
	for _, it := range d.list("sensitive", n) {
		if !sensitiveRe.MatchString(it.value) {
			d.probs.add(ProjectFile, it.at, "sensitive: %q: want table.column or schema.table.column", it.value)
			continue
		}
		out = append(out, strings.ToLower(it.value))
	}
	return out
}
