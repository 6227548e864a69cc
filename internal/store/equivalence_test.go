package store_test

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// The SQLite and PostgreSQL migrations are written twice, once per dialect.
// After migrating both, their schemas must agree on every table, column
// (type up to spelling, nullability, default), primary key, unique
// constraint, index (columns, uniqueness, partial condition), foreign key
// and the number of CHECK constraints per table. The test reads the
// schemas from the databases themselves, so it covers every migration,
// including ones added after it was written.
func TestMigrationsAgreeAcrossDialects(t *testing.T) {
	if os.Getenv(storetest.EnvPostgres) == "" && os.Getenv("CI") == "true" {
		t.Fatalf("CI must compare the two dialects: set %s", storetest.EnvPostgres)
	}
	lite := describeSQLite(t, storetest.SQLite(t))
	pg := describePostgres(t, storetest.Postgres(t))
	if len(lite) == 0 {
		t.Fatal("read no schema from SQLite")
	}
	var diffs []string
	for _, k := range union(lite, pg) {
		if why, ok := intendedDifferences[k]; ok && why != "" {
			continue
		}
		l, lok := lite[k]
		p, pok := pg[k]
		switch {
		case !pok:
			diffs = append(diffs, fmt.Sprintf("only in SQLite:     %s = %s", k, l))
		case !lok:
			diffs = append(diffs, fmt.Sprintf("only in PostgreSQL: %s = %s", k, p))
		case l != p:
			diffs = append(diffs, fmt.Sprintf("differs:            %s\n    SQLite:     %s\n    PostgreSQL: %s", k, l, p))
		}
	}
	t.Logf("compared %d facts", len(lite))
	if len(diffs) > 0 {
		t.Fatalf("the migrations of the two dialects disagree (%d differences):\n%s", len(diffs), strings.Join(diffs, "\n"))
	}
}

// intendedDifferences lists facts (keys as the failure message prints
// them, e.g. "index users_order") that differ between the dialects on
// purpose, each with the reason. Keep it empty where the dialects can agree.
var intendedDifferences = map[string]string{
	// PostgreSQL sorts text by its collation; COLLATE "C" makes the report
	// order compare bytes, as SQLite does, so both databases order a report
	// alike. SQLite has no such clause to write.
	"index users_report_order": `COLLATE "C" on PostgreSQL only, for byte order as in SQLite`,
}

// The two dialects spell the same index differently; normalised, they match.
func TestIndexDefinitionsNormalise(t *testing.T) {
	lite := `CREATE INDEX users_order ON users (lower(department), lower(name) DESC, id) WHERE disabled = FALSE`
	pg := `CREATE INDEX users_order ON t_1.users USING btree (lower(department), lower(name) DESC, id) WHERE (disabled = false)`
	lo, lw := indexParts(lite)
	po, pw := indexParts(pg)
	if lo != po || lw != pw || lo != "lowerdepartment,lowernamedesc,id" || lw != "disabled=false" {
		t.Fatalf("SQLite %q where %q; PostgreSQL %q where %q", lo, lw, po, pw)
	}
}

// schema maps a fact's key ("table.column", "index name", …) to its
// normalised description.
type schema map[string]string

func union(a, b schema) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// typeClass spells a column type the same way for both dialects.
func typeClass(t string) string {
	t = strings.ToLower(strings.TrimSpace(t))
	switch {
	case strings.Contains(t, "int") || t == "bigserial" || t == "serial":
		return "integer"
	case strings.Contains(t, "char") || t == "text":
		return "text"
	case strings.Contains(t, "time") || t == "date":
		return "timestamp"
	case t == "boolean" || t == "bool":
		return "boolean"
	case t == "blob" || t == "bytea":
		return "bytes"
	case t == "real" || strings.Contains(t, "double") || strings.Contains(t, "numeric"):
		return "real"
	}
	return t
}

var (
	casts  = regexp.MustCompile(`::[a-z ]+(\[\])?`)
	spaces = regexp.MustCompile(`[\s()"]+`)
)

// expr normalises an SQL expression (a default, an index column, a partial
// index condition): lower case, no casts, no parentheses, quotes or spaces.
func expr(s string) string {
	s = casts.ReplaceAllString(strings.ToLower(s), "")
	s = spaces.ReplaceAllString(s, "")
	switch s {
	case "false":
		return "0"
	case "true":
		return "1"
	}
	return s
}

