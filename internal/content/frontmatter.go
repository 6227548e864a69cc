package content

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// frontMatter is a file split at its YAML header. yaml holds the lines
// between the two "---" lines; body the Markdown after them; skip the number
// of lines before body, so body line n is file line n+skip.
type frontMatter struct {
	yaml  []byte
	body  []byte
	skip  int
	found bool
}

// splitFrontMatter finds front matter that starts on the first line.
// closed is false when the first line opens it and nothing closes it.
func splitFrontMatter(src []byte) (fm frontMatter, closed bool) {
	src = bytes.TrimPrefix(src, []byte("\xef\xbb\xbf")) // editors on Windows add a BOM
	first, rest, _ := bytes.Cut(src, []byte("\n"))
	if !isFence(first) {
		return frontMatter{body: src}, true
	}
	off, line := 0, 1
	for off < len(rest) {
		l, _, _ := bytes.Cut(rest[off:], []byte("\n"))
		line++
		next := min(off+len(l)+1, len(rest))
		if isFence(l) {
			return frontMatter{yaml: rest[:off], body: rest[next:], skip: line, found: true}, true
		}
		off = next
	}
	return frontMatter{body: src, found: true}, false
}

func isFence(l []byte) bool {
	return string(bytes.TrimRight(l, " \t\r")) == "---"
}

// yamlLine reads the line out of a yaml.v3 error ("yaml: line 3: ...").
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// fields walks front matter as a mapping, one callback per key, reporting
// what every front matter shares: syntax errors, non-mapping documents,
// duplicate and unknown keys. report takes lines of the YAML text; known
// maps a key to its decoder.
type fields struct {
	report func(line int, msg string)
	known  map[string]func(v *yaml.Node)
}

// walk returns the keys it saw with the line of each; ok is false when the
// front matter could not be read as keys at all, so that missing keys are
// not reported on top of the real problem.
func (f fields) walk(src []byte) (seen map[string]int, ok bool) {
	seen = map[string]int{}
	var root yaml.Node
	if err := decodeYAML(src, &root); err != nil {
		line, msg := 1, err.Error()
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = m[2]
		}
		if strings.Contains(msg, "mapping values are not allowed") {
			// The usual cause: a title or summary with ": " in it.
			msg += ` (a value containing ": " must be in double quotes, e.g. title: "AI: the basics")`
		}
		f.report(line, "front matter is not valid YAML: "+msg)
		return seen, false
	}
	if root.Kind == 0 || len(root.Content) == 0 {
		return seen, true // empty: missing keys are the caller's to report
	}
	doc := root.Content[0]
	if doc.Kind != yaml.MappingNode {
		f.report(doc.Line, "front matter must be a list of 'key: value' lines")
		return seen, false
	}
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		if first, dup := seen[k.Value]; dup {
			f.report(k.Line, fmt.Sprintf("duplicate key %q (first on line %d)", k.Value, first))
			continue
		}
		seen[k.Value] = k.Line
		decode, ok := f.known[k.Value]
		if !ok || k.Kind != yaml.ScalarNode {
			f.report(k.Line, fmt.Sprintf("unknown key %q", k.Value))
			continue
		}
		decode(v)
	}
	return seen, true
}

// decodeYAML guards against panics inside the YAML library: a trainer's
// typo must come back as a problem, never take the server down.
func decodeYAML(src []byte, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: %v", r)
		}
	}()
	return yaml.Unmarshal(src, n)
}

// Scalar readers: ok is false when v has the wrong type.

func yamlString(v *yaml.Node) (string, bool) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() == "!!null" {
		return "", false
	}
	return v.Value, true
}

func yamlInt(v *yaml.Node) (int, bool) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!int" {
		return 0, false
	}
	var n int
	if err := v.Decode(&n); err != nil {
		return 0, false
	}
	return n, true
}

func yamlBool(v *yaml.Node) (bool, bool) {
	if v.Kind != yaml.ScalarNode || v.ShortTag() != "!!bool" {
		return false, false
	}
	var b bool
	if err := v.Decode(&b); err != nil {
		return false, false
	}
	return b, true
}

// yamlStrings reads a list of text items; ok is false unless v is a list of
// scalars.
func yamlStrings(v *yaml.Node) ([]*yaml.Node, bool) {
	if v.Kind != yaml.SequenceNode {
		return nil, false
	}
	for _, item := range v.Content {
		if _, ok := yamlString(item); !ok {
			return nil, false
		}
	}
	return v.Content, true
}
