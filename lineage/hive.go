package lineage

import "regexp"

// insertOverwrite matches Hive/Spark's INSERT OVERWRITE [TABLE] name
// [PARTITION (...)], which none of Kiln's parsers accepts.
var insertOverwrite = regexp.MustCompile(`(?is)\bINSERT\s+OVERWRITE\s+(?:TABLE\s+)?([\w."` + "`" + `]+)(\s+PARTITION\s*\([^)]*\))?`)

// rewriteInsertOverwrite turns INSERT OVERWRITE into INSERT INTO for
// lineage: which rows a statement replaces does not change where its
// columns come from. It is the seam a Hive/Spark dialect will replace.
func rewriteInsertOverwrite(text string) string {
	return insertOverwrite.ReplaceAllString(text, "INSERT INTO $1")
}
