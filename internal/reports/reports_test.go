package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

func newService(db *store.DB) *Service {
	return New(db, Options{Catalog: testCatalog, Now: func() time.Time { return now }})
}

// export runs the report with raw parameters and returns the output.
func export(t *testing.T, s *Service, p Params) []byte {
	t.Helper()
	q, f, err := s.ParseParams(p)
	if err != nil {
		t.Fatalf("parse %+v: %v", p, err)
	}
	var buf bytes.Buffer
	readied := false
	if _, err := s.ExportCompletions(context.Background(), "hr-1", q, f, &buf, func() { readied = true }); err != nil {
		t.Fatalf("export: %v", err)
	}
	if !readied {
		t.Fatal("ready was not called")
	}
	return buf.Bytes()
}

func readCSV(t *testing.T, b []byte) [][]string {
	t.Helper()
	if !bytes.HasPrefix(b, []byte(UTF8BOM)) {
		t.Fatalf("CSV does not start with a UTF-8 BOM: %q", b[:min(len(b), 20)])
	}
	recs, err := csv.NewReader(bytes.NewReader(b[len(UTF8BOM):])).ReadAll()
	if err != nil {
		t.Fatalf("read CSV: %v\n%s", err, b)
	}
	return recs
}

// column returns one column of a CSV body (header excluded).
func column(t *testing.T, b []byte, name string) []string {
	t.Helper()
	recs := readCSV(t, b)
	i := slices.Index(recs[0], name)
	var out []string
	for _, r := range recs[1:] {
		out = append(out, r[i])
	}
	return out
}

func TestCompletionsCSVEveryColumn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedCompany(t, db)
		got := string(export(t, newService(db), Params{Format: "csv"}))
		if got != wantCSV {
			gl, wl := strings.Split(got, "\n"), strings.Split(wantCSV, "\n")
			for i := range max(len(gl), len(wl)) {
				g, w := "", ""
				if i < len(gl) {
					g = gl[i]
				}
				if i < len(wl) {
					w = wl[i]
				}
				if g != w {
					t.Errorf("line %d\n got: %s\nwant: %s", i+1, g, w)
				}
			}
		}
	})
}

func TestCompletionsFilters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedCompany(t, db)
		s := newService(db)
		cases := []struct {
			params Params
			emails string // of the rows, with the module for people who have two
		}{
			{Params{}, "u1 u2 u5 u6 u8 u3 u3 u4"},
			{Params{Department: "Brand"}, "u1 u2 u5 u6 u8"},
			{Params{Department: "Performance"}, "u3 u3 u4"},
			{Params{Department: "Nobody"}, ""},
			{Params{Module: "privacy"}, "u5 u8 u3"},
			{Params{Module: "ai-basics", Department: "Performance"}, "u3 u4"},
			{Params{Status: "completed"}, "u1"},
			{Params{Status: "in_progress"}, "u2 u6 u8 u3"},
			{Params{Status: "not_started"}, "u3"},
			{Params{Status: "expired"}, "u5 u4"},
			{Params{Status: "overdue"}, "u2 u5"},
			{Params{Status: "completed,overdue"}, "u1 u2 u5"},
			{Params{From: "2026-01-01"}, "u1"},
			{Params{To: "2025-12-31"}, "u5 u4"},
			{Params{From: "2025-03-01", To: "2025-03-01"}, "u4"},
			{Params{From: "2025-01-15T10:00:00Z", To: "2025-01-15T10:00:01Z"}, "u5"},
			{Params{From: "2025-01-15T10:00:01Z", To: "2025-03-01T10:00:00Z"}, ""},
		}
		for _, tc := range cases {
			var got []string
			for _, e := range column(t, export(t, s, tc.params), "email") {
				got = append(got, strings.TrimSuffix(e, "@example.com"))
			}
			if strings.Join(got, " ") != tc.emails {
				t.Errorf("%+v: rows %q, want %q", tc.params, strings.Join(got, " "), tc.emails)
			}
		}
	})
}

