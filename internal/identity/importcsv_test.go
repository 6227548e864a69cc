package identity

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store/storetest"
)

// FuzzParseImport: no input makes the CSV reader panic, and every error
// names a line.
func FuzzParseImport(f *testing.F) {
	f.Add([]byte("email,name,department,employee_id\na@b.co,A,D,1\n"))
	f.Add([]byte("\ufeffemail,name,department,employee_id,roles\r\n\"x\"\"y\"@b.co,\"A, B\",D,,admin;learner\r\n"))
	f.Add([]byte("email,name\n\"unterminated\n"))
	f.Add([]byte(""))
	f.Add([]byte("email;name;department;employee_id\na@b.co;Zo\xeb;D;1\n"))
	f.Add([]byte("\xff\xfee\x00,\x00\n\x00"))
	f.Add([]byte("email,name,department,employee_id\n\"a\n\",\"\"\"\n\",x,y\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		parsed, probs, err := parseImport(bytes.NewReader(data), true)
		if err != nil {
			t.Fatal(err)
		}
		rows := parsed.rows
		for _, e := range probs.list {
			if e.Message == "" {
				t.Fatalf("error without message: %+v", e)
			}
		}
		for _, r := range rows {
			if r.line < 2 {
				t.Fatalf("row on line %d", r.line)
			}
		}
	})
}

func importFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("email,name,department,employee_id\n")
	for i := range n {
		fmt.Fprintf(&b, "person%d@example.com,Person %d,Department %d,EMP%07d\n", i, i, i%40, i)
	}
	return b.Bytes()
}

// BenchmarkImport100k imports 100,000 new users in one transaction, then
// the same file again (all unchanged). Reported: seconds per import.
func BenchmarkImport100k(b *testing.B) {
	file := importFile(100_000)
	admin := Principal{UserID: "bench", Roles: Roles{RoleAdmin}}
	for b.Loop() {
		b.StopTimer()
		db := storetest.SQLite(b)
		s := New(db, Options{Tokens: &TokenIssuer{}})
		b.StartTimer()
		res, err := s.ImportCSV(context.Background(), admin, bytes.NewReader(file))
		if err != nil || res.Created != 100_000 {
			b.Fatalf("import: %+v %v", res, err)
		}
		res, err = s.ImportCSV(context.Background(), admin, bytes.NewReader(file))
		if err != nil || res.Unchanged != 100_000 {
			b.Fatalf("re-import: %+v %v", res, err)
		}
	}
}

// TestImportBoundsBeforeAllocating: a header of millions of columns and a
// line of millions of empty fields are refused on their line, having read
// at most one bounded record; the problems listed stay capped.
func TestImportBoundsBeforeAllocating(t *testing.T) {
	wideHeader := append([]byte("email,name,department,employee_id,"), bytes.Repeat([]byte("x,"), 4<<20)...)
	manyFields := append([]byte("email,name,department,employee_id\na@example.com,A,D,1\n"), bytes.Repeat([]byte(","), 8<<20)...)
	multiLine := append([]byte("email,name,department,employee_id\n"), bytes.Repeat([]byte("\"\n\","), 1<<20)...)
	for name, tc := range map[string]struct {
		data []byte
		line int
		want string
	}{
		"header of 4M columns":          {wideHeader, 1, "header is longer than"},
		"line of 8M empty fields":       {manyFields, 3, "more than 200 fields"},
		"quoted line breaks, 1M fields": {multiLine, 2, "more than 200 fields"},
	} {
		t.Run(name, func(t *testing.T) {
			_, probs, err := parseImport(bytes.NewReader(tc.data), true)
			if err != nil {
				t.Fatal(err)
			}
			if probs.total != 1 || probs.list[0].Line != tc.line || !strings.Contains(probs.list[0].Message, tc.want) {
				t.Fatalf("problems = %d %+v", probs.total, probs.list)
			}
		})
	}
}

