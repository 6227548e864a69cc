package identity

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/upskill/upskill/internal/store/storetest"
)

// FuzzParseImport: no input makes the CSV reader panic, and every error
// names a line.
func FuzzParseImport(f *testing.F) {
	f.Add([]byte("email,name,department,employee_id\na@b.co,A,D,1\n"))
	f.Add([]byte("\ufeffemail,name,department,employee_id,roles\r\n\"x\"\"y\"@b.co,\"A, B\",D,,admin;learner\r\n"))
	f.Add([]byte("email,name\n\"unterminated\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, errs := parseImport(bytes.NewReader(data), true)
		for _, e := range errs {
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