func TestCompletionsBadParameters(t *testing.T) {
	s := newService(storetest.SQLite(t))
	cases := []struct {
		params Params
		code   fault.Code
		field  string
	}{
		{Params{Format: "pdf"}, fault.BadRequest, "format"},
		{Params{Status: "done"}, fault.BadRequest, "status"},
		{Params{Status: "completed,later"}, fault.BadRequest, "status"},
		{Params{From: "yesterday"}, fault.BadRequest, "from"},
		{Params{To: "2026-13-01"}, fault.BadRequest, "to"},
		{Params{Module: "no-such-module"}, fault.Invalid, "module"},
		{Params{From: "2026-03-01", To: "2026-02-01"}, fault.Invalid, "to"},
	}
	for _, tc := range cases {
		_, _, err := s.ParseParams(tc.params)
		e := fault.As(err)
		if err == nil || e.Code != tc.code || len(e.Fields) != 1 || e.Fields[0].Field != tc.field {
			t.Errorf("%+v: error %v, want %s naming %s", tc.params, err, tc.code, tc.field)
		}
	}
	if _, err := ParseGroupBy("team"); fault.As(err).Fields[0].Field != "group_by" {
		t.Errorf("group_by=team: %v", err)
	}
	if _, err := ParseGroupBy(""); fault.CodeOf(err) != fault.BadRequest {
		t.Errorf("no group_by: %v", err)
	}
}

func TestCompletionsJSONMatchesCSV(t *testing.T) {
	db := storetest.SQLite(t)
	seedCompany(t, db)
	s := newService(db)
	var doc struct {
		Items []map[string]any `json:"items"`
	}
	body := export(t, s, Params{Format: "json"})
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatalf("JSON: %v\n%s", err, body)
	}
	recs := readCSV(t, []byte(wantCSV))
	if len(doc.Items) != len(recs)-1 {
		t.Fatalf("%d JSON items, want %d", len(doc.Items), len(recs)-1)
	}
	for i, item := range doc.Items {
		if len(item) != len(Columns) {
			t.Errorf("item %d has %d fields, want %d", i, len(item), len(Columns))
		}
		for j, col := range Columns {
			want := recs[i+1][j]
			var got string
			switch v := item[col].(type) {
			case nil:
			case string:
				got = v
			case float64:
				got = strconv.FormatFloat(v, 'f', -1, 64)
			case bool:
				got = map[bool]string{true: "true", false: "false"}[v]
			}
			if got != want {
				t.Errorf("item %d %s = %v, CSV has %q", i, col, item[col], want)
			}
		}
	}
	var empty bytes.Buffer
	q, _, _ := s.ParseParams(Params{Department: "Nobody"})
	if _, err := s.ExportCompletions(context.Background(), "", q, JSON, &empty, nil); err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(empty.String()) != `{"items":[],"next_cursor":""}` {
		t.Errorf("empty JSON report = %q", empty.String())
	}
}

// xlsxRows reads every sheet of a workbook back with excelize, padding
// rows to the full width (GetRows drops trailing empty cells).
func xlsxRows(t *testing.T, b []byte) (sheets []string, rows [][]string) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("open XLSX: %v", err)
	}
	defer f.Close()
	for _, name := range f.GetSheetList() {
		sheets = append(sheets, name)
		rs, err := f.GetRows(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			for len(r) < len(Columns) {
				r = append(r, "")
			}
			rows = append(rows, r)
		}
	}
	return sheets, rows
}

// asXLSXText is the CSV's rows as excelize reads the XLSX's cells back:
// times are date cells shown in the date format, true/false are booleans.
func asXLSXText(t *testing.T, recs [][]string) [][]string {
	t.Helper()
	for _, r := range recs[1:] {
		for i, v := range r {
			if tm, err := time.Parse(time.RFC3339, v); err == nil {
				r[i] = tm.Format("2006-01-02 15:04:05")
			} else if v == "true" || v == "false" {
				r[i] = strings.ToUpper(v)
			}
		}
	}
	return recs
}

