package reports

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/upskill/upskill/internal/audit"
)

// ExportCompletions writes the completions report for q in format f to w,
// row by row as the query yields them, and audits the export with its
// filters and row count (actor is empty for the command line). ready, when
// not nil, is called once the query has started and before the first byte
// is written: an error returned before it can still become a proper
// answer; one after it can only be logged. The audit event is written even
// when the export fails part-way (with "complete": false).
func (s *Service) ExportCompletions(ctx context.Context, actor string, q Query, f Format, w io.Writer, ready func()) (int, error) {
	src, err := s.open(ctx, q, false)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	if ready != nil {
		ready()
	}
	n, err := copyRows(src, newRowWriter(f, w), q.Limit)
	details := map[string]any{"report": "completions", "format": string(f), "filters": q.Filters(), "rows": n}
	if err != nil {
		details["complete"] = false
	}
	// Audit even when the client went away: the rows already sent count.
	aerr := audit.Record(context.WithoutCancel(ctx), s.db.W, actor, audit.ReportExported, "completions", details)
	return n, errors.Join(err, aerr)
}

// copyRows writes every row of src to w, or the first limit when limit is
// above zero, and returns how many it wrote.
func copyRows(src *source, w rowWriter, limit int) (int, error) {
	if err := w.header(); err != nil {
		_ = w.close("")
		return 0, fmt.Errorf("write the report header: %w", err)
	}
	n, next := 0, ""
	var last Position
	for {
		row, ok, err := src.Next()
		if err != nil {
			_ = w.close("")
			return n, err
		}
		if !ok {
			break
		}
		if limit > 0 && n == limit {
			next = last.Cursor() // there is more: the next page starts after the last row
			break
		}
		if err := w.row(&row); err != nil {
			_ = w.close("")
			return n, fmt.Errorf("write report row %d: %w", n+1, err)
		}
		last = row.Pos
		n++
	}
	if err := w.close(next); err != nil {
		return n, fmt.Errorf("finish the report: %w", err)
	}
	return n, nil
}
