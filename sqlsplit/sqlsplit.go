// Package sqlsplit splits SQL text into statements at top-level semicolons,
// skipping those inside strings, quoted identifiers, comments and
// Postgres dollar-quoted bodies.
package sqlsplit

import "strings"

// Statement is one statement of a script and the line it starts on.
type Statement struct {
	SQL  string
	Line int
}

// Split returns the non-empty statements of text, trimmed, without their
// terminating semicolons. A statement made only of comments is dropped.
func Split(text string) []Statement {
	var out []Statement
	start, line, startLine := 0, 1, 1
	flush := func(end int) {
		s := strings.TrimSpace(text[start:end])
		if s != "" && !onlyComments(s) {
			out = append(out, Statement{SQL: s, Line: startLine + leadingNewlines(text[start:end])})
		}
	}
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case c == '\n':
			line++
		case c == '\'' || c == '"' || c == '`':
			i, line = skipQuoted(text, i, c, line)
		case c == '-' && i+1 < len(text) && text[i+1] == '-':
			for i < len(text) && text[i] != '\n' {
				i++
			}
			if i < len(text) {
				line++
			}
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			end := strings.Index(text[i+2:], "*/")
			if end < 0 {
				end = len(text) - i - 2
			}
			line += strings.Count(text[i:i+2+end], "\n")
			i += 2 + end + 1
		case c == '$':
			if tag, ok := dollarTag(text[i:]); ok {
				end := strings.Index(text[i+len(tag):], tag)
				if end < 0 {
					end = len(text) - i - len(tag)
				} else {
					end += len(tag)
				}
				line += strings.Count(text[i:i+len(tag)+end], "\n")
				i += len(tag) + end - 1
			}
		case c == ';':
			flush(i)
			start, startLine = i+1, line
		}
	}
	if start < len(text) {
		flush(len(text))
	}
	return out
}

// skipQuoted returns the index of the closing quote of the quoted run that
// opens at i, treating a doubled quote (and a backslash in '...') as escaped.
func skipQuoted(text string, i int, q byte, line int) (int, int) {
	for j := i + 1; j < len(text); j++ {
		switch text[j] {
		case '\n':
			line++
		case '\\':
			if q == '\'' && j+1 < len(text) {
				if text[j+1] == '\n' {
					line++
				}
				j++
			}
		case q:
			if j+1 < len(text) && text[j+1] == q {
				j++
				continue
			}
			return j, line
		}
	}
	return len(text), line
}

// dollarTag reads a Postgres dollar-quote opener such as $$ or $body$.
func dollarTag(s string) (string, bool) {
	for j := 1; j < len(s); j++ {
		c := s[j]
		if c == '$' {
			return s[:j+1], true
		}
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || j > 1 && c >= '0' && c <= '9') {
			return "", false
		}
	}
	return "", false
}

func leadingNewlines(s string) int {
	n := 0
	for _, c := range s {
		switch c {
		case '\n':
			n++
		case ' ', '\t', '\r':
		default:
			return n
		}
	}
	return n
}

func onlyComments(s string) bool {
	for len(s) > 0 {
		s = strings.TrimSpace(s)
		switch {
		case strings.HasPrefix(s, "--"):
			i := strings.IndexByte(s, '\n')
			if i < 0 {
				return true
			}
			s = s[i+1:]
		case strings.HasPrefix(s, "/*"):
			i := strings.Index(s, "*/")
			if i < 0 {
				return true
			}
			s = s[i+2:]
		default:
			return s == ""
		}
	}
	return true
}
