package content

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestQuizGolden parses each testdata/quiz/*.md as the quiz of a valid
// module and compares the Quiz with its .golden.json.
func TestQuizGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/quiz/*.md")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no quiz samples: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".md")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			files := sample()
			files["quiz.md"] = string(src)
			m, probs := parseMap(t, "working-with-ai", files)
			logProblems(t, probs)
			if len(probs) > 0 {
				t.Fatalf("%d problems", len(probs))
			}
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false) // goldens are for people to read
			enc.SetIndent("", "  ")
			if err := enc.Encode(m.Quiz); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
			golden := strings.TrimSuffix(in, ".md") + ".golden.json"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestQuizGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("quiz differs from %s (run with -update after checking):\n%s", golden, got)
			}
		})
	}
}
