package httpapi

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/apitest"
	"github.com/upskill/upskill/internal/app/services"
	"github.com/upskill/upskill/internal/clock"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/store"
	"github.com/upskill/upskill/internal/store/storetest"
)

// cheapParams keep argon2id fast in tests; production uses DefaultParams.
var cheapParams = identity.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

const testBaseURL = "http://upskill.test"

// testEnv is a whole API on a real database, with helpers to make users.
type testEnv struct {
	t        *testing.T
	db       *store.DB
	srv      *Server
	ids      *identity.Service
	jwtKey   ed25519.PrivateKey
	clock    *clock.Settable
	logs     *apitest.SyncBuffer
	c        *apitest.Client // anonymous client
	password string
	seq      atomic.Int64
}

// newTestEnv builds the API on a temp-file SQLite database.
func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	return newTestEnvOn(t, storetest.SQLite(t))
}

// newTestEnvOn builds the API on db.
func newTestEnvOn(t *testing.T, db *store.DB) *testEnv {
	t.Helper()
	return newTestEnvWith(t, db, nil)
}

// newTestEnvWith builds the API on db; tune, when set, changes the
// identity options first (a hook, other limits).
func newTestEnvWith(t *testing.T, db *store.DB, tune func(*identity.Options)) *testEnv {
	t.Helper()
	return newTestEnvOpts(t, db, tune, Options{BaseURL: testBaseURL})
}

// newTestEnvOpts builds the API on db with server options opt.
func newTestEnvOpts(t *testing.T, db *store.DB, tune func(*identity.Options), opt Options) *testEnv {
	t.Helper()
	_, jwtKey, _ := ed25519.GenerateKey(rand.Reader)
	_, recKey, _ := ed25519.GenerateKey(rand.Reader)
	jwtSet, err := keys.NewSet(jwtKey)
	if err != nil {
		t.Fatal(err)
	}
	recSet, _ := keys.NewSet(recKey)
	clk := clock.At(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	logs := &apitest.SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	// The services wired as serve wires them, with the test clock.
	set := services.New(db, services.Options{BaseURL: opt.BaseURL, JWTKeys: jwtSet, RecordKeys: recSet,
		Params: cheapParams, Now: clk.Now, Log: log, TuneIdentity: tune})
	ids := set.Identity
	srv, err := New(opt, Deps{DB: db, Log: log,
		Identity: ids, RecordKeys: recSet, Catalog: set.Catalog, Learning: set.Learning,
		Assignments: set.Assignments, Reports: set.Reports, Reminders: set.Reminders, Readiness: set.Readiness, Evidence: set.Evidence,
		Policies: set.Policies, Privacy: set.Privacy})
	if err != nil {
		t.Fatal(err)
	}
	return &testEnv{t: t, db: db, srv: srv, ids: ids, jwtKey: jwtKey, clock: clk, logs: logs,
		c: apitest.NewClient(t, srv.Handler()), password: "correct horse battery staple"}
}

// user creates a user holding roles (learner when none) with e.password.
func (e *testEnv) user(roles ...string) identity.User {
	e.t.Helper()
	return e.userIn("Marketing", roles...)
}

func (e *testEnv) userIn(department string, roles ...string) identity.User {
	e.t.Helper()
	if len(roles) == 0 {
		roles = []string{identity.RoleLearner}
	}
	n := e.seq.Add(1)
	u, err := e.ids.CreateUser(context.Background(), identity.Principal{Roles: identity.Roles{identity.RoleAdmin}},
		identity.NewUser{Email: fmt.Sprintf("%s%d@example.com", roles[0], n), Name: fmt.Sprintf("Person %d", n),
			Department: department, EmployeeID: fmt.Sprintf("E%05d", n), Roles: roles, Password: e.password})
	if err != nil {
		e.t.Fatalf("create user: %v", err)
	}
	return u
}

// token signs an access token for u without a login round trip.
func (e *testEnv) token(u identity.User) string {
	e.t.Helper()
	tok, _, err := e.ids.Tokens().Issue(u.ID, u.Roles)
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// as returns a client signed in as a new user with roles.
func (e *testEnv) as(roles ...string) (*apitest.Client, identity.User) {
	e.t.Helper()
	u := e.user(roles...)
	return e.c.As(e.token(u)), u
}

// login signs in through the API and returns the session body.
func (e *testEnv) login(email, password string) map[string]any {
	e.t.Helper()
	return e.c.Post("/api/v1/auth/login", map[string]string{"email": email, "password": password}).Want(e.t, 200).Map(e.t)
}
