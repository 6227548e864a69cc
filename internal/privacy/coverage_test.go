package privacy_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/upskill/upskill/internal/app/services"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/privacy"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// wired is the privacy service as serve wires it, with every package's
// kinds registered.
func wired(t *testing.T, db *store.DB) *privacy.Service {
	t.Helper()
	_, k, _ := ed25519.GenerateKey(rand.Reader)
	set, err := keys.NewSet(k)
	if err != nil {
		t.Fatal(err)
	}
	return services.New(db, services.Options{BaseURL: "http://upskill.test", JWTKeys: set, RecordKeys: set}).Privacy
}

// userReferences lists, per table, the columns that refer to a person: a
// foreign key to users, or a name that says so (user_id, actor_id,
// *_by, email, employee_id, account).
func userReferences(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	type col struct{ Table, Column string }
	var cols, fks []col
	if db.Dialect == store.Postgres {
		if err := db.R.Raw(`SELECT table_name AS "table", column_name AS "column" FROM information_schema.columns
  WHERE table_schema = current_schema()`).Scan(&cols).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.R.Raw(`SELECT kcu.table_name AS "table", kcu.column_name AS "column"
  FROM information_schema.referential_constraints rc
  JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = rc.constraint_name AND kcu.constraint_schema = rc.constraint_schema
  JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = rc.unique_constraint_name AND ccu.constraint_schema = rc.unique_constraint_schema
  WHERE rc.constraint_schema = current_schema() AND ccu.table_name = 'users'`).Scan(&fks).Error; err != nil {
			t.Fatal(err)
		}
	} else {
		var tables []string
		if err := db.R.Raw(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).Scan(&tables).Error; err != nil {
			t.Fatal(err)
		}
		for _, tb := range tables {
			var info []struct{ Name string }
			if err := db.R.Raw("SELECT name FROM pragma_table_info(?)", tb).Scan(&info).Error; err != nil {
				t.Fatal(err)
			}
			for _, c := range info {
				cols = append(cols, col{tb, c.Name})
			}
			var fk []struct{ Table, From string }
			if err := db.R.Raw(`SELECT "table", "from" FROM pragma_foreign_key_list(?)`, tb).Scan(&fk).Error; err != nil {
				t.Fatal(err)
			}
			for _, f := range fk {
				if f.Table == "users" {
					fks = append(fks, col{tb, f.From})
				}
			}
		}
	}
	out := map[string][]string{}
	add := func(c col) {
		if !slices.Contains(out[c.Table], c.Column) {
			out[c.Table] = append(out[c.Table], c.Column)
		}
	}
	for _, c := range cols {
		switch n := c.Column; {
		case n == "user_id", n == "actor_id", strings.HasSuffix(n, "_by"), n == "email", n == "employee_id", n == "account":
			add(c)
		}
	}
	for _, c := range fks {
		add(c)
	}
	return out
}

// TestEveryTableAboutPeopleIsCovered lists the schema's tables on both
// databases and fails when a table that refers to a person is neither a
// registered kind's nor exempted with a reason: a package that adds such a
// table must say how it is exported and erased (privacy.Registry).
func TestEveryTableAboutPeopleIsCovered(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cover := wired(t, db).Coverage()
		refs := userReferences(t, db)
		if len(refs) < 5 {
			t.Fatalf("found only %d tables that refer to people: the schema query is broken", len(refs))
		}
		var missing []string
		for table, cols := range refs {
			if _, ok := cover[table]; !ok {
				missing = append(missing, table+" ("+strings.Join(cols, ", ")+")")
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("tables that refer to people but are not covered by a privacy kind or an exemption:\n  %s\n"+
				"register a privacy.Kind (export and erase) in internal/app/services, or Exempt the table with a reason",
				strings.Join(missing, "\n  "))
		}
		// A stale entry names a table that does not exist.
		var tables []string
		q := `SELECT name FROM sqlite_master WHERE type = 'table'`
		if db.Dialect == store.Postgres {
			q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
		}
		if err := db.R.Raw(q).Scan(&tables).Error; err != nil {
			t.Fatal(err)
		}
		for table := range cover {
			if !slices.Contains(tables, table) {
				t.Errorf("the privacy registry covers %q, which is no table", table)
			}
		}
		for table, how := range cover {
			if why, ok := strings.CutPrefix(how, "exempt: "); ok && len(strings.TrimSpace(why)) < 10 {
				t.Errorf("exemption of %q gives no reason", table)
			}
		}
	})
}
