package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary act as the upskill binary, so a test can
// run the real program in a child process and kill it.
func TestMain(m *testing.M) {
	if os.Getenv("UPSKILL_TEST_AS_BINARY") == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// startChild runs "upskill serve" in a child process and returns its base
// URL.
func startChild(t *testing.T, dataDir string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "serve", "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "UPSKILL_TEST_AS_BINARY=1", "UPSKILL_DATA_DIR="+dataDir, "UPSKILL_CONTENT_DIR=",
		"UPSKILL_ADMIN_EMAIL=admin@example.com", "UPSKILL_ADMIN_PASSWORD=crash test admin passphrase")
	cmd.Env = append(cmd.Env, env...)
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				found <- "http://" + m[1]
			}
		}
	}()
	select {
	case base := <-found:
		return cmd, base
	case <-time.After(30 * time.Second):
		t.Fatal("child did not start")
	}
	return nil, ""
}

// An acknowledged write survives kill -9 of the process.
func TestAcknowledgedWriteSurvivesKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dataDir := filepath.Join(t.TempDir(), "data")
	cmd, base := startChild(t, dataDir)
	_, login := postJSON(t, base+"/api/v1/auth/login", `{"email":"admin@example.com","password":"crash test admin passphrase"}`, "")
	token, _ := login["access_token"].(string)
	if token == "" {
		t.Fatalf("login: %v", login)
	}
	const n = 20
	for i := range n {
		code, body := postJSON(t, base+"/api/v1/users", fmt.Sprintf(`{"email":"kept%d@example.com","name":"Kept %d"}`, i, i), token)
		if code != 201 {
			t.Fatalf("create %d: %d %v", i, code, body)
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no checkpoint
		t.Fatal(err)
	}
	cmd.Wait()

	_, base = startChild(t, dataDir)
	_, login = postJSON(t, base+"/api/v1/auth/login", `{"email":"admin@example.com","password":"crash test admin passphrase"}`, "")
	token, _ = login["access_token"].(string)
	req := must(t, base+"/api/v1/users?q=kept&limit=100", token)
	if got := strings.Count(req, `"email":"kept`); got != n {
		t.Fatalf("after kill -9, %d of %d acknowledged users are present", got, n)
	}
}

func must(t *testing.T, url, token string) string {
	t.Helper()
	req, _ := newGet(url, token)
	res, err := httpClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		b.WriteString(sc.Text())
	}
	return b.String()
}
