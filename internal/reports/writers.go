package reports

import (
	"archive/zip"
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// rowWriter writes report rows in one format. close ends the document,
// with the cursor of the next page when there is one (JSON only); it does
// not close the underlying io.Writer.
type rowWriter interface {
	header() error
	row(r *Row) error
	close(next string) error
}

func newRowWriter(f Format, w io.Writer) rowWriter {
	switch f {
	case JSON:
		return &jsonWriter{w: bufio.NewWriterSize(w, 64<<10)}
	case XLSX:
		return &xlsxWriter{w: w}
	default:
		return &csvWriter{bw: bufio.NewWriterSize(w, 64<<10)}
	}
}

// Neutralise makes text taken from user data safe to open in a
// spreadsheet: a cell starting with =, +, -, @ (or their full-width and
// small forms, which spreadsheets may fold to them), a tab or a carriage
// return would be read as a formula (CSV injection), so it gets a leading
// single quote and is read as text. Leading spaces and invisible
// characters (zero-width, bidi marks, a byte-order mark) are looked
// through, since a spreadsheet may drop them.
func Neutralise(s string) string {
	if s == "" {
		return s
	}
	if s[0] == '\t' || s[0] == '\r' {
		return "'" + s
	}
	for _, r := range s {
		switch {
		case strings.ContainsRune(formulaStarts, r):
			return "'" + s
		case unicode.IsSpace(r) || unicode.Is(unicode.Cf, r):
			continue // look through it
		}
		return s
	}
	return s
}

// formulaStarts are the characters that make a spreadsheet cell a
// formula: ASCII, full-width (U+FF1D, U+FF0B, U+FF0D, U+FF20) and small
// (U+FE66, U+FE62, U+FE63, U+FE6B) forms.
const formulaStarts = "=+-@\uff1d\uff0b\uff0d\uff20\ufe66\ufe62\ufe63\ufe6b"

// cellKind says how a cell is written.
type cellKind uint8

const (
	empty  cellKind = iota
	text            // from user data: neutralised in CSV and XLSX
	number          // a whole number
	date            // a time: RFC 3339 text in CSV, a date cell in XLSX
	flag            // true/false: text in CSV, a boolean in XLSX
)

type cell struct {
	kind cellKind
	s    string // the text form, for CSV
	n    int
	t    time.Time
	b    bool
}

func textCell(s string) cell { return cell{kind: text, s: s} }

func optText(s *string) cell {
	if s == nil {
		return cell{}
	}
	return textCell(*s)
}

func numCell(n int) cell { return cell{kind: number, n: n} }

func optNum(n *int) cell {
	if n == nil {
		return cell{}
	}
	return numCell(*n)
}

// timeCell is a time: RFC 3339 UTC text in CSV and JSON, a date cell in
// XLSX. The text starts with a digit, so it needs no neutralising; the CSV
// writer formats it into its line without making a string.
func timeCell(t *time.Time) cell {
	if t == nil {
		return cell{}
	}
	return cell{kind: date, t: t.UTC()}
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func flagCell(b bool) cell { return cell{kind: flag, s: strconv.FormatBool(b), b: b} }

// cells lays r out in Columns order.
func cells(r *Row, out []cell) []cell {
	return append(out[:0],
		optText(r.EmployeeID), textCell(r.Email), textCell(r.Name), textCell(r.Department),
		textCell(r.Module), textCell(r.ModuleTitle), optNum(r.Revision), textCell(r.Status),
		numCell(r.ProgressPercent), optNum(r.BestScore), numCell(r.Attempts),
		timeCell(r.AssignedAt), timeCell(r.DueAt), flagCell(r.Overdue),
		timeCell(r.CompletedAt), optText(r.RecordID), timeCell(r.ExpiresAt), optText(r.Path))
}

// csvWriter writes RFC 4180 CSV with a header row, as encoding/csv does
// (same quoting, "\n" line ends), each row built in one reused line
// buffer: numbers and times are appended, not made into strings.
type csvWriter struct {
	bw    *bufio.Writer
	cells []cell
	line  []byte
}

// UTF8BOM starts the CSV: without it Excel, which HR opens reports in,
// reads the file as a legacy code page and garbles every accented name.
const UTF8BOM = "\ufeff"

func (w *csvWriter) header() error {
	b := append(w.line[:0], UTF8BOM...)
	for i, c := range Columns {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCSVField(b, c)
	}
	w.line = append(b, '\n')
	_, err := w.bw.Write(w.line)
	return err
}

func (w *csvWriter) row(r *Row) error {
	w.cells = cells(r, w.cells)
	w.line = appendCSVRow(w.line[:0], w.cells)
	_, err := w.bw.Write(w.line)
	return err
}

// appendCSVRow appends one CSV line holding cells.
func appendCSVRow(b []byte, cells []cell) []byte {
	for i, c := range cells {
		if i > 0 {
			b = append(b, ',')
		}
		switch c.kind {
		case text:
			b = appendCSVField(b, Neutralise(c.s))
		case number:
			b = strconv.AppendInt(b, int64(c.n), 10)
		case date:
			b = c.t.AppendFormat(b, time.RFC3339)
		default:
			b = appendCSVField(b, c.s)
		}
	}
	return append(b, '\n')
}

// appendCSVField appends s as encoding/csv writes a field: quoted when it
// holds a comma, a quote or a line break, starts with a space, or is \.;
// quotes inside are doubled.
func appendCSVField(b []byte, s string) []byte {
	if !csvNeedsQuotes(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for {
		i := strings.IndexByte(s, '"')
		if i < 0 {
			break
		}
		b = append(b, s[:i+1]...)
		b = append(b, '"')
		s = s[i+1:]
	}
	b = append(b, s...)
	return append(b, '"')
}

func csvNeedsQuotes(s string) bool {
	if s == "" {
		return false
	}
	if s == `\.` || strings.ContainsAny(s, ",\"\r\n") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsSpace(r)
}

func (w *csvWriter) close(string) error {
	return w.bw.Flush()
}

// jsonWriter writes {"items":[...],"next_cursor":"..."} one row at a time. JSON is not opened
// as a spreadsheet, so its text is exactly as stored.
type jsonWriter struct {
	w *bufio.Writer
	n int
}

type jsonRow struct {
	EmployeeID      *string `json:"employee_id"`
	Email           string  `json:"email"`
	Name            string  `json:"name"`
	Department      string  `json:"department"`
	Module          string  `json:"module"`
	ModuleTitle     string  `json:"module_title"`
	Revision        *int    `json:"revision"`
	Status          string  `json:"status"`
	ProgressPercent int     `json:"progress_percent"`
	BestScore       *int    `json:"best_score"`
	Attempts        int     `json:"attempts"`
	AssignedAt      *string `json:"assigned_at"`
	DueAt           *string `json:"due_at"`
	Overdue         bool    `json:"overdue"`
	CompletedAt     *string `json:"completed_at"`
	RecordID        *string `json:"record_id"`
	ExpiresAt       *string `json:"expires_at"`
	Path            *string `json:"path"`
}

func optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatTime(*t)
	return &s
}

func (w *jsonWriter) header() error {
	_, err := w.w.WriteString(`{"items":[`)
	return err
}

func (w *jsonWriter) row(r *Row) error {
	b, err := json.Marshal(jsonRow{EmployeeID: r.EmployeeID, Email: r.Email, Name: r.Name, Department: r.Department,
		Module: r.Module, ModuleTitle: r.ModuleTitle, Revision: r.Revision, Status: r.Status,
		ProgressPercent: r.ProgressPercent, BestScore: r.BestScore, Attempts: r.Attempts,
		AssignedAt: optTime(r.AssignedAt), DueAt: optTime(r.DueAt), Overdue: r.Overdue,
		CompletedAt: optTime(r.CompletedAt), RecordID: r.RecordID, ExpiresAt: optTime(r.ExpiresAt), Path: r.Path})
	if err != nil {
		return err
	}
	if w.n > 0 {
		if err := w.w.WriteByte(','); err != nil {
			return err
		}
	}
	w.n++
	_, err = w.w.Write(b)
	return err
}

func (w *jsonWriter) close(next string) error {
	tail, err := json.Marshal(next)
	if err != nil {
		return err
	}
	if _, err := w.w.WriteString(`],"next_cursor":` + string(tail) + "}\n"); err != nil {
		return err
	}
	return w.w.Flush()
}

// maxSheetRows is how many data rows one worksheet takes: Excel's limit of
// 1,048,576 rows less the header. Longer reports continue on further
// sheets ("Completions 2", ...), each with the header. A variable so tests
// can make it small.
var maxSheetRows = 1_048_575

// xlsxWriter writes a workbook through excelize's StreamWriter, which
// keeps at most 16 MiB of sheet XML in memory and the rest in a temp file;
// the zip is then written straight to w rather than built in memory. So
// memory stays flat, but the first byte goes out after the last row is
// read: a sheet is one zip entry, complete only at the end.
type xlsxWriter struct {
	w     io.Writer
	f     *excelize.File
	sw    *excelize.StreamWriter
	bold  int
	date  int // style of date cells
	sheet int // 1-based number of the current sheet
	next  int // next row number on the sheet
	cells []cell
	vals  []any
}

func sheetName(n int) string {
	if n == 1 {
		return "Completions"
	}
	return fmt.Sprintf("Completions %d", n)
}

func (w *xlsxWriter) header() error {
	w.f = excelize.NewFile()
	if err := w.f.SetSheetName("Sheet1", sheetName(1)); err != nil {
		return err
	}
	var err error
	if w.bold, err = w.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}}); err != nil {
		return err
	}
	dateFormat := "yyyy-mm-dd hh:mm:ss"
	if w.date, err = w.f.NewStyle(&excelize.Style{CustomNumFmt: &dateFormat}); err != nil {
		return err
	}
	return w.startSheet(1)
}

