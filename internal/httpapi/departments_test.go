package httpapi

import (
	"testing"

	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// The known departments, in their canonical spelling with their enabled
// members, page by page; learners may not list them.
func TestListDepartments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		e := newTestEnvOn(t, db)
		hrC, _ := e.as(identity.RoleHR) // in Marketing
		e.userIn("brand")
		e.userIn("Brand")
		gone := e.userIn("Sales")
		yes := true
		if _, err := e.ids.UpdateUser(t.Context(), identity.Principal{Roles: identity.Roles{identity.RoleAdmin}}, gone.ID,
			identity.UserPatch{Disabled: &yes}); err != nil {
			t.Fatal(err)
		}
		type dept struct {
			Name    string `json:"name"`
			Members int    `json:"members"`
		}
		var got []dept
		cursor := ""
		for range 5 {
			var pg struct {
				Items      []dept `json:"items"`
				NextCursor string `json:"next_cursor"`
			}
			hrC.Get("/api/v1/departments?limit=2"+map[bool]string{true: "", false: "&cursor=" + cursor}[cursor == ""]).Want(t, 200).Decode(t, &pg)
			got = append(got, pg.Items...)
			if cursor = pg.NextCursor; cursor == "" {
				break
			}
		}
		want := []dept{{"brand", 2}, {"Marketing", 1}, {"Sales", 0}}
		if len(got) != len(want) {
			t.Fatalf("departments = %+v, want %+v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("departments = %+v, want %+v", got, want)
			}
		}
		learner, _ := e.as()
		learner.Get("/api/v1/departments").Want(t, 403)
	})
}
