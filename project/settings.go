package project

import (
	"fmt"
	"path"
	"strings"

	"github.com/goccy/go-yaml"
)

// Setting is one top-level key of a task's settings to write into its file.
// A nil Value removes the key, so the task follows the project default.
type Setting struct {
	Key   string
	Value any
}

// SetTaskSettings rewrites top-level settings of a task file: each key is
// replaced where it stands (keeping the comment at the end of its line), or
// added at the end of the settings when missing. The body, the other keys,
// comments and blank lines are kept as written. SQL files get a /* kiln */
// header and scripts a # kiln: header when they have none. The result is
// not checked: LoadTask it.
func SetTaskSettings(file, src string, set []Setting) (string, error) {
	// A file with Windows line endings throughout keeps them: it is edited
	// with \n and written back with \r\n.
	if n := strings.Count(src, "\r\n"); n > 0 && n == strings.Count(src, "\n") {
		out, err := SetTaskSettings(file, strings.ReplaceAll(src, "\r\n", "\n"), set)
		return strings.ReplaceAll(out, "\n", "\r\n"), err
	}
	switch path.Ext(file) {
	case ".sql":
		return setSQLSettings(file, src, set)
	case ".sh", ".py":
		return setScriptSettings(file, src, set)
	case ".yaml":
		return editYAML(plainLines(src), "", set)
	}
	return "", fmt.Errorf("%s: a task file ends in .sql, .py, .sh or .yaml", file)
}

func setSQLSettings(file, src string, set []Setting) (string, error) {
	var probs problems
	h := splitSQL(src, file, &probs)
	if h.broken || len(probs) > 0 {
		return "", fmt.Errorf("%s: the /* kiln header is broken; fix it in the editor first", file)
	}
	text := strings.TrimPrefix(src, "\ufeff")
	if !h.found {
		y, err := editYAML(nil, "", set)
		if err != nil {
			return "", err
		}
		if strings.Contains(y, "*/") {
			return "", fmt.Errorf("%s: a setting holds */, which would end the header", file)
		}
		return "/* kiln\n" + y + "*/\n" + text, nil
	}
	// The YAML sits between the line after "/* kiln" and "*/"; a header
	// written as "/* kiln */" has none.
	bodyStart := len(text) - len(h.body)
	closeAt := bodyStart - len("*/")
	yamlStart := closeAt - len(h.yaml)
	if h.yaml == "" && !strings.HasSuffix(text[:closeAt], "\n") {
		// "/* kiln */": put the settings on lines of their own.
		y, err := editYAML(nil, "", set)
		if err != nil {
			return "", err
		}
		return text[:closeAt] + "\n" + y + text[closeAt:], nil
	}
	y, err := editYAML(plainLines(h.yaml), "", set)
	if err != nil {
		return "", err
	}
	if strings.Contains(y, "*/") {
		return "", fmt.Errorf("%s: a setting holds */, which would end the header", file)
	}
	return text[:yamlStart] + y + text[closeAt:], nil
}

func setScriptSettings(file, src string, set []Setting) (string, error) {
	var probs problems
	h := splitScript(src, file, &probs)
	if h.broken || len(probs) > 0 {
		return "", fmt.Errorf("%s: the # kiln: header is broken; fix it in the editor first", file)
	}
	text := strings.TrimPrefix(src, "\ufeff")
	lines := strings.SplitAfter(text, "\n")
	if !h.found {
		y, err := editYAML(nil, "# ", set)
		if err != nil {
			return "", err
		}
		// The header goes after the leading comments (a shebang, a coding
		// line, a licence), just before the first line of code: put before
		// them, it would take them in as settings, and a coding line must
		// stay on line 1 or 2.
		at, prev := 0, ""
		for _, l := range lines {
			t := strings.TrimSpace(l)
			if t != "" && !strings.HasPrefix(t, "#") {
				break
			}
			at += len(l)
			if t != "" {
				prev = l
			}
		}
		head := "# kiln:\n"
		if prev != "" && !strings.HasPrefix(prev, "#!") && strings.HasSuffix(text[:at], prev) {
			head = "\n" + head // a blank line after a comment block
		}
		if at > 0 && !strings.HasSuffix(text[:at], "\n") {
			head = "\n" + head
		}
		return text[:at] + head + y + text[at:], nil
	}
	// The header's YAML lines are lines[first : first+n] of the file, each
	// with its "# " or "#" removed.
	first := h.lines.first - 1
	n := len(h.lines.shift)
	start := 0
	for _, l := range lines[:first] {
		start += len(l)
	}
	end := start
	var ys []yamlLine
	for i, l := range lines[first : first+n] {
		end += len(l)
		shift := h.lines.shift[i]
		ys = append(ys, yamlLine{prefix: l[:shift], text: strings.TrimRight(l[shift:], "\r\n")})
	}
	y, err := editYAML(ys, "# ", set)
	if err != nil {
		return "", err
	}
	return text[:start] + y + text[end:], nil
}

// yamlLine is one line of a settings block: prefix is what the file has
// before the YAML ("# " in scripts), text is the YAML.
type yamlLine struct {
	prefix, text string
}