// TestCompletionsXLSXDatesAreDates: time columns hold date serial numbers
// with a date format, not text, so a spreadsheet sorts and filters them.
func TestCompletionsXLSXDatesAreDates(t *testing.T) {
	db := storetest.SQLite(t)
	seedCompany(t, db)
	f, err := excelize.OpenReader(bytes.NewReader(export(t, newService(db), Params{Format: "xlsx"})))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	col, _ := excelize.ColumnNumberToName(slices.Index(Columns, "assigned_at") + 1)
	raw, err := f.GetCellValue("Completions", col+"2", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	// 2026-02-01T09:00:00Z is day 46054 after Excel's epoch, at 0.375 of it.
	if v, err := strconv.ParseFloat(raw, 64); err != nil || v != 46054.375 {
		t.Fatalf("assigned_at cell = %q, want the date serial 46054.375", raw)
	}
	style, _ := f.GetCellStyle("Completions", col+"2")
	st, _ := f.GetStyle(style)
	if st == nil || st.CustomNumFmt == nil || !strings.Contains(*st.CustomNumFmt, "yyyy-mm-dd") {
		t.Fatalf("assigned_at style = %+v", st)
	}
}

func TestCompletionsXLSXMatchesCSV(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedCompany(t, db)
		s := newService(db)
		sheets, rows := xlsxRows(t, export(t, s, Params{Format: "xlsx"}))
		if !slices.Equal(sheets, []string{"Completions"}) {
			t.Errorf("sheets = %v", sheets)
		}
		want := asXLSXText(t, readCSV(t, []byte(wantCSV)))
		if len(rows) != len(want) {
			t.Fatalf("%d XLSX rows, want %d", len(rows), len(want))
		}
		for i := range want {
			if !slices.Equal(rows[i], want[i]) {
				t.Errorf("row %d\n xlsx: %q\n  csv: %q", i+1, rows[i], want[i])
			}
		}
	})
}

func TestCompletionsXLSXContinuesOnNewSheets(t *testing.T) {
	db := storetest.SQLite(t)
	seedCompany(t, db)
	defer func(n int) { maxSheetRows = n }(maxSheetRows)
	maxSheetRows = 3
	sheets, rows := xlsxRows(t, export(t, newService(db), Params{Format: "xlsx"}))
	if !slices.Equal(sheets, []string{"Completions", "Completions 2", "Completions 3"}) {
		t.Fatalf("sheets = %v", sheets)
	}
	var data [][]string
	for _, r := range rows {
		if r[0] != "employee_id" {
			data = append(data, r)
		}
	}
	want := asXLSXText(t, readCSV(t, []byte(wantCSV)))[1:]
	if len(rows) != len(want)+3 || !slices.EqualFunc(data, want, slices.Equal) {
		t.Errorf("rows over three sheets:\n%q\nwant (plus a header per sheet):\n%q", rows, want)
	}
}

// dangerous are the first characters that make a spreadsheet read a cell
// as a formula.
var dangerous = []string{"=", "+", "-", "@", "\t", "\r"}

