// Command loadtest measures upskill on this machine against the machine's
// own limits, measured in the same run.
//
// It builds (or takes, with -bin) the upskill binary and runs it as its own
// process on 127.0.0.1 with a fresh data directory and the shipped content,
// seeds a synthetic company in bulk, signs in learners and drives the API
// with -conns keep-alive connections. Beside each scenario it measures the
// limit it is compared with, each in a process of its own: bare Gin serving
// the very same response bytes, a raw one-row-per-transaction SQLite insert
// loop with the service's pragmas, and the sqlite3 shell running the
// report's own query on the same database file. Scenarios and limits are
// interleaved over -runs so the machine's drift spreads over all of them;
// the figures written with -json are the medians.
//
// Everything it starts it stops by process id, and it removes its files.
// All traffic goes to 127.0.0.1 and every loop is bounded in time.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	// The limits run as child processes of this same binary.
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "child-") {
		os.Exit(child(os.Args[1], os.Args[2:]))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	users       int
	conns       int
	logins      int
	runs        int
	duration    time.Duration
	bin         string
	contentDir  string
	databaseURL string
	jsonOut     string
	keep        bool
	profileDir  string
}

func run(args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.users, "users", 100000, "learners to seed (each gets 20 assignments: the report has users × 20 rows)")
	fs.IntVar(&o.conns, "conns", 64, "keep-alive connections per scenario")
	fs.IntVar(&o.logins, "logins", 8, "learners who sign in through the API (argon2); the other connections' learners get seeded logins")
	fs.IntVar(&o.runs, "runs", 3, "rounds of every scenario and limit, interleaved; the figures are their medians")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "how long each scenario and limit runs")
	fs.StringVar(&o.bin, "bin", "", "the upskill binary (default: go build ./cmd/upskill into the temp dir)")
	fs.StringVar(&o.contentDir, "content", "content", "the shipped content")
	fs.StringVar(&o.databaseURL, "database-url", "", "an empty PostgreSQL database on 127.0.0.1 (default: SQLite in the temp dir)")
	fs.StringVar(&o.jsonOut, "json", "", "write the medians to this file as JSON")
	fs.StringVar(&o.profileDir, "profile", "", "write the server's CPU profile of each scenario in each run to this folder (<scenario>-<run>.pprof; read with go tool pprof)")
	fs.BoolVar(&o.keep, "keep", false, "keep the temp dir (data, server log) for a look afterwards")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.users < 100 || o.conns < 1 || o.runs < 1 || o.duration <= 0 {
		fmt.Fprintln(stderr, "loadtest: want -users ≥ 100, -conns ≥ 1, -runs ≥ 1 and a positive -duration")
		return 2
	}
	if o.databaseURL != "" && !loopbackURL(o.databaseURL) {
		fmt.Fprintln(stderr, "loadtest: load is only ever pointed at this machine: the database URL must name 127.0.0.1")
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	started := time.Now()
	res, err := loadtest(ctx, o, stdout)
	if err != nil {
		fmt.Fprintln(stderr, "loadtest:", err)
		return 1
	}
	fmt.Fprintf(stdout, "\nwhole run: %s\n", time.Since(started).Round(time.Second))
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(stderr, "loadtest:", err)
			return 1
		}
	}
	return 0
}

func loopbackURL(u string) bool {
	return strings.Contains(u, "@127.0.0.1:") || strings.Contains(u, "@127.0.0.1/") || strings.Contains(u, "@localhost")
}

// Result holds the medians over the runs, under the names the issue gives.
type Result struct {
	ReadRPS           float64  `json:"read_rps"`
	ReadP99MS         float64  `json:"read_p99_ms"`
	BareGinRPS        float64  `json:"bare_gin_rps"`
	ReadVsBare        float64  `json:"read_vs_bare"`
	WriteRPS          float64  `json:"write_rps"`
	WriteP99MS        float64  `json:"write_p99_ms"`
	WriteErrors       float64  `json:"write_errors"`
	RawSQLiteRowsPerS float64  `json:"raw_sqlite_rows_per_s"`
	WriteVsRaw        float64  `json:"write_vs_raw"`
	QuizRPS           float64  `json:"quiz_rps"`
	QuizP99MS         float64  `json:"quiz_p99_ms"`
	QuizErrors        float64  `json:"quiz_errors"`
	VerifyRPS         float64  `json:"verify_rps"`
	VerifyVsBare      float64  `json:"verify_vs_bare"`
	ReportRows        float64  `json:"report_rows"`
	ReportSeconds     float64  `json:"report_seconds"`
	SQLite3CLISeconds *float64 `json:"sqlite3_cli_seconds"`
	ReportVsCLI       *float64 `json:"report_vs_cli"`
	ReportPeakRSSMB   float64  `json:"report_peak_rss_mb"`
	StartupFirstMS    float64  `json:"startup_first_ms"`
	StartupSecondMS   float64  `json:"startup_second_ms"`
	ServerPeakRSSMB   float64  `json:"server_peak_rss_mb"`
}

