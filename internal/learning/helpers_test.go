package learning_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/upskill/upskill/internal/clock"
	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/learning"
	"github.com/upskill/upskill/internal/records"
	"github.com/upskill/upskill/internal/store"
)

const issuer = "http://upskill.test"

// fakeCatalog serves modules parsed in the test; publishing one again
// makes the next revision current, as the real catalog does.
type fakeCatalog struct {
	mu   sync.Mutex
	mods map[string]*content.Module
	revs map[string]int
}

func (c *fakeCatalog) Current(slug string) (*content.Module, int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	m, ok := c.mods[slug]
	if !ok {
		return nil, 0, fault.New(fault.NotFound, "no module %q", slug)
	}
	return m, c.revs[slug], nil
}

func (c *fakeCatalog) publish(m *content.Module) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.mods[m.Slug] = m
	c.revs[m.Slug]++
	return c.revs[m.Slug]
}

// env is the learning service on a real database with a fake catalog.
type env struct {
	t     testing.TB
	db    *store.DB
	svc   *learning.Service
	cat   *fakeCatalog
	clock *clock.Settable
	keys  *keys.Set
	ids   *identity.Service
	seq   atomic.Int64
}

func newEnv(t testing.TB, db *store.DB) *env {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	set, err := keys.NewSet(key)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, db: db, keys: set,
		cat:   &fakeCatalog{mods: map[string]*content.Module{}, revs: map[string]int{}},
		clock: clock.At(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)),
		ids:   identity.New(db, identity.Options{Params: identity.Params{Memory: 1024, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}}),
	}
	e.svc = learning.New(db, learning.Options{Catalog: e.cat, Signer: &records.Signer{Keys: set, Issuer: issuer}, Now: e.clock.Now})
	return e
}

// user creates a learner and returns their id.
func (e *env) user() string {
	e.t.Helper()
	n := e.seq.Add(1)
	u, err := e.ids.CreateUser(context.Background(), identity.Principal{Roles: identity.Roles{identity.RoleAdmin}},
		identity.NewUser{Email: fmt.Sprintf("learner%d@example.com", n), Name: fmt.Sprintf("Learner %d", n), Roles: []string{"learner"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

// spec describes a test module.
type spec struct {
	slug    string
	title   string
	lessons []string // slugs
	quiz    string   // quiz.md, "" for none
	front   []string // extra module.md front matter lines
}

// build parses a module from spec; the test fails on any problem.
func build(t testing.TB, s spec) *content.Module {
	t.Helper()
	if s.title == "" {
		s.title = "Module " + s.slug
	}
	files := map[string][]byte{
		"module.md": []byte("---\ntitle: " + s.title + "\nsummary: A test module.\ntopics: [benefits]\n" +
			strings.Join(append(s.front, ""), "\n") + "---\n\nOverview.\n"),
	}
	for i, l := range s.lessons {
		files[fmt.Sprintf("lessons/%02d-%s.md", i+1, l)] = []byte("# Lesson " + l + "\n\nSome words about " + l + ".\n")
	}
	if s.quiz != "" {
		files["quiz.md"] = []byte(s.quiz)
	}
	m, probs := content.Parse(content.FilesFS(files), s.slug, content.Options{APIBase: "/api/v1"})
	if len(probs) > 0 {
		t.Fatalf("module %s: %v", s.slug, probs)
	}
	return m
}

// publish builds and publishes a module, returning its revision.
func (e *env) publish(s spec) int {
	e.t.Helper()
	return e.cat.publish(build(e.t, s))
}

// question writes one quiz question: choices starting "Right" are correct.
func question(prompt string, choices ...string) string {
	var b strings.Builder
	b.WriteString("## " + prompt + "\n\n")
	for _, c := range choices {
		mark := " "
		if strings.HasPrefix(c, "Right") {
			mark = "x"
		}
		b.WriteString("- [" + mark + "] " + c + "\n")
	}
	b.WriteString("\n> Because " + prompt + ".\n\n")
	return b.String()
}

// threeQuestions is a quiz of two single and one multiple question.
var threeQuestions = question("One", "Right one", "Wrong one", "Wrong two") +
	question("Two", "Wrong a", "Right a", "Wrong b") +
	question("Three", "Right x", "Right y", "Wrong z")

// answers picks, for each question, the choices whose text starts with
// "Right" (right) or the first "Wrong" one (!right).
func answers(a learning.Attempt, right bool) map[string][]string {
	out := map[string][]string{}
	for _, q := range a.Questions {
		var picks []string
		for _, c := range q.Choices {
			isRight := strings.HasPrefix(c.TextHTML, "Right")
			if right && isRight {
				picks = append(picks, c.ID)
			}
			if !right && !isRight && len(picks) == 0 {
				picks = append(picks, c.ID)
			}
		}
		out[q.ID] = picks
	}
	return out
}

// completeLessons marks every lesson of slug done for user.
func (e *env) completeLessons(user, slug string) learning.ModuleProgress {
	e.t.Helper()
	m, _, err := e.cat.Current(slug)
	if err != nil {
		e.t.Fatal(err)
	}
	var p learning.ModuleProgress
	for _, l := range m.Lessons {
		p, err = e.svc.RecordProgress(context.Background(), user, slug, l.Slug, learning.ProgressUpdate{Completed: true, SecondsSpent: 60})
		if err != nil {
			e.t.Fatalf("complete %s/%s: %v", slug, l.Slug, err)
		}
	}
	return p
}

// wantProblem fails unless err is a fault with code and problem type.
func wantProblem(t testing.TB, err error, code fault.Code, typ string) {
	t.Helper()
	var f *fault.Error
	if !errors.As(err, &f) || f.Code != code || f.Type != typ {
		t.Fatalf("error = %v, want %s %q", err, code, typ)
	}
}

func count(t testing.TB, db *store.DB, table, where string, args ...any) int {
	t.Helper()
	var n int64
	if err := db.R.Table(table).Where(where, args...).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return int(n)
}