// plainLines splits a YAML text into lines without a prefix.
func plainLines(src string) []yamlLine {
	var lines []yamlLine
	for _, l := range strings.SplitAfter(src, "\n") {
		if l != "" {
			lines = append(lines, yamlLine{text: strings.TrimSuffix(l, "\n")})
		}
	}
	return lines
}

// editYAML sets top-level keys in a YAML mapping given as lines and returns
// the text of the result. Kept lines keep their prefix ("# " or "#" in a
// script's header); written lines get prefix.
func editYAML(lines []yamlLine, prefix string, set []Setting) (string, error) {
	indent := baseIndent(lines)
	for _, s := range set {
		out, err := settingLines(s, indent)
		if err != nil {
			return "", err
		}
		from, to, ok := findKey(lines, indent, s.Key)
		if !ok {
			// Added at the end of the mapping: before trailing blank
			// lines, and before a document end marker ("...") and what
			// follows it.
			at := len(lines)
			for i, l := range lines {
				if t := strings.TrimSpace(l.text); t == "..." || strings.HasPrefix(t, "... ") || strings.HasPrefix(t, "...\t") {
					at = i
					break
				}
			}
			for at > 0 && strings.TrimSpace(lines[at-1].text) == "" {
				at--
			}
			from, to = at, at
		} else if s.Value != nil && to-from == 1 {
			if c := lineComment(lines[from].text); c != "" && len(out) == 1 {
				out[0] += " " + c
			}
		}
		repl := make([]yamlLine, len(out))
		for i, o := range out {
			repl[i] = yamlLine{prefix: prefix, text: o}
		}
		lines = append(lines[:from], append(repl, lines[to:]...)...)
	}
	var b strings.Builder
	for _, l := range lines {
		if l.prefix != "" && strings.TrimSpace(l.text) == "" {
			b.WriteString(strings.TrimRight(l.prefix, " ") + "\n")
			continue
		}
		b.WriteString(l.prefix + l.text + "\n")
	}
	return b.String(), nil
}

// baseIndent is the indentation of the mapping's keys: that of its first
// line that is neither blank nor a comment.
func baseIndent(lines []yamlLine) string {
	for _, l := range lines {
		t := strings.TrimLeft(l.text, " ")
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		return l.text[:len(l.text)-len(t)]
	}
	return ""
}

// findKey returns the lines [from, to) of a top-level key: its own line and
// the lines that continue its value (indented deeper, or "- " items at the
// key's indentation), blank lines inside the value included.
func findKey(lines []yamlLine, indent, key string) (int, int, bool) {
	for i, l := range lines {
		if !strings.HasPrefix(l.text, indent) {
			continue
		}
		rest := l.text[len(indent):]
		k, _, ok := strings.Cut(rest, ":")
		if !ok || unquoteKey(k) != key || strings.HasPrefix(rest, " ") {
			continue
		}
		end := i + 1
		for j := i + 1; j < len(lines); j++ {
			t := lines[j].text
			if strings.TrimSpace(t) == "" {
				continue
			}
			deeper := strings.HasPrefix(t, indent) && (strings.HasPrefix(t[len(indent):], " ") || strings.HasPrefix(t[len(indent):], "- "))
			if !deeper {
				break
			}
			end = j + 1
		}
		return i, end, true
	}
	return 0, 0, false
}

// unquoteKey is a mapping key as written ("retries", 'retries' or retries)
// without its quotes and spaces.
func unquoteKey(k string) string {
	k = strings.TrimSpace(k)
	if len(k) >= 2 && (k[0] == '"' || k[0] == '\'') && k[len(k)-1] == k[0] {
		return k[1 : len(k)-1]
	}
	return k
}

// lineComment returns the "# …" comment at the end of a one-line setting,
// found outside quotes, or "". A quote opens a quoted scalar only where a
// value starts (after a space, "[", "{" or ","): the apostrophe in
// "owner: it's me" is a letter.
func lineComment(l string) string {
	var quote byte
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case (c == '"' || c == '\'') && (i == 0 || strings.IndexByte(" \t[{,", l[i-1]) >= 0):
			quote = c
		case c == '#' && i > 0 && (l[i-1] == ' ' || l[i-1] == '\t'):
			return l[i:]
		}
	}
	return ""
}

// settingLines writes one setting as YAML lines at the mapping's indentation;
// none for a nil value (the key is removed).
func settingLines(s Setting, indent string) ([]string, error) {
	if s.Value == nil {
		return nil, nil
	}
	out, err := marshalSettings(yaml.MapSlice{{Key: s.Key, Value: s.Value}})
	if err != nil {
		return nil, fmt.Errorf("setting %s: %w", s.Key, err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		lines = append(lines, indent+l)
	}
	return lines, nil
}

// CheckSchedule says what is wrong with a cron expression and time zone as
// a task's schedule, as validation would, or "" when they are fine. An
// empty time zone is fine (the project default applies).
func CheckSchedule(cron, tz string) string {
	if msg := checkCron(cron); msg != "" {
		return msg
	}
	if tz != "" {
		return checkTimezone(tz)
	}
	return ""
}
