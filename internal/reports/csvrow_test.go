package reports

import (
	"bytes"
	"encoding/csv"
	"testing"
	"time"
)

// The CSV line writer writes what encoding/csv writes, for every kind of
// awkward text.
func TestCSVRowMatchesEncodingCSV(t *testing.T) {
	awkward := []string{"", "plain", "a,b", `say "hi"`, "two\nlines", "cr\rhere", " leading space", "\u00a0nbsp", `\.`,
		"=1+1", "Zoë Ångström", `"`, ",", "\t", "tail space ", "x\"y\"z"}
	for _, s := range awkward {
		cells := []cell{textCell(s), numCell(-42), {}, timeCell(&time.Time{}), flagCell(true), textCell(s + s)}
		var want bytes.Buffer
		cw := csv.NewWriter(&want)
		rec := []string{Neutralise(s), "-42", "", formatTime(time.Time{}), "true", Neutralise(s + s)}
		if err := cw.Write(rec); err != nil {
			t.Fatal(err)
		}
		cw.Flush()
		if got := appendCSVRow(nil, cells); string(got) != want.String() {
			t.Errorf("%q: got %q, want %q", s, got, want.String())
		}
	}
}

// BenchmarkCSVRow is the encoding of one completions report row.
func BenchmarkCSVRow(b *testing.B) {
	emp, rec := "E-1042", "0b9e5a52-7a0c-4d8e-bb53-6c1f3f2a9d10"
	rev, best := 3, 85
	at := time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)
	row := &Row{EmployeeID: &emp, Email: "zoe@example.com", Name: "Zoë Ångström", Department: "Marketing",
		Module: "ai-in-marketing", ModuleTitle: "What AI Does in Marketing", Revision: &rev, Status: "completed",
		ProgressPercent: 100, BestScore: &best, Attempts: 2, AssignedAt: &at, DueAt: &at, CompletedAt: &at, RecordID: &rec, ExpiresAt: &at}
	var w csvWriter
	b.ReportAllocs()
	for b.Loop() {
		w.cells = cells(row, w.cells)
		w.line = appendCSVRow(w.line[:0], w.cells)
	}
}
