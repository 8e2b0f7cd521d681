package project

import (
	"strings"
	"unicode/utf8"
)

// header is the settings block of a SQL, shell or python task file and the
// text around it.
type header struct {
	found  bool
	broken bool    // the header is not closed or not where settings go
	yaml   string  // the settings, as YAML
	lines  lineMap // where the YAML's lines sit in the file
	at     pos     // the header's first line
	body   string  // the text run: the SQL after the header, or the whole script
	// bodyAt is the place of the body's first character in the file.
	bodyAt pos
}

// splitSQL finds the leading /* kiln ... */ block of a SQL file; everything
// after it is the SQL.
func splitSQL(src, file string, probs *problems) header {
	text := strings.TrimPrefix(src, "\ufeff")
	start := len(text) - len(strings.TrimLeft(text, " \t\r\n"))
	none := header{body: text, bodyAt: pos{line: 1, col: 1}}
	after, ok := kilnComment(text[start:])
	if !ok {
		// A header further down would silently be a comment in the SQL.
		for i, l := range strings.Split(text, "\n") {
			if _, ok := kilnComment(strings.TrimSpace(l)); ok {
				probs.add(file, pos{line: i + 1}, "the /* kiln header must come first in the file")
				break
			}
		}
		return none
	}
	h := header{found: true, at: offsetPos(text, start)}
	yamlStart := len(text) - len(after)
	firstLine, _, _ := strings.Cut(after, "\n")
	firstLine = strings.TrimSpace(firstLine)
	if strings.HasPrefix(firstLine, "*/") {
		h.body = text[yamlStart+strings.Index(after, "*/")+2:]
		h.bodyAt = offsetPos(text, len(text)-len(h.body))
		return h
	}
	if firstLine != "" {
		probs.add(file, h.at, "write the settings on the lines after /* kiln, not on its line")
		h.broken = true
	}
	nl := strings.IndexByte(after, '\n')
	if nl < 0 {
		probs.add(file, h.at, "the /* kiln header is not closed with */")
		h.broken = true
		return h
	}
	yamlStart += nl + 1
	end := strings.Index(text[yamlStart:], "*/")
	if end < 0 {
		probs.add(file, h.at, "the /* kiln header is not closed with */")
		h.broken = true
		return h
	}
	h.yaml = text[yamlStart : yamlStart+end]
	h.lines = lineMap{first: h.at.line + 1}
	bodyStart := yamlStart + end + 2
	h.body = text[bodyStart:]
	h.bodyAt = offsetPos(text, bodyStart)
	return h
}

// kilnComment reports whether s starts with the "/* kiln" of a header, and
// returns what follows it.
func kilnComment(s string) (string, bool) {
	if !strings.HasPrefix(s, "/*") {
		return "", false
	}
	after := strings.TrimLeft(s[2:], " \t")
	if !strings.HasPrefix(after, "kiln") {
		return "", false
	}
	after = after[len("kiln"):]
	if after != "" && !strings.ContainsRune(" \t\r\n", rune(after[0])) && !strings.HasPrefix(after, "*/") {
		return "", false // a comment that merely starts with "kiln…"
	}
	return after, true
}

// splitScript finds the "# kiln:" comment block of a shell or python file.
// It may follow a shebang and other leading comments. The body is the whole
// file: the header is a comment to bash and python.
func splitScript(src, file string, probs *problems) header {
	h := header{body: src, bodyAt: pos{line: 1, col: 1}}
	lines := strings.SplitAfter(strings.TrimPrefix(src, "\ufeff"), "\n")
	i := 0
	if len(lines) > 0 && strings.HasPrefix(lines[0], "#!") {
		i = 1
	}
	for ; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" {
			continue
		}
		if !strings.HasPrefix(l, "#") {
			misplacedScriptHeader(lines[i:], i, file, probs)
			return h
		}
		c := strings.TrimSpace(l[1:])
		if c == "kiln:" {
			break
		}
		if strings.HasPrefix(c, "kiln:") {
			probs.add(file, pos{line: i + 1}, "write the settings on the lines after # kiln:, each starting with #")
			h.broken = true
			return h
		}
	}
	if i == len(lines) {
		return h
	}
	h.found, h.at = true, pos{line: i + 1}
	h.lines = lineMap{first: i + 2}
	var b strings.Builder
	for _, l := range lines[i+1:] {
		if !strings.HasPrefix(l, "#") {
			break
		}
		shift := 1
		if strings.HasPrefix(l, "# ") {
			shift = 2
		}
		b.WriteString(l[shift:])
		h.lines.shift = append(h.lines.shift, shift)
	}
	h.yaml = b.String()
	return h
}

// misplacedScriptHeader reports a "# kiln:" line after the code starts: bash
// and python would take it for a mere comment.
func misplacedScriptHeader(lines []string, first int, file string, probs *problems) {
	for j, l := range lines {
		if strings.TrimSpace(l) == "# kiln:" {
			probs.add(file, pos{line: first + j + 1}, "the # kiln: header must come before the code, after the shebang")
			return
		}
	}
}

// offsetPos converts a byte offset in text to a line and a column counted in
// characters.
func offsetPos(text string, off int) pos {
	before := text[:off]
	lineStart := strings.LastIndexByte(before, '\n') + 1
	return pos{
		line: 1 + strings.Count(before, "\n"),
		col:  1 + utf8.RuneCountInString(before[lineStart:]),
	}
}

// inText places a line and column found in a text that starts at start.
func inText(start pos, line, col int) pos {
	if line == 1 {
		return pos{line: start.line, col: start.col + col - 1}
	}
	return pos{line: start.line + line - 1, col: col}
}

// firstWord returns the first word of SQL after blanks and comments, and
// its byte offset; "" when the SQL holds nothing else.
func firstWord(sql string) (string, int) {
	i := 0
	for i < len(sql) {
		switch {
		case strings.ContainsRune(" \t\r\n\f", rune(sql[i])):
			i++
		case strings.HasPrefix(sql[i:], "--"):
			nl := strings.IndexByte(sql[i:], '\n')
			if nl < 0 {
				return "", len(sql)
			}
			i += nl + 1
		case strings.HasPrefix(sql[i:], "/*"):
			end := strings.Index(sql[i+2:], "*/")
			if end < 0 {
				return "", len(sql)
			}
			i += 2 + end + 2
		default:
			j := i
			for j < len(sql) && (sql[j] >= 'a' && sql[j] <= 'z' || sql[j] >= 'A' && sql[j] <= 'Z' || sql[j] == '_') {
				j++
			}
			if j == i {
				_, size := utf8.DecodeRuneInString(sql[i:])
				j = i + size
			}
			return sql[i:j], i
		}
	}
	return "", len(sql)
}
