package lineage

import (
	"fmt"
	"strings"
)

// ParseError is a syntax error with its position in the SQL text.
type ParseError struct {
	Line, Column int
	Msg          string
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// lineCol converts a byte offset to a 1-based line and column.
func lineCol(text string, off int) (int, int) {
	if off > len(text) {
		off = len(text)
	}
	if off < 0 {
		off = 0
	}
	line := 1 + strings.Count(text[:off], "\n")
	col := off - strings.LastIndexByte(text[:off], '\n')
	return line, col
}

var stopWords = []string{"from", "where", "group", "order", "having", "union", "intersect", "except", "limit", "into", "window", "qualify", "as"}

// exprText returns the text of a select-list expression starting at off:
// up to the first top-level comma, closing parenthesis, semicolon or clause
// keyword. Parsers give the start of an expression but not always its end,
// and an unaliased expression is named by its text.
func exprText(text string, off int) string {
	if off < 0 || off >= len(text) {
		return ""
	}
	depth := 0
	i := off
	for i < len(text) {
		ch := text[i]
		switch {
		case ch == '\'' || ch == '"' || ch == '`':
			j := strings.IndexByte(text[i+1:], ch)
			if j < 0 {
				return strings.TrimSpace(text[off:])
			}
			i += j + 2
			continue
		case ch == '-' && strings.HasPrefix(text[i:], "--"):
			j := strings.IndexByte(text[i:], '\n')
			if j < 0 {
				return strings.TrimSpace(text[off:i])
			}
			if depth == 0 {
				return strings.TrimSpace(text[off:i])
			}
			i += j
			continue
		case ch == '(' || ch == '[':
			depth++
		case ch == ')' || ch == ']':
			if depth == 0 {
				return strings.TrimSpace(text[off:i])
			}
			depth--
		case (ch == ',' || ch == ';') && depth == 0:
			return strings.TrimSpace(text[off:i])
		case depth == 0 && isWordStart(text, i):
			for _, w := range stopWords {
				if len(text) >= i+len(w) && strings.EqualFold(text[i:i+len(w)], w) && !isIdentByte(text, i+len(w)) && i > off {
					return strings.TrimSpace(text[off:i])
				}
			}
		}
		i++
	}
	return strings.TrimSpace(text[off:])
}

func isIdentByte(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return false
	}
	c := s[i]
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

func isWordStart(s string, i int) bool {
	return isIdentByte(s, i) && !isIdentByte(s, i-1) && (i == 0 || s[i-1] != '.')
}
