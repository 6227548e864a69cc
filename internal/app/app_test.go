package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/upskill/upskill/internal/config"
)

func testConfig(t *testing.T) config.Config {
	t.Helper()
	dir := t.TempDir()
	fs := pflag.NewFlagSet("t", pflag.ContinueOnError)
	config.Bind(fs)
	cfg, err := config.Load(fs, func(k string) string {
		switch k {
		case "UPSKILL_DATA_DIR":
			return filepath.Join(dir, "data")
		case "UPSKILL_CONTENT_DIR":
			return ""
		case "UPSKILL_SHUTDOWN_TIMEOUT":
			return "5s"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// Shutdown stops accepting but lets a request already being served finish.
func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	cfg := testConfig(t)
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	entered := make(chan struct{})
	inner := a.Handler
	a.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" && r.URL.Query().Get("slow") == "1" {
			close(entered)
			time.Sleep(500 * time.Millisecond)
		}
		inner.ServeHTTP(w, r)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()

	url := "http://" + ln.Addr().String() + "/healthz"
	got := make(chan int, 1)
	go func() {
		res, err := http.Get(url + "?slow=1")
		if err != nil {
			t.Errorf("in-flight request failed: %v", err)
			got <- 0
			return
		}
		res.Body.Close()
		got <- res.StatusCode
	}()
	<-entered
	cancel()
	if code := <-got; code != http.StatusOK {
		t.Fatalf("in-flight request answered %d, want 200", code)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve returned %v", err)
	}
	if res, err := http.Get(url); err == nil {
		res.Body.Close()
		t.Fatal("server still accepts connections after shutdown")
	}
}
