package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// With UPSKILL_PPROF_ADDR the profiler answers on its own listener, and
// the API's listener does not serve it.
func TestProfilerOnItsOwnListener(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.PprofAddr = probe.Addr().String()
	probe.Close()
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	get := func(url string) (int, string) {
		t.Helper()
		var last error
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			res, err := http.Get(url)
			if err != nil {
				last = err
				continue
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			return res.StatusCode, string(body)
		}
		t.Fatalf("GET %s: %v", url, last)
		return 0, ""
	}
	if code, body := get("http://" + cfg.PprofAddr + "/debug/pprof/"); code != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Fatalf("profiler: %d %.200s", code, body)
	}
	// (the web app answers unknown paths with its page, so look at the body)
	if _, body := get("http://" + ln.Addr().String() + "/debug/pprof/"); strings.Contains(body, "goroutine") {
		t.Fatal("the API's listener serves the profiler")
	}
}