func TestReportsNeutraliseFormulaInjection(t *testing.T) {
	db := storetest.SQLite(t)
	c := company{t, db}
	for i, ch := range dangerous {
		id := "inj" + string(rune('a'+i))
		c.user(id, ch+"cmd|' /C calc'!A0", ch+"HYPERLINK(\"http://evil\")", ch+"42")
		c.assign(id, "ai-basics", now, now.AddDate(0, 1, 0), 0)
	}
	cat := assignments.StaticCatalog{"ai-basics": testCatalog["ai-basics"]}
	info := cat["ai-basics"]
	info.Title = "=SUM(A1:A9)"
	cat["ai-basics"] = info
	s := New(db, Options{Catalog: cat, Now: func() time.Time { return now }})
	csvRows := readCSV(t, export(t, s, Params{Format: "csv"}))[1:]
	_, xlsx := xlsxRows(t, export(t, s, Params{Format: "xlsx"}))
	xlsx = xlsx[1:]
	if len(csvRows) != len(dangerous) || len(xlsx) != len(dangerous) {
		t.Fatalf("%d CSV rows and %d XLSX rows, want %d", len(csvRows), len(xlsx), len(dangerous))
	}
	for _, rows := range map[string][][]string{"csv": csvRows, "xlsx": xlsx} {
		for _, r := range rows {
			for _, col := range []string{"employee_id", "name", "department", "module_title"} {
				v := r[slices.Index(Columns, col)]
				if !strings.HasPrefix(v, "'") || !slices.Contains(dangerous, v[1:2]) {
					t.Errorf("%s is not neutralised: %q", col, v)
				}
			}
		}
	}
	// Safe text is left alone, and JSON keeps the stored text.
	if got := Neutralise("Brand"); got != "Brand" {
		t.Errorf("Neutralise(Brand) = %q", got)
	}
	var doc struct{ Items []struct{ Name string } }
	if err := json.Unmarshal(export(t, s, Params{Format: "json"}), &doc); err != nil {
		t.Fatal(err)
	}
	for _, it := range doc.Items {
		if !slices.Contains(dangerous, it.Name[:1]) {
			t.Errorf("JSON changed a name to %q", it.Name)
		}
	}
}

func TestExportIsAudited(t *testing.T) {
	db := storetest.SQLite(t)
	seedCompany(t, db)
	s := newService(db)
	export(t, s, Params{Format: "xlsx", Department: "Brand", Status: "overdue", From: "2025-01-01"})
	events, _, err := audit.List(context.Background(), db, audit.Filter{Action: audit.ReportExported}, page.Request{Limit: 10})
	if err != nil || len(events) != 1 {
		t.Fatalf("events = %v, %v", events, err)
	}
	e := events[0]
	d := audit.MarshalDetails(e.Details)
	if *e.ActorID != "hr-1" || e.Target != "completions" ||
		d != `{"filters":{"department":"Brand","from":"2025-01-01T00:00:00Z","status":"overdue"},"format":"xlsx","report":"completions","rows":1}` {
		t.Errorf("event = %+v, details %s", e, d)
	}
}

func TestSummaryFigures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedCompany(t, db)
		s := newService(db)
		// Worked out by hand from seedCompany; learning hours are ten
		// minutes per completed lesson plus Gus's half hour of reading.
		want := map[GroupBy][]Group{
			ByDepartment: {
				{Key: "Brand", Assigned: 3, Started: 5, Completed: 1, CompletionRate: 0.2, AverageScore: ptr(90.0), Overdue: 2, LearningHours: 2.17},
				{Key: "Performance", Assigned: 2, Started: 2, Completed: 0, CompletionRate: 0, Overdue: 0, LearningHours: 0.67},
			},
			ByModule: {
				{Key: "ai-basics", Assigned: 4, Started: 4, Completed: 1, CompletionRate: 0.2, AverageScore: ptr(90.0), Overdue: 1, LearningHours: 1.67},
				{Key: "privacy", Assigned: 1, Started: 3, Completed: 0, CompletionRate: 0, Overdue: 1, LearningHours: 1.17},
			},
		}
		for by, groups := range want {
			got, err := s.Summary(context.Background(), "hr-1", by)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(groups) {
				t.Fatalf("%s: %+v", by, got)
			}
			for i, g := range groups {
				if !sameGroup(got[i], g) {
					t.Errorf("%s group %d = %s, want %s", by, i, show(got[i]), show(g))
				}
			}
		}
	})
}

func sameGroup(a, b Group) bool {
	if (a.AverageScore == nil) != (b.AverageScore == nil) || (a.AverageScore != nil && *a.AverageScore != *b.AverageScore) {
		return false
	}
	a.AverageScore, b.AverageScore = nil, nil
	return a == b
}

