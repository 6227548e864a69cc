package reports

import (
	"archive/zip"
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/xuri/excelize/v2"
)

// TableWriter writes any report that is a list of rows with fixed columns
// in the three report formats, with the completions report's rules: CSV
// starts with a byte-order mark and neutralises text that a spreadsheet
// would read as a formula, XLSX has real dates and booleans, JSON is
// {"items":[{column: value, …}],"next_cursor":""} with text as stored.
//
// Row values may be string (user text), int, *int, time.Time, *time.Time,
// bool, *string or nil.
type TableWriter struct {
	format  Format
	columns []string
	sheet   string
	bw      *bufio.Writer
	cw      *csv.Writer
	w       io.Writer
	n       int
	f       *excelize.File
	sw      *excelize.StreamWriter
	dateSty int
	next    int
}

// NewTableWriter starts a table of columns on w; sheet names the XLSX
// worksheet.
func NewTableWriter(f Format, w io.Writer, sheet string, columns []string) (*TableWriter, error) {
	t := &TableWriter{format: f, columns: columns, sheet: sheet, w: w}
	switch f {
	case JSON:
		t.bw = bufio.NewWriterSize(w, 64<<10)
		_, err := t.bw.WriteString(`{"items":[`)
		return t, err
	case XLSX:
		t.f = excelize.NewFile()
		if err := t.f.SetSheetName("Sheet1", sheet); err != nil {
			return nil, err
		}
		bold, err := t.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
		if err != nil {
			return nil, err
		}
		dateFormat := "yyyy-mm-dd hh:mm:ss"
		if t.dateSty, err = t.f.NewStyle(&excelize.Style{CustomNumFmt: &dateFormat}); err != nil {
			return nil, err
		}
		if t.sw, err = t.f.NewStreamWriter(sheet); err != nil {
			return nil, err
		}
		head := make([]any, len(columns))
		for i, c := range columns {
			head[i] = excelize.Cell{StyleID: bold, Value: c}
		}
		t.next = 2
		return t, t.sw.SetRow("A1", head)
	default:
		t.bw = bufio.NewWriterSize(w, 64<<10)
		t.cw = csv.NewWriter(t.bw)
		if _, err := t.bw.WriteString(UTF8BOM); err != nil {
			return nil, err
		}
		return t, t.cw.Write(columns)
	}
}

// normal turns pointers into their values (nil stays nil).
func normal(v any) any {
	switch x := v.(type) {
	case *string:
		if x == nil {
			return nil
		}
		return *x
	case *int:
		if x == nil {
			return nil
		}
		return *x
	case *time.Time:
		if x == nil {
			return nil
		}
		return x.UTC()
	case time.Time:
		return x.UTC()
	}
	return v
}

// Row writes one row; values are in column order.
func (t *TableWriter) Row(values ...any) error {
	if len(values) != len(t.columns) {
		return fmt.Errorf("reports: row of %d values for %d columns", len(values), len(t.columns))
	}
	switch t.format {
	case JSON:
		b := []byte{'{'}
		for i, v := range values {
			if i > 0 {
				b = append(b, ',')
			}
			k, _ := json.Marshal(t.columns[i])
			b = append(b, k...)
			b = append(b, ':')
			v = normal(v)
			if tm, ok := v.(time.Time); ok {
				v = formatTime(tm)
			}
			val, err := json.Marshal(v)
			if err != nil {
				return err
			}
			b = append(b, val...)
		}
		b = append(b, '}')
		if t.n > 0 {
			if err := t.bw.WriteByte(','); err != nil {
				return err
			}
		}
		t.n++
		_, err := t.bw.Write(b)
		return err
	case XLSX:
		vals := make([]any, len(values))
		for i, v := range values {
			switch x := normal(v).(type) {
			case string:
				vals[i] = Neutralise(x)
			case time.Time:
				vals[i] = excelize.Cell{StyleID: t.dateSty, Value: x}
			default:
				vals[i] = x
			}
		}
		ref, err := excelize.CoordinatesToCellName(1, t.next)
		if err != nil {
			return err
		}
		t.next++
		return t.sw.SetRow(ref, vals)
	default:
		rec := make([]string, len(values))
		for i, v := range values {
			switch x := normal(v).(type) {
			case nil:
			case string:
				rec[i] = Neutralise(x)
			case int:
				rec[i] = strconv.Itoa(x)
			case bool:
				rec[i] = strconv.FormatBool(x)
			case time.Time:
				rec[i] = formatTime(x)
			default:
				rec[i] = fmt.Sprint(x)
			}
		}
		return t.cw.Write(rec)
	}
}

// Close ends the document (it does not close the underlying writer).
func (t *TableWriter) Close() error {
	switch t.format {
	case JSON:
		if _, err := t.bw.WriteString("],\"next_cursor\":\"\"}\n"); err != nil {
			return err
		}
		return t.bw.Flush()
	case XLSX:
		defer t.f.Close()
		if err := t.sw.Flush(); err != nil {
			return err
		}
		t.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(t.w) })
		_, err := t.f.WriteToBuffer()
		return err
	default:
		t.cw.Flush()
		if err := t.cw.Error(); err != nil {
			return err
		}
		return t.bw.Flush()
	}
}