// figures collects one value per run for each named figure.
type figures map[string][]float64

func (f figures) add(name string, v float64) { f[name] = append(f[name], v) }

func (f figures) median(name string) float64 {
	v := slices.Clone(f[name])
	if len(v) == 0 {
		return 0
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

func (f figures) spread(name string) (lo, hi float64) {
	v := f[name]
	if len(v) == 0 {
		return 0, 0
	}
	return slices.Min(v), slices.Max(v)
}

func loadtest(ctx context.Context, o options, out io.Writer) (*Result, error) {
	dir, err := os.MkdirTemp("", "upskill-loadtest-")
	if err != nil {
		return nil, err
	}
	if o.keep {
		fmt.Fprintln(out, "keeping", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	h := &harness{o: o, dir: dir, out: out, figs: figures{}}
	defer h.stopAll()
	if err := h.prepare(ctx); err != nil {
		return nil, err
	}
	for r := 1; r <= o.runs; r++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fmt.Fprintf(out, "\n== run %d of %d\n", r, o.runs)
		if err := h.round(ctx, r); err != nil {
			return nil, fmt.Errorf("run %d: %w", r, err)
		}
	}
	res := h.result()
	h.printTable(res)
	return res, nil
}

func (h *harness) result() *Result {
	f := h.figs
	r := &Result{
		ReadRPS: f.median("read_rps"), ReadP99MS: f.median("read_p99_ms"), BareGinRPS: f.median("bare_gin_rps"),
		ReadVsBare: f.median("read_vs_bare"), WriteRPS: f.median("write_rps"), WriteP99MS: f.median("write_p99_ms"),
		WriteErrors: f.median("write_errors"), RawSQLiteRowsPerS: f.median("raw_sqlite_rows_per_s"),
		WriteVsRaw: f.median("write_vs_raw"), QuizRPS: f.median("quiz_rps"), QuizP99MS: f.median("quiz_p99_ms"),
		QuizErrors: f.median("quiz_errors"), VerifyRPS: f.median("verify_rps"), VerifyVsBare: f.median("verify_vs_bare"),
		ReportRows: f.median("report_rows"), ReportSeconds: f.median("report_seconds"),
		ReportPeakRSSMB: f.median("report_peak_rss_mb"), StartupFirstMS: f.median("startup_first_ms"),
		StartupSecondMS: f.median("startup_second_ms"), ServerPeakRSSMB: f.median("server_peak_rss_mb"),
	}
	if len(f["sqlite3_cli_seconds"]) > 0 {
		cli, ratio := f.median("sqlite3_cli_seconds"), f.median("report_vs_cli")
		r.SQLite3CLISeconds, r.ReportVsCLI = &cli, &ratio
	}
	return r
}

var tableRows = []struct{ name, target string }{
	{"read_rps", ""}, {"read_p99_ms", ""}, {"bare_gin_rps", ""}, {"read_vs_bare", "≥ 0.60"},
	{"write_rps", ""}, {"write_p99_ms", "≤ 30"}, {"write_errors", "= 0"}, {"raw_sqlite_rows_per_s", ""}, {"write_vs_raw", "≥ 0.30"},
	{"quiz_rps", "≥ 2000"}, {"quiz_p99_ms", ""}, {"quiz_errors", "= 0"},
	{"verify_rps", ""}, {"verify_vs_bare", "≥ 0.50"},
	{"report_rows", ""}, {"report_seconds", ""}, {"sqlite3_cli_seconds", ""}, {"report_vs_cli", "≤ 2.0"}, {"report_peak_rss_mb", "≤ 64"},
	{"startup_first_ms", ""}, {"startup_second_ms", "≤ 300"}, {"server_peak_rss_mb", "≤ 200"},
}

func (h *harness) printTable(_ *Result) {
	fmt.Fprintf(h.out, "\n%d learners, %d connections, %s per scenario, %d runs, %s\n\n", h.o.users, h.o.conns, h.o.duration, h.o.runs, h.dialect())
	fmt.Fprintf(h.out, "| %-22s | %12s | %25s | %-8s |\n", "figure", "median", "spread (min – max)", "target")
	fmt.Fprintf(h.out, "| %s | %s | %s | %s |\n", strings.Repeat("-", 22), strings.Repeat("-", 12), strings.Repeat("-", 25), strings.Repeat("-", 8))
	for _, row := range tableRows {
		if len(h.figs[row.name]) == 0 {
			fmt.Fprintf(h.out, "| %-22s | %12s | %25s | %-8s |\n", row.name, "—", "", row.target)
			continue
		}
		lo, hi := h.figs.spread(row.name)
		fmt.Fprintf(h.out, "| %-22s | %12s | %25s | %-8s |\n", row.name, num(h.figs.median(row.name)), num(lo)+" – "+num(hi), row.target)
	}
}

func num(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func (h *harness) dialect() string {
	if h.o.databaseURL != "" {
		return "PostgreSQL"
	}
	return "SQLite"
}

// mustAbs resolves p against the working directory.
func mustAbs(p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	return a
}