func show(g Group) string {
	b, _ := json.Marshal(g)
	return string(b)
}

// TestCompletionsJSONPages: limit and cursor page the JSON report in
// report order; the pages together are the whole report.
func TestCompletionsJSONPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedCompany(t, db)
		s := newService(db)
		var got []string
		cursor := ""
		for range 10 {
			var doc struct {
				Items      []struct{ Email, Module string }
				NextCursor string `json:"next_cursor"`
			}
			if err := json.Unmarshal(export(t, s, Params{Format: "json", Limit: "3", Cursor: cursor}), &doc); err != nil {
				t.Fatal(err)
			}
			for _, it := range doc.Items {
				got = append(got, strings.TrimSuffix(it.Email, "@example.com")+"/"+it.Module)
			}
			if cursor = doc.NextCursor; cursor == "" {
				break
			}
		}
		want := "u1/ai-basics u2/ai-basics u5/privacy u6/ai-basics u8/privacy u3/ai-basics u3/privacy u4/ai-basics"
		if strings.Join(got, " ") != want {
			t.Fatalf("pages = %q, want %q", strings.Join(got, " "), want)
		}
		for _, p := range []Params{{Format: "csv", Limit: "3"}, {Format: "json", Cursor: "bm9wZQ"}} {
			if _, _, err := s.ParseParams(p); fault.CodeOf(err) != fault.BadRequest {
				t.Errorf("%+v: %v", p, err)
			}
		}
	})
}

// TestReportsWithManyLessons: the query binds the catalog as JSON, so a
// module of 40,000 lessons (more than SQLite's 32,766 bound values) works.
func TestReportsWithManyLessons(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		seedCompany(t, db)
		cat := assignments.StaticCatalog{}
		for slug, info := range testCatalog {
			cat[slug] = info
		}
		info := cat["privacy"]
		info.Lessons = append([]string{}, info.Lessons...)
		for i := range 40_000 {
			info.Lessons = append(info.Lessons, "extra-"+strconv.Itoa(i))
		}
		cat["privacy"] = info
		s := New(db, Options{Catalog: cat, Now: func() time.Time { return now }})
		if rows := readCSV(t, export(t, s, Params{})); len(rows) != 9 {
			t.Fatalf("%d rows", len(rows))
		}
		if _, err := s.Summary(context.Background(), "hr-1", ByModule); err != nil {
			t.Fatal(err)
		}
	})
}

// TestNeutraliseLooksThroughLookalikes: full-width and small forms of the
// formula characters, and invisible or blank characters before them, are
// neutralised too; ordinary text is not.
func TestNeutraliseLooksThroughLookalikes(t *testing.T) {
	for in, want := range map[string]bool{
		"＝HYPERLINK(\"http://evil\")": true, "＋1": true, "－1": true, "＠SUM(A1)": true, "﹦1+1": true,
		"\u200b=2+2": true, "\ufeff@x": true, "\u202e=1": true, "\u00a0=1": true, " \u2060+1": true,
		"Brand": false, "Zoë Müller": false, "\u200bBrand": false, "a=b": false, "": false,
	} {
		if got := Neutralise(in) != in; got != want {
			t.Errorf("Neutralise(%q) = %q", in, Neutralise(in))
		}
	}
}

// TestReportOrderUsesItsIndex: SQLite walks users in users_report_order,
// sorting only the modules of one user, rather than sorting the report.
func TestReportOrderUsesItsIndex(t *testing.T) {
	db := storetest.SQLite(t)
	seedCompany(t, db)
	p, _ := newService(db).buildPlan(Query{}, false)
	rows, err := db.R.Raw("EXPLAIN QUERY PLAN "+p.sql, p.args...).Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	all := strings.Join(plan, "\n")
	if !strings.Contains(all, "SCAN u USING INDEX users_report_order") || strings.Contains(all, "TEMP B-TREE FOR ORDER BY") {
		t.Fatalf("plan:\n%s", all)
	}
}
