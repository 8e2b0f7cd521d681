package dataapi

import (
	"encoding/json"
	"fmt"
)

// LineageSQL returns the engine and the full SQL of a published API's
// spec (every optional fragment kept, parameters as $n placeholders, which
// the lineage parsers read), so the data map can place the API downstream
// of the tables it reads.
func LineageSQL(specJSON string) (engineName, sql string, err error) {
	var s Spec
	if err := json.Unmarshal([]byte(specJSON), &s); err != nil {
		return "", "", fmt.Errorf("data API spec: %w", err)
	}
	t, err := parseTemplate(s.SQL)
	if err != nil {
		return "", "", err
	}
	vals := map[string]any{}
	for name := range t.params() {
		vals[name] = nil
	}
	sql, _ = t.render(vals, "postgres", true)
	return s.Engine, sql, nil
}