func (w *xlsxWriter) startSheet(n int) error {
	if n > 1 {
		if err := w.sw.Flush(); err != nil {
			return err
		}
		if _, err := w.f.NewSheet(sheetName(n)); err != nil {
			return err
		}
	}
	sw, err := w.f.NewStreamWriter(sheetName(n))
	if err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	head := make([]any, len(Columns))
	for i, c := range Columns {
		head[i] = excelize.Cell{StyleID: w.bold, Value: c}
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	w.sw, w.sheet, w.next = sw, n, 2
	return nil
}

func (w *xlsxWriter) row(r *Row) error {
	if w.next > maxSheetRows+1 {
		if err := w.startSheet(w.sheet + 1); err != nil {
			return err
		}
	}
	w.cells = cells(r, w.cells)
	w.vals = w.vals[:0]
	for _, c := range w.cells {
		switch c.kind {
		case empty:
			w.vals = append(w.vals, nil)
		case text:
			w.vals = append(w.vals, Neutralise(c.s))
		case number:
			w.vals = append(w.vals, c.n)
		case date:
			// A real date (UTC; spreadsheets have no time zone), so it sorts
			// and filters as one.
			w.vals = append(w.vals, excelize.Cell{StyleID: w.date, Value: c.t})
		case flag:
			w.vals = append(w.vals, c.b)
		default:
			w.vals = append(w.vals, c.s)
		}
	}
	ref, err := excelize.CoordinatesToCellName(1, w.next)
	if err != nil {
		return err
	}
	w.next++
	return w.sw.SetRow(ref, w.vals)
}

func (w *xlsxWriter) close(string) error {
	if w.f == nil {
		return nil
	}
	defer w.f.Close() // removes the stream's temp file
	if w.sw == nil {
		return nil
	}
	if err := w.sw.Flush(); err != nil {
		return err
	}
	w.f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(w.w) })
	_, err := w.f.WriteToBuffer() // the buffer stays empty: the zip goes to w
	return err
}
