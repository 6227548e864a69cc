package identity

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"github.com/upskill/upskill/internal/fault"
)

// Bounds of one CSV import, checked as the bytes arrive and before
// encoding/csv builds a record, so that no file can make the reader
// allocate more than a few times its own size.
const (
	MaxImportBytes     = 32 << 20 // the whole file
	MaxImportColumns   = 200      // fields in the header or any line
	MaxImportLineBytes = 64 << 10 // one record (a line, or several when a quoted field holds line breaks)
	MaxImportProblems  = 1000     // problems listed; the rest are only counted
)

// decodeImport turns the file into UTF-8 the way spreadsheet programs
// write it: a byte-order mark decides (UTF-8, or UTF-16 little or big
// endian, which Excel's "Unicode text" writes); without one the file is
// UTF-8 when it is valid UTF-8 and otherwise, as a whole, Windows-1252
// (Excel's plain "CSV" on Windows). It reads at most MaxImportBytes.
func decodeImport(r io.Reader) (io.Reader, string, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxImportBytes+1))
	if err != nil {
		var fe *fault.Error
		if errors.As(err, &fe) {
			return nil, "", fe
		}
		return nil, "", fault.New(fault.BadRequest, "could not read the file: %v", err)
	}
	if len(data) > MaxImportBytes {
		return nil, "", fault.New(fault.TooLarge, "the file is larger than %d MiB; split it", MaxImportBytes>>20)
	}
	switch {
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		return bytes.NewReader(data[3:]), "utf-8", nil
	case bytes.HasPrefix(data, []byte("\xff\xfe")):
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Reader(bytes.NewReader(data)), "utf-16le", nil
	case bytes.HasPrefix(data, []byte("\xfe\xff")):
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder().Reader(bytes.NewReader(data)), "utf-16be", nil
	case utf8.Valid(data):
		return bytes.NewReader(data), "utf-8", nil
	default:
		return charmap.Windows1252.NewDecoder().Reader(bytes.NewReader(data)), "windows-1252", nil
	}
}

// separators are the field separators an import may use, in the order a
// tie is broken: Excel writes ";" where the decimal mark is a comma, and
// HR systems often export tab-separated text.
var separators = []rune{',', ';', '\t'}

// importReader reads the header line on its own, within the bounds,
// detects the separator from it, and returns a csv.Reader over the rest
// of the input guarded by a recordLimiter.
func importReader(decoded io.Reader) (*csv.Reader, *recordLimiter, error) {
	br := bufio.NewReaderSize(decoded, MaxImportLineBytes+1)
	head, err := br.Peek(MaxImportLineBytes + 1)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	line := head
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		line = head[:i]
	} else if len(head) > MaxImportLineBytes {
		return nil, nil, &limitError{line: 1, msg: fmt.Sprintf("the header is longer than %d bytes", MaxImportLineBytes)}
	}
	sep := detectSeparator(string(bytes.TrimSuffix(line, []byte("\r"))))
	lim := newRecordLimiter(br, byte(sep))
	cr := csv.NewReader(lim)
	cr.Comma = sep
	cr.FieldsPerRecord = 0 // every line must match the header
	return cr, lim, nil
}

// detectSeparator picks the separator under which the header names the
// most known columns; a comma when none does.
func detectSeparator(header string) rune {
	best, bestN := ',', 0
	for _, sep := range separators {
		cr := csv.NewReader(strings.NewReader(header))
		cr.Comma = sep
		names, err := cr.Read()
		if err != nil {
			continue
		}
		n := 0
		for _, h := range names {
			if isImportColumn(normaliseColumn(h)) {
				n++
			}
		}
		if n > bestN {
			best, bestN = sep, n
		}
	}
	return best
}

// limitError is a record over the bounds; line is where it starts.
type limitError struct {
	line int
	msg  string
}

func (e *limitError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// recordLimiter passes CSV text through and fails as soon as one record is
// longer than MaxImportLineBytes or has more than MaxImportColumns fields.
// It follows quoting as encoding/csv does, so a quoted field may hold the
// separator or line breaks. Bytes before the offending record are passed
// on first, so every earlier line is still read and checked.
type recordLimiter struct {
	r   io.Reader
	sep byte
	err error

	line, start       int // physical line now, and where the record began
	size, fields      int
	inQuote, maybeEnd bool // maybeEnd: a quote seen inside quotes, which "" escapes
	fieldStart        bool
}

func newRecordLimiter(r io.Reader, sep byte) *recordLimiter {
	return &recordLimiter{r: r, sep: sep, line: 1, start: 1, fields: 1, fieldStart: true}
}

func (l *recordLimiter) Read(p []byte) (int, error) {
	if l.err != nil {
		return 0, l.err
	}
	n, err := l.r.Read(p)
	for i := range n {
		if msg := l.step(p[i]); msg != "" {
			l.err = &limitError{line: l.start, msg: msg}
			if i == 0 {
				return 0, l.err
			}
			return i, nil
		}
	}
	return n, err
}

// step follows one byte and says what bound it breaks, if any.
func (l *recordLimiter) step(c byte) string {
	l.size++
	if l.maybeEnd {
		l.maybeEnd = false
		if c == '"' {
			return l.checkSize() // an escaped quote: still inside
		}
		l.inQuote = false
	}
	switch {
	case l.inQuote:
		switch c {
		case '"':
			l.maybeEnd = true
		case '\n':
			l.line++
		}
	case c == '"' && l.fieldStart:
		l.inQuote, l.fieldStart = true, false
	case c == l.sep:
		l.fields++
		l.fieldStart = true
		if l.fields > MaxImportColumns {
			return fmt.Sprintf("has more than %d fields; an import has at most %d columns", MaxImportColumns, MaxImportColumns)
		}
	case c == '\n':
		l.line++
		l.start, l.size, l.fields, l.fieldStart = l.line, 0, 1, true
	default:
		l.fieldStart = false
	}
	return l.checkSize()
}

func (l *recordLimiter) checkSize() string {
	if l.size > MaxImportLineBytes {
		return fmt.Sprintf("is longer than %d bytes", MaxImportLineBytes)
	}
	return ""
}

// problems collects an import's problems: the first MaxImportProblems are
// kept, the rest counted.
type problems struct {
	list  []fault.FieldError
	total int
}

func (p *problems) add(e ...fault.FieldError) {
	for _, fe := range e {
		p.total++
		if len(p.list) < MaxImportProblems {
			p.list = append(p.list, fe)
		}
	}
}

func (p *problems) addf(line int, format string, args ...any) { p.add(lineErr(line, format, args...)) }

// failure is the answer for a file with problems.
func (p *problems) failure() error {
	msg := "the file has 1 problem; nothing was imported"
	if p.total > 1 {
		msg = fmt.Sprintf("the file has %d problems; nothing was imported", p.total)
	}
	if p.total > len(p.list) {
		msg += fmt.Sprintf(" (the first %d are listed)", len(p.list))
	}
	return &fault.Error{Code: fault.Invalid, Message: msg, Fields: p.list,
		Ext: map[string]any{"problem_count": p.total}}
}
