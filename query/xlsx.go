package query

import (
	"archive/zip"
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"time"
)

// MaxSheetRows is Excel's row limit per worksheet; a longer result goes on
// to the next sheet, each starting with the header row.
const MaxSheetRows = 1_048_576

// xlsxWriter writes an Office Open XML workbook straight into a zip
// stream, one row at a time: nothing but the current row is held, however
// long the result. (excelize's StreamWriter was the plan, but the version of
// its formula-parser dependency it pins is not served by this workplace's
// module proxy; the format needed for plain data is small.)
type xlsxWriter struct {
	zw       *zip.Writer
	bw       *bufio.Writer
	header   []string
	sheets   int
	rowsIn   int // rows in the current sheet, header included
	maxRows  int
	cellBuf  []byte
	rowCount int64
}

func newXLSXWriter(w io.Writer, header []string, maxRows int) *xlsxWriter {
	return &xlsxWriter{zw: zip.NewWriter(w), header: header, maxRows: maxRows}
}

func (x *xlsxWriter) startSheet() error {
	if x.sheets > 0 {
		if err := x.endSheet(); err != nil {
			return err
		}
	}
	x.sheets++
	f, err := x.zw.Create(fmt.Sprintf("xl/worksheets/sheet%d.xml", x.sheets))
	if err != nil {
		return err
	}
	x.bw = bufio.NewWriterSize(f, 64<<10)
	x.bw.WriteString(xml.Header + `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`)
	x.rowsIn = 0
	hdr := make([]any, len(x.header))
	for i, h := range x.header {
		hdr[i] = h
	}
	return x.writeRow(hdr)
}

func (x *xlsxWriter) endSheet() error {
	x.bw.WriteString(`</sheetData></worksheet>`)
	return x.bw.Flush()
}

// add writes one data row, opening a new sheet when the current one is full.
func (x *xlsxWriter) add(vals []any) error {
	if x.sheets == 0 || x.rowsIn == x.maxRows {
		if err := x.startSheet(); err != nil {
			return err
		}
	}
	x.rowCount++
	return x.writeRow(vals)
}

func (x *xlsxWriter) writeRow(vals []any) error {
	x.rowsIn++
	b := x.cellBuf[:0]
	b = append(b, `<row r="`...)
	b = strconv.AppendInt(b, int64(x.rowsIn), 10)
	b = append(b, `">`...)
	for _, v := range vals {
		b = appendCell(b, v)
	}
	b = append(b, `</row>`...)
	x.cellBuf = b
	_, err := x.bw.Write(b)
	return err
}

func appendCell(b []byte, v any) []byte {
	switch n := v.(type) {
	case nil:
		return append(b, `<c/>`...)
	case int64:
		b = strconv.AppendInt(append(b, `<c><v>`...), n, 10)
		return append(b, `</v></c>`...)
	case float64:
		b = strconv.AppendFloat(append(b, `<c><v>`...), n, 'g', -1, 64)
		return append(b, `</v></c>`...)
	case bool:
		if n {
			return append(b, `<c t="b"><v>1</v></c>`...)
		}
		return append(b, `<c t="b"><v>0</v></c>`...)
	}
	b = append(b, `<c t="inlineStr"><is><t xml:space="preserve">`...)
	b = appendEscaped(b, textValue(v))
	return append(b, `</t></is></c>`...)
}

// appendEscaped escapes XML text, dropping characters XML cannot carry.
func appendEscaped(b []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r == '<':
			b = append(b, "&lt;"...)
		case r == '>':
			b = append(b, "&gt;"...)
		case r == '&':
			b = append(b, "&amp;"...)
		case r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r != 0xFFFE && r != 0xFFFF:
			b = append(b, string(r)...)
		}
	}
	return b
}

// textValue renders a value as text: NULL is empty, dates without a time
// as dates.
func textValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format("2006-01-02 15:04:05.999999")
	}
	return fmt.Sprint(jsonValue(v))
}

// close finishes the last sheet and writes the workbook parts.
func (x *xlsxWriter) close() error {
	if x.sheets == 0 {
		if err := x.startSheet(); err != nil {
			return err
		}
	}
	if err := x.endSheet(); err != nil {
		return err
	}
	var sheets, rels, types []byte
	for i := 1; i <= x.sheets; i++ {
		sheets = fmt.Appendf(sheets, `<sheet name="Sheet%d" sheetId="%d" r:id="rId%d"/>`, i, i, i)
		rels = fmt.Appendf(rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, i, i)
		types = fmt.Appendf(types, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, i)
	}
	parts := []struct{ name, body string }{
		{"xl/workbook.xml", xml.Header + `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>` + string(sheets) + `</sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` + string(rels) + `</Relationships>`},
		{"_rels/.rels", xml.Header + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"[Content_Types].xml", xml.Header + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` + string(types) + `</Types>`},
	}
	for _, p := range parts {
		f, err := x.zw.Create(p.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(f, p.body); err != nil {
			return err
		}
	}
	return x.zw.Close()
}