func TestImportProblemsAreCapped(t *testing.T) {
	var b bytes.Buffer
	b.WriteString("email,name,department,employee_id\n")
	for i := range 5000 {
		fmt.Fprintf(&b, "not-an-email-%d,A,D,\n", i)
	}
	_, probs, err := parseImport(&b, true)
	if err != nil {
		t.Fatal(err)
	}
	if probs.total != 5000 || len(probs.list) != MaxImportProblems {
		t.Fatalf("total %d, listed %d", probs.total, len(probs.list))
	}
	if msg := fault.As(probs.failure()).Message; !strings.Contains(msg, "5000 problems") || !strings.Contains(msg, "first 1000") {
		t.Fatalf("message %q", msg)
	}
}

func TestImportTooLarge(t *testing.T) {
	_, _, err := parseImport(io.LimitReader(zeros{}, MaxImportBytes+10), true)
	if !fault.Is(err, fault.TooLarge) {
		t.Fatalf("err = %v", err)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'a'
	}
	return len(p), nil
}

// TestImportEncodingsAndSeparators reads the files spreadsheet programs
// and HR systems write.
func TestImportEncodingsAndSeparators(t *testing.T) {
	utf16 := func(big bool, s string) []byte {
		var out []byte
		if big {
			out = []byte{0xfe, 0xff}
		} else {
			out = []byte{0xff, 0xfe}
		}
		for _, r := range s { // BMP only here
			if big {
				out = append(out, byte(r>>8), byte(r))
			} else {
				out = append(out, byte(r), byte(r>>8))
			}
		}
		return out
	}
	const text = "Email\tName\tDepartment\tEmployee_ID\tJob title\r\nzoe@example.com\tZoë Müller\tVertrieb\t7\tLead\r\n"
	for name, tc := range map[string]struct {
		data     []byte
		encoding string
	}{
		"utf-8 bom, tabs": {append([]byte("\xef\xbb\xbf"), text...), "utf-8"},
		"utf-16le bom":    {utf16(false, text), "utf-16le"},
		"utf-16be bom":    {utf16(true, text), "utf-16be"},
		"windows-1252, semicolons": {[]byte("email;name;department;employee_id;job title\nzoe@example.com;Zo\xeb M\xfcller;Vertrieb;7;Lead\n"),
			"windows-1252"},
		"plain utf-8, semicolons": {[]byte("email;name;department;employee_id;job title\nzoe@example.com;Zoë Müller;Vertrieb;7;Lead\n"), "utf-8"},
	} {
		t.Run(name, func(t *testing.T) {
			got, probs, err := parseImport(bytes.NewReader(tc.data), true)
			if err != nil || probs.total != 0 {
				t.Fatalf("err %v, problems %+v", err, probs.list)
			}
			if got.encoding != tc.encoding || len(got.rows) != 1 || got.rows[0].name != "Zoë Müller" ||
				got.rows[0].department != "Vertrieb" || len(got.ignored) != 1 || !strings.EqualFold(got.ignored[0], "job title") {
				t.Fatalf("parsed %+v", got)
			}
		})
	}
}

// TestImportRefusesEmailsWithControlCharacters: after decoding, an email
// holding a control or invisible character is refused on its line, never
// rewritten.
func TestImportRefusesEmailsWithControlCharacters(t *testing.T) {
	for _, email := range []string{"a\u0085b@example.com", "a\u200bb@example.com", "\u202eab@example.com", "ab@exa\x7fmple.com"} {
		file := "email,name,department,employee_id\n" + email + ",A,D,\n"
		_, probs, err := parseImport(strings.NewReader(file), true)
		if err != nil || probs.total != 1 || probs.list[0].Line != 2 || !strings.Contains(probs.list[0].Message, "control or invisible") {
			t.Fatalf("%q: %v %+v", email, err, probs)
		}
	}
	// Invalid UTF-8 after a UTF-8 byte-order mark stays invalid.
	_, probs, _ := parseImport(strings.NewReader("\xef\xbb\xbfemail,name,department,employee_id\n\xff\xfeab@example.com,A,D,\n"), true)
	if probs.total != 1 || !strings.Contains(probs.list[0].Message, "not valid UTF-8") {
		t.Fatalf("%+v", probs.list)
	}
}
