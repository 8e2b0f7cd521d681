package project

import (
	"fmt"
	"sort"
	"strconv"
)

// Problem is one thing wrong in a project folder, at its place.
type Problem struct {
	File      string // slash-separated path relative to the project folder
	Line, Col int    // 1-based; 0 when the problem is about the whole file or line
	Message   string
}

// String formats p as "file:line:col: message", leaving out a zero column
// and a zero line.
func (p Problem) String() string {
	s := p.File
	if p.Line > 0 {
		s += ":" + strconv.Itoa(p.Line)
		if p.Col > 0 {
			s += ":" + strconv.Itoa(p.Col)
		}
	}
	if s == "" {
		return p.Message
	}
	return s + ": " + p.Message
}

// pos is a place in a file.
type pos struct{ line, col int }

// problems collects what Load finds.
type problems []Problem

func (ps *problems) add(file string, at pos, format string, args ...any) {
	*ps = append(*ps, Problem{File: file, Line: at.line, Col: at.col, Message: fmt.Sprintf(format, args...)})
}

// sorted returns the problems ordered by file, line and column, without
// exact repeats.
func (ps problems) sorted() []Problem {
	out := append([]Problem(nil), ps...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	dedup := out[:0]
	for i, p := range out {
		if i == 0 || p != out[i-1] {
			dedup = append(dedup, p)
		}
	}
	return dedup
}
