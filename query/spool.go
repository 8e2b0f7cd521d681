package query

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/kilnhq/kiln/engine"
)

// A spool is a query result kept in a file under the data directory: the
// first line holds the columns, each further line one row as a JSON array.
// Pages are read back from the file, so a result never sits in memory and
// survives a restart of the server.

// indexEvery is how many rows lie between two remembered file offsets.
const indexEvery = 256

type spoolWriter struct {
	f     *os.File
	bw    *bufio.Writer
	enc   *json.Encoder
	off   int64
	rows  int64
	index []int64 // offset of row i*indexEvery
	out   []any
}

func createSpool(path string, cols []engine.Column) (*spoolWriter, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	w := &spoolWriter{f: f, bw: bufio.NewWriterSize(f, 64<<10), out: make([]any, len(cols))}
	w.enc = json.NewEncoder(w)
	if err := w.enc.Encode(cols); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

func (w *spoolWriter) Write(b []byte) (int, error) {
	n, err := w.bw.Write(b)
	w.off += int64(n)
	return n, err
}

func (w *spoolWriter) add(vals []any) error {
	if w.rows%indexEvery == 0 {
		w.index = append(w.index, w.off)
	}
	for i, v := range vals {
		w.out[i] = jsonValue(v)
	}
	w.rows++
	return w.enc.Encode(w.out)
}

func (w *spoolWriter) close() error {
	err := w.bw.Flush()
	return errors.Join(err, w.f.Close())
}

// Page is one page of a finished query's result.
type Page struct {
	Columns  []engine.Column   `json:"columns"`
	Rows     []json.RawMessage `json:"rows"` // each a JSON array
	Page     int               `json:"page"`
	PageSize int               `json:"page_size"`
	Total    int64             `json:"total"`
}

// readPage reads rows [from, from+n) of a spool, seeking to the nearest
// remembered offset when index is known.
func readPage(path string, index []int64, from, n int64) ([]engine.Column, []json.RawMessage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("the result of this query is no longer kept: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	header, err := br.ReadBytes('\n')
	if err != nil {
		return nil, nil, fmt.Errorf("spool: %w", err)
	}
	var cols []engine.Column
	if err := json.Unmarshal(header, &cols); err != nil {
		return nil, nil, fmt.Errorf("spool: %w", err)
	}
	skip := from
	if k := from / indexEvery; index != nil && k < int64(len(index)) {
		if _, err := f.Seek(index[k], io.SeekStart); err != nil {
			return nil, nil, err
		}
		br.Reset(f)
		skip = from - k*indexEvery
	}
	out := []json.RawMessage{}
	for i := int64(0); int64(len(out)) < n; i++ {
		line, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		if i >= skip {
			out = append(out, json.RawMessage(line[:len(line)-1]))
		}
	}
	return cols, out, nil
}

// jsonValue turns a driver value into something encoding/json writes well.
func jsonValue(v any) any {
	switch x := v.(type) {
	case []byte:
		return string(x)
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case fmt.Stringer:
		return x.String()
	}
	return v
}
