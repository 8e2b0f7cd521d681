package integration

import (
	"fmt"
	"strings"
)

// schemaChange is one change a sync makes to an existing target table,
// recorded for the data map.
type schemaChange struct {
	Column, Change, OldType, NewType string
	SQL                              string
}

// planDDL compares the columns a sync writes with an existing target and
// returns the changes that adapt the target: added columns, widened types,
// copied comments, and columns the source dropped made nullable. A change
// that could lose data fails with the column named.
func planDDL(schema, table string, want, have []tgtColumn, dropped string) ([]schemaChange, error) {
	t := qt(schema, table)
	byName := map[string]tgtColumn{}
	for _, c := range have {
		byName[strings.ToLower(c.Name)] = c
	}
	var out []schemaChange
	wanted := map[string]bool{}
	for _, c := range want {
		wanted[strings.ToLower(c.Name)] = true
		old, ok := byName[strings.ToLower(c.Name)]
		if !ok {
			out = append(out, schemaChange{Column: c.Name, Change: "add", NewType: c.Type,
				SQL: "ALTER TABLE " + t + " ADD COLUMN " + qi(c.Name) + " " + c.Type})
			if c.Comment != "" {
				out = append(out, commentChange(t, c))
			}
			continue
		}
		same, widen := widens(old.Type, c.Type)
		switch {
		case same:
		case widen:
			out = append(out, schemaChange{Column: c.Name, Change: "widen", OldType: old.Type, NewType: c.Type,
				SQL: "ALTER TABLE " + t + " ALTER COLUMN " + qi(old.Name) + " TYPE " + c.Type})
		default:
			if s, w := widens(c.Type, old.Type); s || w {
				// The target is already wider (an earlier widening, or a
				// narrowing in the source): values still fit.
				break
			}
			return nil, fmt.Errorf("target %s column %s has type %s, incompatible with the source's %s (only widening changes are applied)",
				t, old.Name, old.Type, c.Type)
		}
		if c.Comment != "" && c.Comment != old.Comment {
			out = append(out, commentChange(t, c))
		}
	}
	for _, c := range have {
		if wanted[strings.ToLower(c.Name)] {
			continue
		}
		if dropped == "fail" {
			return nil, fmt.Errorf("target %s column %s is no longer in the source (dropped_columns: fail)", t, c.Name)
		}
		if !c.Nullable {
			out = append(out, schemaChange{Column: c.Name, Change: "nullable", OldType: c.Type, NewType: c.Type,
				SQL: "ALTER TABLE " + t + " ALTER COLUMN " + qi(c.Name) + " DROP NOT NULL"})
		} else {
			out = append(out, schemaChange{Column: c.Name, Change: "kept", OldType: c.Type})
		}
	}
	return out, nil
}

func commentChange(t string, c tgtColumn) schemaChange {
	return schemaChange{Column: c.Name, Change: "comment", NewType: c.Comment,
		SQL: "COMMENT ON COLUMN " + t + "." + qi(c.Name) + " IS " + qs(c.Comment)}
}

// columnsSig identifies a column list, so a resumed load knows its
// staging table still fits.
func columnsSig(cols []tgtColumn) string {
	var b strings.Builder
	for _, c := range cols {
		b.WriteString(c.Name + " " + c.Type + ";")
	}
	return b.String()
}
