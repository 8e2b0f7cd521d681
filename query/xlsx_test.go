package query

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// xlsxSheet is what checkXLSX found in one worksheet.
type xlsxSheet struct {
	rows  int
	first []string // the cells of the first row
	last  []string // the cells of the last row
}

// checkXLSX validates a workbook's package structure (content types,
// relationships, workbook, sheets) and parses every part as XML, checking
// that rows are numbered 1, 2, 3… in each sheet. It returns the sheets.
func checkXLSX(t *testing.T, b []byte) []xlsxSheet {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	parts := map[string]*zip.File{}
	for _, f := range zr.File {
		parts[f.Name] = f
	}
	for _, name := range []string{"[Content_Types].xml", "_rels/.rels", "xl/workbook.xml", "xl/_rels/workbook.xml.rels"} {
		if parts[name] == nil {
			t.Fatalf("part %s missing", name)
		}
	}
	wb := readPart(t, parts["xl/workbook.xml"])
	var doc struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			RID  string `xml:"http://schemas.openxmlformats.org/officeDocument/2006/relationships id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := xml.Unmarshal(wb, &doc); err != nil {
		t.Fatalf("workbook.xml: %v", err)
	}
	rels, types := string(readPart(t, parts["xl/_rels/workbook.xml.rels"])), string(readPart(t, parts["[Content_Types].xml"]))
	var sheets []xlsxSheet
	for i, s := range doc.Sheets {
		name := fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1)
		if parts[name] == nil || !strings.Contains(rels, `Id="`+s.RID+`"`) || !strings.Contains(types, "/"+name) {
			t.Fatalf("sheet %s (%s) is not wired: part, relationship and content type needed", s.Name, s.RID)
		}
		sheets = append(sheets, scanSheet(t, parts[name]))
	}
	return sheets
}

func readPart(t *testing.T, f *zip.File) []byte {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// scanSheet streams a worksheet's XML, counting rows and checking numbering.
func scanSheet(t *testing.T, f *zip.File) xlsxSheet {
	t.Helper()
	rc, err := f.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	dec := xml.NewDecoder(rc)
	var sh xlsxSheet
	var cells []string
	var text strings.Builder
	for {
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", f.Name, err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			switch x.Name.Local {
			case "row":
				sh.rows++
				cells = cells[:0]
				for _, a := range x.Attr {
					if a.Name.Local == "r" && a.Value != strconv.Itoa(sh.rows) {
						t.Fatalf("%s: row %d numbered %s", f.Name, sh.rows, a.Value)
					}
				}
			case "c":
				text.Reset()
			}
		case xml.CharData:
			text.Write(x)
		case xml.EndElement:
			switch x.Name.Local {
			case "c":
				cells = append(cells, text.String())
			case "row":
				if sh.rows == 1 {
					sh.first = append([]string(nil), cells...)
				}
				sh.last = append(sh.last[:0], cells...)
			}
		}
	}
	return sh
}

func writeXLSX(t *testing.T, header []string, rows [][]any, maxRows int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := newXLSXWriter(&buf, header, maxRows)
	for _, r := range rows {
		if err := w.add(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestXLSX_cellsAndEscaping(t *testing.T) {
	b := writeXLSX(t, []string{"id", "name", "ok", "score"}, [][]any{
		{int64(1), "a <b> & \"c\"\x01", true, 1.5},
		{int64(2), nil, false, nil},
	}, MaxSheetRows)
	sheets := checkXLSX(t, b)
	if len(sheets) != 1 || sheets[0].rows != 3 {
		t.Fatalf("sheets = %+v", sheets)
	}
	if got := strings.Join(sheets[0].first, "|"); got != "id|name|ok|score" {
		t.Fatalf("header = %s", got)
	}
	if got := strings.Join(sheets[0].last, "|"); got != "2||0|" {
		t.Fatalf("last row = %q", got)
	}
	// An empty result is still a valid workbook with its header.
	if sheets = checkXLSX(t, writeXLSX(t, []string{"x"}, nil, MaxSheetRows)); len(sheets) != 1 || sheets[0].rows != 1 {
		t.Fatalf("empty = %+v", sheets)
	}
	pythonOpens(t, b)
}

// TestXLSX_sheetSplitAtExcelLimit writes one row more than a sheet holds
// (with its header) and checks the split: sheet 1 is full at 1,048,576 rows,
// sheet 2 repeats the header and holds the rest.
func TestXLSX_sheetSplitAtExcelLimit(t *testing.T) {
	const total = MaxSheetRows + 1
	var buf bytes.Buffer
	w := newXLSXWriter(&buf, []string{"n"}, MaxSheetRows)
	row := make([]any, 1)
	for i := range total {
		row[0] = int64(i)
		if err := w.add(row); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	sheets := checkXLSX(t, buf.Bytes())
	if len(sheets) != 2 {
		t.Fatalf("%d sheets", len(sheets))
	}
	if sheets[0].rows != MaxSheetRows || sheets[0].last[0] != strconv.Itoa(MaxSheetRows-2) {
		t.Fatalf("sheet 1: %d rows, last %v", sheets[0].rows, sheets[0].last)
	}
	// MaxSheetRows-1 data rows fit beside the header; 2 remain.
	if sheets[1].rows != 3 || sheets[1].first[0] != "n" || sheets[1].last[0] != strconv.Itoa(total-1) {
		t.Fatalf("sheet 2: %+v", sheets[1])
	}
}

// pythonOpens double-checks with Python's standard library (zipfile and
// xml) when python3 is installed: an independent reader of the package.
func pythonOpens(t *testing.T, b []byte) {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Log("python3 not installed; the Go checks above stand alone")
		return
	}
	script := `import sys, io, zipfile, xml.dom.minidom as m
z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))
assert z.testzip() is None
for n in z.namelist(): m.parseString(z.read(n))
print(len(z.namelist()))`
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(b)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "5" {
		t.Fatalf("python3 cannot read the workbook: %v\n%s", err, out)
	}
}