func fkAction(a string) string {
	switch strings.ToLower(a) {
	case "c", "cascade":
		return "cascade"
	case "n", "set null":
		return "set null"
	case "d", "set default":
		return "set default"
	case "r", "restrict":
		return "restrict"
	}
	return "no action"
}

var checkWord = regexp.MustCompile(`(?i)\bcheck\s*\(`)

func describeSQLite(t *testing.T, db *store.DB) schema {
	t.Helper()
	out := schema{}
	var tables []struct{ Name, SQL string }
	must(t, db.R.Raw(`SELECT name, sql FROM sqlite_master WHERE type = 'table'
		AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version' ORDER BY name`).Scan(&tables).Error)
	for _, tb := range tables {
		out["table "+tb.Name] = fmt.Sprintf("checks=%d", len(checkWord.FindAllString(tb.SQL, -1)))
		var cols []struct {
			Name, Type string
			NotNull    bool    `gorm:"column:notnull"`
			Default    *string `gorm:"column:dflt_value"`
			PK         int     `gorm:"column:pk"`
		}
		must(t, db.R.Raw(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?)`, tb.Name).Scan(&cols).Error)
		pk := make([]string, len(cols))
		for _, c := range cols {
			def := ""
			if c.Default != nil {
				def = expr(*c.Default)
			}
			notNull := c.NotNull
			if c.PK > 0 {
				pk[c.PK-1] = c.Name
				notNull = true // PostgreSQL makes every key column NOT NULL
				if typeClass(c.Type) == "integer" && strings.Contains(strings.ToUpper(tb.SQL), "AUTOINCREMENT") {
					def = "autoincrement"
				}
			}
			out["column "+tb.Name+"."+c.Name] = fmt.Sprintf("%s notnull=%v default=%s", typeClass(c.Type), notNull, def)
		}
		out["primary key "+tb.Name] = strings.Join(slices.DeleteFunc(pk, func(s string) bool { return s == "" }), ",")

		var idx []struct {
			Name    string
			Unique  bool
			Origin  string
			Partial bool
		}
		must(t, db.R.Raw(`SELECT name, "unique", origin, partial FROM pragma_index_list(?)`, tb.Name).Scan(&idx).Error)
		for _, ix := range idx {
			var cols []string
			must(t, db.R.Raw(`SELECT COALESCE(name, '') FROM pragma_index_info(?) ORDER BY seqno`, ix.Name).Scan(&cols).Error)
			switch ix.Origin {
			case "pk":
			case "u":
				out["unique "+tb.Name+"("+strings.Join(cols, ",")+")"] = "constraint"
			default:
				var sql string
				must(t, db.R.Raw(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`, ix.Name).Scan(&sql).Error)
				on, where := indexParts(sql)
				out["index "+ix.Name] = fmt.Sprintf("on %s(%s) unique=%v where=%s", tb.Name, on, ix.Unique, where)
			}
		}

		var fks []struct {
			ID              int
			Table, From, To string
			OnDelete        string `gorm:"column:on_delete"`
		}
		must(t, db.R.Raw(`SELECT id, "table", "from", "to", on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq`, tb.Name).Scan(&fks).Error)
		byID := map[int]*[3]string{}
		var order []int
		for _, f := range fks {
			e, ok := byID[f.ID]
			if !ok {
				e = &[3]string{"", f.Table + "(", fkAction(f.OnDelete)}
				byID[f.ID] = e
				order = append(order, f.ID)
			} else {
				e[0] += ","
				e[1] += ","
			}
			e[0] += f.From
			e[1] += f.To
		}
		for _, id := range order {
			e := byID[id]
			out["foreign key "+tb.Name+"("+e[0]+")"] = e[1] + ") on delete " + e[2]
		}
	}
	return out
}

var indexDef = regexp.MustCompile(`(?is)\bON\s+[^\s(]+\s*(?:USING\s+\w+\s*)?\((.*)\)\s*(?:WHERE\s+(.*))?$`)

// indexParts splits a CREATE INDEX statement into its normalised column
// list and partial condition.
func indexParts(sql string) (on, where string) {
	m := indexDef.FindStringSubmatch(strings.TrimSpace(sql))
	if m == nil {
		return "?" + sql, ""
	}
	cols, rest := balanced(m[1])
	if w := strings.TrimSpace(rest); w != "" {
		m[2] = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(w, "WHERE"), "where")) + m[2]
	}
	var parts []string
	for _, c := range splitTop(cols) {
		c = strings.TrimSpace(c)
		c = strings.TrimSuffix(strings.TrimSuffix(c, " ASC"), " asc")
		parts = append(parts, expr(c))
	}
	return strings.Join(parts, ","), expr(m[2])
}

