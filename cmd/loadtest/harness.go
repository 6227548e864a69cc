package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/reports"
	"github.com/upskill/upskill/internal/store"
)

const (
	adminEmail    = "admin@loadtest.example"
	adminPassword = "loadtest admin passphrase"
	plainPrefix   = "loadtest-"
	quizModule    = "loadtest-quiz"
	wrongChoice   = "Not this one"
)

type learner struct {
	email, token string
}

type harness struct {
	o    options
	dir  string
	out  io.Writer
	figs figures

	bin, self string
	port      int
	pprofPort int // the server's profiler, with -profile
	base      string
	env       []string
	dbPath    string // SQLite only

	server *proc
	rss    *rssSampler
	admin  string

	mods      map[string]assignments.ModuleInfo
	plain     []string // synthetic modules without a quiz: writes go there
	lessonURL []string // every lesson, for the read scenario
	learners  []learner
	records   []string
	responses string // the recorded lesson responses, for bare Gin
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(h.out, format+"\n", args...)
}

// prepare builds the binary, starts a fresh server once (the first start),
// publishes synthetic modules up to modulesPerUser, stops it and seeds the
// company into its database.
func (h *harness) prepare(ctx context.Context) error {
	var err error
	if h.self, err = os.Executable(); err != nil {
		return err
	}
	h.bin = h.o.bin
	if h.bin == "" {
		h.bin = filepath.Join(h.dir, "upskill")
		t := time.Now()
		build := exec.CommandContext(ctx, "go", "build", "-o", h.bin, "./cmd/upskill")
		build.Stdout, build.Stderr = h.out, h.out
		if err := build.Run(); err != nil {
			return fmt.Errorf("go build ./cmd/upskill (run from the repository's root, or pass -bin): %w", err)
		}
		h.logf("built %s in %s", h.bin, time.Since(t).Round(time.Millisecond))
	}
	if h.port, err = freePort(); err != nil {
		return err
	}
	h.base = "http://127.0.0.1:" + strconv.Itoa(h.port)
	data := filepath.Join(h.dir, "data")
	h.dbPath = filepath.Join(data, "upskill.db")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "UPSKILL_") {
			h.env = append(h.env, kv)
		}
	}
	h.env = append(h.env, "UPSKILL_ADDR=127.0.0.1:"+strconv.Itoa(h.port), "UPSKILL_BASE_URL="+h.base,
		"UPSKILL_DATA_DIR="+data, "UPSKILL_CONTENT_DIR="+mustAbs(h.o.contentDir),
		"UPSKILL_ADMIN_EMAIL="+adminEmail, "UPSKILL_ADMIN_PASSWORD="+adminPassword,
		"UPSKILL_LOG_FORMAT=json", "UPSKILL_ACCESS_TOKEN_TTL=12h")
	if h.o.databaseURL != "" {
		h.env = append(h.env, "UPSKILL_DATABASE_URL="+h.o.databaseURL)
	}
	if h.o.profileDir != "" {
		if err := os.MkdirAll(h.o.profileDir, 0o755); err != nil {
			return err
		}
		if h.pprofPort, err = freePort(); err != nil {
			return err
		}
		h.env = append(h.env, "UPSKILL_PPROF_ADDR=127.0.0.1:"+strconv.Itoa(h.pprofPort))
	}
	h.logf("upskill load test: %d learners, %d connections, %s per scenario, %d runs, %s, in %s",
		h.o.users, h.o.conns, h.o.duration, h.o.runs, h.dialect(), h.dir)

	ms, err := h.startServer(ctx)
	if err != nil {
		return err
	}
	h.figs.add("startup_first_ms", ms)
	h.logf("first start (fresh data dir, migrations, content import): %.0f ms", ms)
	if h.admin, err = h.login(adminEmail, adminPassword); err != nil {
		return err
	}
	if err := h.publishSynthetic(); err != nil {
		return err
	}
	h.stopServer()

	t := time.Now()
	dsn := h.o.databaseURL
	if dsn == "" {
		dsn = h.dbPath
	}
	logins := min(h.o.logins, h.o.conns)
	sessions, err := seed(ctx, dsn, h.o.users, h.mods, logins, h.o.conns)
	if err != nil {
		return err
	}
	h.logf("seeded %d learners with %d assignments each in %s", h.o.users, modulesPerUser, time.Since(t).Round(time.Millisecond))
	// Sign-in (argon2, bounded on its own) runs in a server lifetime of its
	// own, so its memory is not counted against the scenarios.
	if _, err := h.startServer(ctx); err != nil {
		return err
	}
	defer h.stopServer()
	return h.signIn(ctx, logins, sessions)
}

