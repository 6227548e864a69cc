// Command loadtest seeds a synthetic company into a fresh upskill on this
// machine (127.0.0.1 only) and drives its HTTP API with many concurrent
// learners. It prints throughput and latency per scenario, each next to a
// baseline (GET /healthz) measured in the same run, so figures from
// different machines compare as ratios.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"

	"github.com/upskill/upskill/internal/app"
	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/identity"
	pagepkg "github.com/upskill/upskill/internal/page"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	users       int
	concurrency int
	duration    time.Duration
	contentDir  string
	databaseURL string
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.users, "users", 2000, "learners to seed")
	fs.IntVar(&o.concurrency, "concurrency", 32, "concurrent clients")
	fs.DurationVar(&o.duration, "duration", 10*time.Second, "how long each scenario runs")
	fs.StringVar(&o.contentDir, "content", "content", "modules to import")
	fs.StringVar(&o.databaseURL, "database-url", "", "database (default: a SQLite file in a temp dir; a postgres:// URL must point at 127.0.0.1)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := loadtest(o, stdout); err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 1
	}
	return 0
}

func loadtest(o options, out io.Writer) error {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir, err := os.MkdirTemp("", "upskill-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.databaseURL != "" && !strings.Contains(o.databaseURL, "@127.0.0.1") && !strings.Contains(o.databaseURL, "@localhost") {
		return fmt.Errorf("load is only ever pointed at this machine: the database URL must name 127.0.0.1")
	}
	env := map[string]string{"UPSKILL_DATA_DIR": filepath.Join(dir, "data"), "UPSKILL_CONTENT_DIR": o.contentDir,
		"UPSKILL_DATABASE_URL": o.databaseURL, "UPSKILL_ADDR": "127.0.0.1:0"}
	flags := pflag.NewFlagSet("x", pflag.ContinueOnError)
	config.Bind(flags)
	cfg, err := config.Load(flags, func(k string) string { return env[k] })
	if err != nil {
		return err
	}
	a, err := app.Open(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		return err
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = a.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()

	tokens, err := seed(ctx, a, o.users)
	if err != nil {
		return err
	}
	slug, lessons := firstModule(a)
	fmt.Fprintf(out, "upskill load test: %d learners, %d concurrent clients, %s per scenario, module %q (%d lessons), database %s\n\n",
		o.users, o.concurrency, o.duration, slug, len(lessons), a.DB.Dialect)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency * 2}, Timeout: 30 * time.Second}
	var seq atomic.Int64
	next := func() (string, int64) {
		n := seq.Add(1)
		return tokens[int(n)%len(tokens)], n
	}
	scenarios := []scenario{
		{"baseline GET /healthz", func() (*http.Request, error) { return http.NewRequest("GET", base+"/healthz", nil) }},
		{"GET /api/v1/modules", func() (*http.Request, error) {
			tok, _ := next()
			return authed("GET", base+"/api/v1/modules", tok, nil)
		}},
		{"GET lesson", func() (*http.Request, error) {
			tok, n := next()
			return authed("GET", fmt.Sprintf("%s/api/v1/modules/%s/lessons/%s", base, slug, lessons[int(n)%len(lessons)]), tok, nil)
		}},
		{"PUT lesson progress (write)", func() (*http.Request, error) {
			tok, n := next()
			return authed("PUT", fmt.Sprintf("%s/api/v1/modules/%s/lessons/%s/progress", base, slug, lessons[int(n)%len(lessons)]),
				tok, []byte(`{"completed":true,"seconds_spent":30}`))
		}},
		{"GET /api/v1/me/enrollments", func() (*http.Request, error) {
			tok, _ := next()
			return authed("GET", base+"/api/v1/me/enrollments", tok, nil)
		}},
	}
	fmt.Fprintf(out, "%-30s %9s %10s %9s %9s %9s %8s %12s\n", "scenario", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "p50 vs base")
	var baseP50 time.Duration
	for i, sc := range scenarios {
		r := drive(client, sc, o.concurrency, o.duration)
		if i == 0 {
			baseP50 = r.pct(50)
		}
		fmt.Fprintf(out, "%-30s %9d %10.0f %9.2f %9.2f %9.2f %8d %11.1fx\n", sc.name, r.n, float64(r.n)/o.duration.Seconds(),
			ms(r.pct(50)), ms(r.pct(95)), ms(r.pct(99)), r.errors, float64(r.pct(50))/float64(max(baseP50, 1)))
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func authed(method, url, token string, body []byte) (*http.Request, error) {
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req, nil
}

// seed imports the learners through the same code path as the API and
// signs an access token for each (logging in each one would measure argon2,
// which is deliberately slow).
func seed(ctx context.Context, a *app.App, n int) ([]string, error) {
	var b strings.Builder
	b.WriteString("email,name,department,employee_id\n")
	for i := range n {
		fmt.Fprintf(&b, "learner%d@loadtest.example,Learner %d,Department %d,LT%06d\n", i, i, i%25, i)
	}
	admin := identity.Principal{Roles: identity.Roles{identity.RoleAdmin}}
	if _, err := a.Identity.ImportCSV(ctx, admin, strings.NewReader(b.String())); err != nil {
		return nil, err
	}
	var tokens []string
	for page := ""; ; {
		req, err := pagepkg.Parse("500", page)
		if err != nil {
			return nil, err
		}
		users, next, err := a.Identity.ListUsers(ctx, identity.UserFilter{Query: "@loadtest.example"}, req)
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			tok, _, err := a.Identity.Tokens().Issue(u.ID, u.Roles)
			if err != nil {
				return nil, err
			}
			tokens = append(tokens, tok)
		}
		if next == "" {
			break
		}
		page = next
	}
	return tokens, nil
}

// firstModule picks a published module without prerequisites.
func firstModule(a *app.App) (string, []string) {
	for slug, prereqs := range a.Catalog.Known() {
		if len(prereqs) > 0 {
			continue
		}
		p, err := a.Catalog.Module(slug)
		if err != nil {
			continue
		}
		var lessons []string
		for _, l := range p.Module.Lessons {
			lessons = append(lessons, l.Slug)
		}
		return slug, lessons
	}
	return "", nil
}

type scenario struct {
	name string
	req  func() (*http.Request, error)
}

type result struct {
	n, errors int
	latencies []time.Duration
}

func (r result) pct(p int) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, len(r.latencies)*p/100)]
}

// drive runs one scenario with c workers for d.
func drive(client *http.Client, sc scenario, c int, d time.Duration) result {
	var mu sync.Mutex
	var res result
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range c {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local []time.Duration
			errs := 0
			for time.Now().Before(deadline) {
				req, err := sc.req()
				if err != nil {
					errs++
					continue
				}
				start := time.Now()
				resp, err := client.Do(req)
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
				}
				local = append(local, time.Since(start))
				if err != nil || resp.StatusCode >= 400 {
					errs++
				}
			}
			mu.Lock()
			res.latencies = append(res.latencies, local...)
			res.errors += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(res.latencies, func(i, j int) bool { return res.latencies[i] < res.latencies[j] })
	res.n = len(res.latencies)
	return res
}