// balanced returns s up to the parenthesis closing the index's column list
// (the regexp's greedy match may run past it into a WHERE clause) and the
// rest after it.
func balanced(s string) (inner, rest string) {
	depth := 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			if depth == 0 {
				return s[:i], strings.TrimPrefix(strings.TrimSpace(s[i+1:]), ")")
			}
			depth--
		}
	}
	return s, ""
}

func splitTop(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, r := range s {
		switch r {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

func describePostgres(t *testing.T, db *store.DB) schema {
	t.Helper()
	out := schema{}
	var tables []string
	must(t, db.R.Raw(`SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()
		AND table_type = 'BASE TABLE' AND table_name <> 'goose_db_version'`).Scan(&tables).Error)
	for _, tb := range tables {
		var checks int
		must(t, db.R.Raw(`SELECT count(*) FROM pg_constraint WHERE contype = 'c' AND conrelid = (quote_ident(current_schema()) || '.' || quote_ident(?))::regclass`, tb).Scan(&checks).Error)
		out["table "+tb] = fmt.Sprintf("checks=%d", checks)
	}
	var cols []struct {
		Table, Name, Type, Nullable string
		Default                     *string
	}
	must(t, db.R.Raw(`SELECT table_name AS "table", column_name AS name, data_type AS type, is_nullable AS nullable, column_default AS "default"
		FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'goose_db_version'`).Scan(&cols).Error)
	for _, c := range cols {
		def := ""
		if c.Default != nil {
			def = expr(*c.Default)
			if strings.HasPrefix(def, "nextval") {
				def = "autoincrement"
			}
		}
		out["column "+c.Table+"."+c.Name] = fmt.Sprintf("%s notnull=%v default=%s", typeClass(c.Type), c.Nullable == "NO", def)
	}

	var cons []struct {
		Table, Name, Type, Cols, RefTable, RefCols, OnDelete string
	}
	must(t, db.R.Raw(`SELECT c.conrelid::regclass::text AS "table", c.conname AS name, c.contype::text AS type,
		(SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.conkey) WITH ORDINALITY k(n, ord)
			JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.n) AS cols,
		COALESCE(c.confrelid::regclass::text, '') AS ref_table,
		COALESCE((SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(c.confkey) WITH ORDINALITY k(n, ord)
			JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.n), '') AS ref_cols,
		c.confdeltype::text AS on_delete
		FROM pg_constraint c JOIN pg_namespace ns ON ns.oid = c.connamespace
		WHERE ns.nspname = current_schema() AND c.contype IN ('p', 'u', 'f')
		AND c.conrelid::regclass::text NOT LIKE '%goose_db_version'`).Scan(&cons).Error)
	for _, c := range cons {
		tb := unqualified(c.Table)
		switch c.Type {
		case "p":
			out["primary key "+tb] = c.Cols
		case "u":
			out["unique "+tb+"("+c.Cols+")"] = "constraint"
		case "f":
			out["foreign key "+tb+"("+c.Cols+")"] = unqualified(c.RefTable) + "(" + c.RefCols + ") on delete " + fkAction(c.OnDelete)
		}
	}
	for _, tb := range tables {
		if _, ok := out["primary key "+tb]; !ok {
			out["primary key "+tb] = ""
		}
	}

	var idx []struct{ Table, Name, Def string }
	must(t, db.R.Raw(`SELECT i.tablename AS "table", i.indexname AS name, i.indexdef AS def FROM pg_indexes i
		WHERE i.schemaname = current_schema() AND i.tablename <> 'goose_db_version'
		AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass
			AND c.contype IN ('p', 'u'))`).Scan(&idx).Error)
	for _, ix := range idx {
		on, where := indexParts(ix.Def)
		unique := strings.HasPrefix(strings.ToUpper(ix.Def), "CREATE UNIQUE")
		out["index "+ix.Name] = fmt.Sprintf("on %s(%s) unique=%v where=%s", ix.Table, on, unique, where)
	}
	return out
}

// unqualified drops a schema prefix that regclass adds outside the search
// path.
func unqualified(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 {
		return name[i+1:]
	}
	return name
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