func (h *harness) startServer(ctx context.Context) (ms float64, err error) {
	logf, err := os.OpenFile(filepath.Join(h.dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd := exec.Command(h.bin, "serve")
	cmd.Env = h.env
	cmd.Stdout, cmd.Stderr = logf, logf
	start := time.Now()
	p, err := startProc("upskill", cmd)
	if err != nil {
		return 0, err
	}
	h.server = p
	if err := waitReady(ctx, p, h.base+"/readyz", 2*time.Minute); err != nil {
		h.stopServer()
		return 0, fmt.Errorf("%w (see %s)", err, filepath.Join(h.dir, "server.log"))
	}
	ms = float64(time.Since(start).Microseconds()) / 1000
	h.rss = sampleRSS(p.pid())
	return ms, nil
}

func (h *harness) stopServer() {
	if h.rss != nil {
		h.rss.close()
		h.rss = nil
	}
	h.server.stop(30 * time.Second)
	h.server = nil
}

func (h *harness) stopAll() {
	if h.server != nil {
		h.stopServer()
	}
}

// api sends one request as token and decodes a JSON answer into out.
func (h *harness) api(method, path, token string, body any, out any) (int, error) {
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	resp, err := http.DefaultClient.Do(request(method, h.base+path, token, raw))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode >= 400 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %.300s", method, path, resp.StatusCode, b)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}

func (h *harness) login(email, password string) (string, error) {
	var r struct {
		AccessToken string `json:"access_token"`
	}
	_, err := h.api("POST", "/api/v1/auth/login", "", map[string]string{"email": email, "password": password}, &r)
	return r.AccessToken, err
}

// publishSynthetic publishes modules until there are modulesPerUser: plain
// ones (lessons only; completing them issues a record) and one with a quiz
// that can be retaken without limit.
func (h *harness) publishSynthetic() error {
	var list struct {
		Items []struct {
			Slug string `json:"slug"`
		} `json:"items"`
	}
	if _, err := h.api("GET", "/api/v1/modules?limit=100", h.admin, nil, &list); err != nil {
		return err
	}
	plain := max(2, modulesPerUser-len(list.Items)-1)
	for i := 1; i <= plain; i++ {
		slug := fmt.Sprintf("%s%02d", plainPrefix, i)
		if err := h.publish(slug, syntheticModule(slug, false)); err != nil {
			return err
		}
		h.plain = append(h.plain, slug)
	}
	if err := h.publish(quizModule, syntheticModule(quizModule, true)); err != nil {
		return err
	}
	h.mods = map[string]assignments.ModuleInfo{}
	slugs := []string{quizModule}
	slugs = append(slugs, h.plain...)
	for _, it := range list.Items {
		slugs = append(slugs, it.Slug)
	}
	for _, slug := range slugs {
		var m struct {
			Slug     string `json:"slug"`
			Title    string `json:"title"`
			Revision int    `json:"revision"`
			Lessons  []struct {
				Slug string `json:"slug"`
			} `json:"lessons"`
			Quiz          *struct{} `json:"quiz"`
			Prerequisites []string  `json:"prerequisites"`
		}
		if _, err := h.api("GET", "/api/v1/modules/"+slug, h.admin, nil, &m); err != nil {
			return err
		}
		info := assignments.ModuleInfo{Slug: m.Slug, Title: m.Title, Revision: m.Revision, HasQuiz: m.Quiz != nil, Prerequisites: m.Prerequisites}
		for _, l := range m.Lessons {
			info.Lessons = append(info.Lessons, l.Slug)
			h.lessonURL = append(h.lessonURL, "/api/v1/modules/"+slug+"/lessons/"+l.Slug)
		}
		h.mods[slug] = info
	}
	h.logf("published %d synthetic modules (%d in all)", plain+1, len(h.mods))
	return nil
}

func (h *harness) publish(slug string, files map[string]string) error {
	_, err := h.api("PUT", "/api/v1/modules/"+slug, h.admin, map[string]any{"files": files}, nil)
	return err
}

func syntheticModule(slug string, quiz bool) map[string]string {
	files := map[string]string{
		"module.md": "---\ntitle: Load test " + slug + "\nsummary: A synthetic module the load test publishes.\ntopics: [skills]\n---\n\n" +
			"# Load test\n\nA synthetic module for the load test.\n",
	}
	for i := 1; i <= 3; i++ {
		files[fmt.Sprintf("lessons/%02d-part-%d.md", i, i)] = fmt.Sprintf("# Part %d\n\n%s\n", i,
			strings.Repeat("This paragraph stands in for a lesson of ordinary length, with **some emphasis** and a [link](https://example.com). ", 12))
	}
	if quiz {
		files["quiz.md"] = "---\nshuffle: true\n---\n\n" +
			"## Which answer is right?\n\n- [x] This one\n- [ ] " + wrongChoice + "\n- [ ] Neither\n\n> The first.\n\n" +
			"## And here?\n\n- [ ] " + wrongChoice + "\n- [x] The right one\n- [ ] Neither\n\n> The second.\n"
	}
	return files
}

// signIn gives conns learners a token: the first logins sign in through
// the API, the others' logins were seeded in bulk and their access tokens
// are signed here with the server's own key (argon2 is deliberately slow,
// and its cost is bounded on its own). Then it gets each of them ready:
// the quiz module's lessons done (so attempts may open), and one plain
// module completed (a record to verify).
func (h *harness) signIn(ctx context.Context, logins int, sessions []session) error {
	t := time.Now()
	n := h.o.conns
	h.learners = make([]learner, n)
	key, err := keys.LoadOrCreate(filepath.Join(h.dir, "data", "jwt-signing.pem"))
	if err != nil {
		return err
	}
	set, err := keys.NewSet(key)
	if err != nil {
		return err
	}
	issuer := &identity.TokenIssuer{Keys: set, Issuer: h.base, Audience: identity.Audience, TTL: 12 * time.Hour}
	for i, sess := range sessions {
		tok, _, err := issuer.IssueForSession(sess.user, []string{identity.RoleLearner}, sess.family)
		if err != nil {
			return err
		}
		h.learners[logins+i] = learner{email: learnerEmail(logins + i), token: tok}
	}
	errs := make(chan error, logins)
	sem := make(chan struct{}, 4)
	for i := range logins {
		go func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			l := learner{email: learnerEmail(i)}
			var err error
			l.token, err = h.login(l.email, learnerPassword)
			h.learners[i] = l
			errs <- err
		}()
	}
	for range logins {
		if err := <-errs; err != nil {
			return err
		}
	}
	h.logf("signed in %d learners through the API, %d with seeded logins, in %s", logins, len(sessions), time.Since(t).Round(time.Millisecond))
	for _, l := range h.learners {
		if err := ctx.Err(); err != nil {
			return err
		}
		for _, lesson := range h.mods[quizModule].Lessons {
			if _, err := h.api("PUT", "/api/v1/modules/"+quizModule+"/lessons/"+lesson+"/progress", l.token,
				map[string]any{"completed": true, "seconds_spent": 60}, nil); err != nil {
				return err
			}
		}
		var p struct {
			Completion *struct {
				ID string `json:"id"`
			} `json:"completion"`
		}
		m := h.plain[0]
		for _, lesson := range h.mods[m].Lessons {
			if _, err := h.api("PUT", "/api/v1/modules/"+m+"/lessons/"+lesson+"/progress", l.token,
				map[string]any{"completed": true, "seconds_spent": 60}, &p); err != nil {
				return err
			}
		}
		if p.Completion == nil {
			return fmt.Errorf("completing %s issued no record", m)
		}
		h.records = append(h.records, p.Completion.ID)
	}
	// Record every lesson response as learner 0 sees it: bare Gin serves
	// exactly these bytes. Lessons this learner may not read are left out.
	rec := map[string]response{}
	var urls []string
	for _, u := range h.lessonURL {
		resp, err := http.DefaultClient.Do(request("GET", h.base+u, h.learners[0].token, nil))
		if err != nil {
			return err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			continue
		}
		hd := resp.Header.Clone()
		for _, k := range []string{"Date", "Content-Length", "X-Request-Id"} {
			hd.Del(k)
		}
		rec[u] = response{Header: hd, Body: body}
		urls = append(urls, u)
	}
	if len(urls) == 0 {
		return fmt.Errorf("no lesson answers 200")
	}
	h.lessonURL = urls
	b, _ := json.Marshal(rec)
	h.responses = filepath.Join(h.dir, "responses.json")
	return os.WriteFile(h.responses, b, 0o600)
}

// round is one run: a start of the seeded server, then every scenario
// next to its limit.
func (h *harness) round(ctx context.Context, r int) error {
	ms, err := h.startServer(ctx)
	if err != nil {
		return err
	}
	defer h.stopServer()
	h.figs.add("startup_second_ms", ms)
	h.logf("%-28s %.0f ms", "start (seeded database)", ms)
	h.rss.reset()
	peak := 0.0
	note := func() { peak = max(peak, h.rss.peakMB()) }

	// read, next to bare Gin serving the same bytes
	read := h.scenario(ctx, "read", r, h.readStep(h.base))
	note()
	h.logf("%-28s %s", "read (lesson GET)", read)
	bare, err := h.bareGin(ctx)
	if err != nil {
		return err
	}
	h.logf("%-28s %s", "limit: bare Gin", bare)
	h.figs.add("read_rps", read.rps())
	h.figs.add("read_p99_ms", read.p99ms())
	h.figs.add("bare_gin_rps", bare.rps())
	h.figs.add("read_vs_bare", read.rps()/bare.rps())

	// write, next to raw SQLite
	write := h.scenario(ctx, "write", r, h.writeStep())
	note()
	h.logf("%-28s %s", "write (progress PUT)", write)
	h.figs.add("write_rps", write.rps())
	h.figs.add("write_p99_ms", write.p99ms())
	h.figs.add("write_errors", float64(write.errors))
	if h.o.databaseURL == "" {
		raw, err := h.rawSQLite(ctx, r)
		if err != nil {
			return err
		}
		h.logf("%-28s %9.0f rows/s", "limit: raw SQLite", raw)
		h.figs.add("raw_sqlite_rows_per_s", raw)
		h.figs.add("write_vs_raw", write.rps()/raw)
	}

	quiz := h.scenario(ctx, "quiz", r, h.quizStep())
	note()
	h.logf("%-28s %s", "quiz (open + submit)", quiz)
	h.figs.add("quiz_rps", quiz.rps())
	h.figs.add("quiz_p99_ms", quiz.p99ms())
	h.figs.add("quiz_errors", float64(quiz.errors))

	verify := h.scenario(ctx, "verify", r, h.verifyStep())
	note()
	h.logf("%-28s %s", "verify (record by id)", verify)
	h.figs.add("verify_rps", verify.rps())
	h.figs.add("verify_vs_bare", verify.rps()/bare.rps())

	// report, next to the sqlite3 shell running its query
	before := h.rss.reset()
	rows, secs, err := h.report(ctx)
	if err != nil {
		return err
	}
	rep := h.rss.peakMB()
	note()
	h.logf("%-28s %d rows in %.2f s, RSS +%.1f MB", "report (CSV, whole company)", rows, secs, rep-float64(before)/(1<<20))
	h.figs.add("report_rows", float64(rows))
	h.figs.add("report_seconds", secs)
	h.figs.add("report_peak_rss_mb", rep-float64(before)/(1<<20))
	if h.o.databaseURL == "" {
		if _, err := exec.LookPath("sqlite3"); err != nil {
			h.logf("%-28s skipped: sqlite3 is not installed", "limit: sqlite3 -csv")
		} else {
			cliRows, cliSecs, err := h.sqlite3CLI(ctx)
			if err != nil {
				return err
			}
			h.logf("%-28s %d rows in %.2f s", "limit: sqlite3 -csv", cliRows, cliSecs)
			h.figs.add("sqlite3_cli_seconds", cliSecs)
			h.figs.add("report_vs_cli", secs/cliSecs)
		}
	}
	h.figs.add("server_peak_rss_mb", peak)
	h.logf("%-28s %.1f MB", "server peak RSS", peak)
	return nil
}

// scenario drives step for -duration and, with -profile, records the
// server's CPU profile meanwhile as <name>-<run>.pprof.
func (h *harness) scenario(ctx context.Context, name string, r int, step func(w *worker)) load {
	if h.pprofPort == 0 {
		return drive(ctx, h.o.conns, h.o.duration, step)
	}
	done := make(chan error, 1)
	file := filepath.Join(h.o.profileDir, fmt.Sprintf("%s-%d.pprof", name, r))
	go func() { done <- h.cpuProfile(ctx, file) }()
	l := drive(ctx, h.o.conns, h.o.duration, step)
	if err := <-done; err != nil {
		h.logf("profile of %s not written: %v", name, err)
	}
	return l
}

// cpuProfile fetches the server's CPU profile over -duration into file.
func (h *harness) cpuProfile(ctx context.Context, file string) error {
	secs := max(1, int(h.o.duration.Round(time.Second)/time.Second))
	url := fmt.Sprintf("http://127.0.0.1:%d/debug/pprof/profile?seconds=%d", h.pprofPort, secs)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, res.Status)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, res.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (h *harness) readStep(base string) func(w *worker) {
	return func(w *worker) {
		i := w.id + len(w.lat)*h.o.conns
		u := h.lessonURL[i%len(h.lessonURL)]
		w.do(request("GET", base+u, h.learners[(i/len(h.lessonURL))%len(h.learners)].token, nil), false)
	}
}

func (h *harness) writeStep() func(w *worker) {
	var urls []string
	for _, m := range h.plain[1:] {
		for _, l := range h.mods[m].Lessons {
			urls = append(urls, h.base+"/api/v1/modules/"+m+"/lessons/"+l+"/progress")
		}
	}
	body := []byte(`{"completed":true,"seconds_spent":5}`)
	return func(w *worker) {
		u := urls[(w.id+len(w.lat))%len(urls)]
		w.do(request("PUT", u, h.learners[w.id%len(h.learners)].token, body), false)
	}
}

func (h *harness) quizStep() func(w *worker) {
	open := h.base + "/api/v1/modules/" + quizModule + "/attempts"
	return func(w *worker) {
		tok := h.learners[w.id%len(h.learners)].token
		status, body := w.do(request("POST", open, tok, nil), true)
		if status != http.StatusOK && status != http.StatusCreated {
			return
		}
		var a struct {
			ID        string `json:"id"`
			Questions []struct {
				ID      string `json:"id"`
				Choices []struct {
					ID   string `json:"id"`
					Text string `json:"text_html"`
				} `json:"choices"`
			} `json:"questions"`
		}
		if err := json.Unmarshal(body, &a); err != nil {
			w.fail("attempt: " + err.Error())
			return
		}
		answers := map[string][]string{}
		for _, q := range a.Questions {
			for _, c := range q.Choices {
				if strings.Contains(c.Text, wrongChoice) {
					answers[q.ID] = []string{c.ID}
				}
			}
		}
		sub, _ := json.Marshal(map[string]any{"answers": answers})
		w.do(request("POST", h.base+"/api/v1/attempts/"+a.ID+"/submit", tok, sub), false)
	}
}

func (h *harness) verifyStep() func(w *worker) {
	return func(w *worker) {
		id := h.records[(w.id+len(w.lat))%len(h.records)]
		w.do(request("GET", h.base+"/api/v1/records/"+id+"/verify", "", nil), false)
	}
}

// bareGin runs the bare-Gin limit in its own process.
func (h *harness) bareGin(ctx context.Context) (load, error) {
	port, err := freePort()
	if err != nil {
		return load{}, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(h.self, "child-bare-gin", "-addr", addr, "-responses", h.responses)
	cmd.Stderr = h.out
	p, err := startProc("bare Gin", cmd)
	if err != nil {
		return load{}, err
	}
	defer p.stop(10 * time.Second)
	if err := waitReady(ctx, p, "http://"+addr+"/healthz", time.Minute); err != nil {
		return load{}, err
	}
	return drive(ctx, h.o.conns, h.o.duration, h.readStep("http://"+addr)), nil
}

// rawSQLite runs the raw insert loop in its own process on a file of its own.
func (h *harness) rawSQLite(ctx context.Context, r int) (float64, error) {
	path := filepath.Join(h.dir, "raw-"+strconv.Itoa(r), "raw.db")
	cmd := exec.CommandContext(ctx, h.self, "child-raw-sqlite", "-db", path, "-duration", h.o.duration.String())
	cmd.Stderr = h.out
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("raw SQLite: %w", err)
	}
	defer os.RemoveAll(filepath.Dir(path))
	f := strings.Fields(string(out))
	if len(f) != 2 {
		return 0, fmt.Errorf("raw SQLite printed %q", out)
	}
	rows, _ := strconv.ParseFloat(f[0], 64)
	secs, _ := strconv.ParseFloat(f[1], 64)
	return rows / secs, nil
}

// report fetches the whole company's completions CSV to the last byte.
func (h *harness) report(ctx context.Context) (rows int, secs float64, err error) {
	client := &http.Client{Timeout: 15 * time.Minute}
	req := request("GET", h.base+"/api/v1/reports/completions?format=csv", h.admin, nil).WithContext(ctx)
	t := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return 0, 0, fmt.Errorf("report: %d %s", resp.StatusCode, b)
	}
	lines, err := countLines(resp.Body)
	if err != nil {
		return 0, 0, err
	}
	return lines - 1, time.Since(t).Seconds(), nil
}

func countLines(r io.Reader) (int, error) {
	buf := make([]byte, 256<<10)
	n := 0
	for {
		k, err := r.Read(buf)
		n += bytes.Count(buf[:k], []byte{'\n'})
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// sqlite3CLI runs the report's own query in the sqlite3 shell on the same
// database file, with its output read to the last byte.
func (h *harness) sqlite3CLI(ctx context.Context) (rows int, secs float64, err error) {
	svc := reports.New(&store.DB{Dialect: store.SQLite}, reports.Options{Catalog: assignments.StaticCatalog(h.mods)})
	q, args := svc.CompletionsSQL()
	text, err := inline(q, args)
	if err != nil {
		return 0, 0, err
	}
	file := filepath.Join(h.dir, "report.sql")
	if err := os.WriteFile(file, []byte(text+";\n"), 0o600); err != nil {
		return 0, 0, err
	}
	in, err := os.Open(file)
	if err != nil {
		return 0, 0, err
	}
	defer in.Close()
	cmd := exec.CommandContext(ctx, "sqlite3", "-csv", "-readonly", h.dbPath)
	cmd.Stdin = in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	t := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	rows, err = countLines(bufio.NewReaderSize(stdout, 256<<10))
	if werr := cmd.Wait(); werr != nil || err != nil {
		return 0, 0, fmt.Errorf("sqlite3: %w %s", errors.Join(werr, err), stderr.String())
	}
	return rows, time.Since(t).Seconds(), nil
}

// inline writes the bound values into the query as SQL literals, for the
// shell. The values are the harness's own module and lesson slugs.
func inline(q string, args []any) (string, error) {
	var b strings.Builder
	for _, a := range args {
		i := strings.IndexByte(q, '?')
		if i < 0 {
			return "", fmt.Errorf("more values than placeholders")
		}
		s, ok := a.(string)
		if !ok {
			return "", fmt.Errorf("value %v is not text", a)
		}
		b.WriteString(q[:i])
		b.WriteString("'" + strings.ReplaceAll(s, "'", "''") + "'")
		q = q[i+1:]
	}
	if slices.Contains([]byte(q), '?') {
		return "", fmt.Errorf("fewer values than placeholders")
	}
	b.WriteString(q)
	return b.String(), nil
}
