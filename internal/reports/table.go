package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"
)

// WriteTable writes a small aggregate table (the readiness and adoption
// reports: a row per group, never per person) as CSV or XLSX, like the
// completions report: a header row, text neutralised against formulas.
// Cells are string, int, float64, *float64 (nil: empty), bool or nil.
func WriteTable(w io.Writer, f Format, sheet string, head []string, rows [][]any) error {
	if f == XLSX {
		return writeXLSXTable(w, sheet, head, rows)
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(head); err != nil {
		return err
	}
	rec := make([]string, len(head))
	for _, r := range rows {
		for i, v := range r {
			rec[i] = csvCell(v)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return Neutralise(x)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case *float64:
		if x == nil {
			return ""
		}
		return strconv.FormatFloat(*x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	default:
		return Neutralise(fmt.Sprint(x))
	}
}

func writeXLSXTable(w io.Writer, sheet string, head []string, rows [][]any) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	hv := make([]any, len(head))
	for i, h := range head {
		hv[i] = excelize.Cell{StyleID: bold, Value: h}
	}
	if err := sw.SetRow("A1", hv); err != nil {
		return err
	}
	vals := make([]any, len(head))
	for n, r := range rows {
		for i, v := range r {
			switch x := v.(type) {
			case string:
				vals[i] = Neutralise(x)
			case *float64:
				if x == nil {
					vals[i] = nil
				} else {
					vals[i] = *x
				}
			default:
				vals[i] = x
			}
		}
		ref, err := excelize.CoordinatesToCellName(1, n+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(ref, vals); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	return f.Write(w)
}
