package content

import (
	"strconv"
	"strings"
	"testing"
)

// keys returns the base front matter with extra lines appended (line 5 on).
func keys(extra ...string) string {
	return moduleFile(append(append([]string{}, baseKeys...), extra...)...)
}

func without(key string) string {
	var ls []string
	for _, l := range baseKeys {
		if !strings.HasPrefix(l, key+":") {
			ls = append(ls, l)
		}
	}
	return moduleFile(ls...)
}

func set(path, content string) func(map[string]string) {
	return func(f map[string]string) { f[path] = content }
}

func del(path string) func(map[string]string) {
	return func(f map[string]string) { delete(f, path) }
}

// TestProblems has one row per thing the validator reports, each expected
// to be the only problem, at an exact file and line.
func TestProblems(t *testing.T) {
	tests := []struct {
		name   string
		slug   string
		change func(map[string]string)
		file   string
		line   int
		msg    string
	}{
		// Front matter keys.
		{"missing title", "", set("module.md", without("title")), "module.md", 1, `missing required key "title"`},
		{"missing summary", "", set("module.md", without("summary")), "module.md", 1, `missing required key "summary"`},
		{"missing topics", "", set("module.md", without("topics")), "module.md", 1, `missing required key "topics"`},
		{"unknown key", "", set("module.md", keys("level: beginner", "author: Sam")), "module.md", 6, `unknown key "author"`},
		{"duplicate key", "", set("module.md", keys("title: Again")), "module.md", 5, `duplicate key "title" (first on line 1)`},
		{"no front matter", "", set("module.md", "# Working with AI\n"), "module.md", 1, "must start with front matter"},
		{"unclosed front matter", "", set("module.md", "---\ntitle: x\n"), "module.md", 1, "never closed"},
		{"yaml syntax", "", set("module.md", keys("level: beginner", " pass_mark: 3")), "module.md", 6, "not valid YAML"},
		{"front matter not a mapping", "", set("module.md", "---\n- a\n---\n"), "module.md", 2, "'key: value' lines"},
		{"missing module.md", "", del("module.md"), "module.md", 0, "missing module.md"},

		// Types and values.
		{"title not text", "", set("module.md", moduleFile("title: [a, b]", baseKeys[1], baseKeys[2])), "module.md", 2, "title must be text"},
		{"title empty", "", set("module.md", moduleFile("title: ''", baseKeys[1], baseKeys[2])), "module.md", 2, "title must not be empty"},
		{"title with NUL", "", set("module.md", moduleFile(`title: "Nul \0 title"`, baseKeys[1], baseKeys[2])), "module.md", 2, "title must not contain control characters"},
		{"summary with control", "", set("module.md", moduleFile(baseKeys[0], `summary: "a \x01 b"`, baseKeys[2])), "module.md", 3, "summary must not contain control characters"},
		{"summary too long", "", set("module.md", moduleFile(baseKeys[0], "summary: "+strings.Repeat("a", 301), baseKeys[2])), "module.md", 3, "301 characters; at most 300"},
		{"topics as a string", "", set("module.md", moduleFile(baseKeys[0], baseKeys[1], "topics: benefits")), "module.md", 4, "topics must be a list"},
		{"topics empty", "", set("module.md", moduleFile(baseKeys[0], baseKeys[1], "topics: []")), "module.md", 4, "at least one topic"},
		{"unknown topic", "", set("module.md", moduleFile(baseKeys[0], baseKeys[1], "topics:", "  - benefits", "  - robots")), "module.md", 6, `unknown topic "robots"`},
		{"topic twice", "", set("module.md", moduleFile(baseKeys[0], baseKeys[1], "topics: [roi, roi]")), "module.md", 4, `"roi" is listed twice`},
		{"unknown level", "", set("module.md", keys("level: expert")), "module.md", 5, `unknown level "expert"`},
		{"pass_mark not a number", "", set("module.md", keys(`pass_mark: "high"`)), "module.md", 5, `pass_mark is "high"`},
		{"pass_mark zero", "", set("module.md", keys("pass_mark: 0")), "module.md", 5, "whole percent from 1 to 100"},
		{"pass_mark over 100", "", set("module.md", keys("pass_mark: 101")), "module.md", 5, "whole percent from 1 to 100"},
		{"pass_mark fraction", "", set("module.md", keys("pass_mark: 80.5")), "module.md", 5, "whole percent"},
		{"max_attempts negative", "", set("module.md", keys("max_attempts: -1")), "module.md", 5, "0 or more"},
		{"minutes zero", "", set("module.md", keys("minutes: 0")), "module.md", 5, "at least 1"},
		{"valid_for weeks", "", set("module.md", keys("valid_for: 2w")), "module.md", 5, `valid_for is "2w"`},
		{"valid_for zero", "", set("module.md", keys("valid_for: 0d")), "module.md", 5, "valid_for"},
		{"valid_for number", "", set("module.md", keys("valid_for: 365")), "module.md", 5, "365d, 12mo or 2y"},
		{"valid_for huge", "", set("module.md", keys("valid_for: 99999999999999999999y")), "module.md", 5, "at most 100y"},
		{"prerequisites not a list", "", set("module.md", keys("prerequisites: ai-basics")), "module.md", 5, "prerequisites must be a list"},
		{"prerequisite bad slug", "", set("module.md", keys("prerequisites: [AI_Basics]")), "module.md", 5, `"AI_Basics" is not a module slug`},
		{"prerequisite itself", "", set("module.md", keys("prerequisites:", "  - working-with-ai")), "module.md", 6, "its own prerequisite"},
		{"module slug", "AI_Basics", nil, "module.md", 0, `module folder "AI_Basics"`},
		{"module slug short", "ai", nil, "module.md", 0, "3-64"},

		// Lessons.
		{"lesson without title", "", set("lessons/02-risks.md", "## Risks\n\n![A chart](../assets/chart.png)\n"), "lessons/02-risks.md", 0, "no title"},
		{"two lessons one number", "", set("lessons/02-more.md", "# More\n"), "lessons/02-risks.md", 0, "two lessons with number 2"},
		{"two lessons one slug", "", set("lessons/03-risks.md", "# Risks again\n"), "lessons/03-risks.md", 0, `two lessons with slug "risks"`},
		{"lesson name", "", set("lessons/risks.md", "# Risks\n"), "lessons/risks.md", 0, "lesson file name"},
		{"lesson name capitals", "", set("lessons/03-Risks.md", "# Risks\n"), "lessons/03-Risks.md", 0, "lesson file name"},
		{"lesson not markdown", "", set("lessons/03-notes.txt", "x"), "lessons/03-notes.txt", 0, "lesson file name"},
		{"no lessons", "", func(f map[string]string) {
			delete(f, "lessons/01-why-ai.md")
			delete(f, "lessons/02-risks.md")
			f["module.md"] = moduleFile(baseKeys...)[:strings.Index(moduleFile(baseKeys...), "An overview")]
		}, "lessons", 0, "at least one lesson"},
		{"unexpected file", "", set("notes.txt", "x"), "notes.txt", 0, "unexpected file"},
		{"unexpected folder", "", set("drafts/03-x.md", "x"), "drafts", 0, "unexpected folder"},

		// Links.
		{"broken link", "", set("lessons/01-why-ai.md", "# Why AI\n\nSee\n[the risks](03-risks.md).\n"), "lessons/01-why-ai.md", 4, "broken link: 03-risks.md"},
		{"broken image", "", set("lessons/02-risks.md", "# Risks\n\n![A chart](../assets/graph.png)\n"), "lessons/02-risks.md", 3, "broken link: ../assets/graph.png"},
		{"image of a lesson", "", set("lessons/02-risks.md", "# Risks\n\n![A chart](01-why-ai.md)\n"), "lessons/02-risks.md", 3, "no such image"},
		{"link out of module", "", set("lessons/02-risks.md", "# Risks\n\n[other](../../other/module.md)\n"), "lessons/02-risks.md", 3, "out of the module"},
		{"absolute path link", "", set("lessons/02-risks.md", "# Risks\n\n[x](/etc/passwd)\n"), "lessons/02-risks.md", 3, "relative to this file"},
		{"empty link", "", set("lessons/02-risks.md", "# Risks\n\n[x]()\n"), "lessons/02-risks.md", 3, "empty address"},
		{"broken link in module.md", "", set("module.md", keys("level: beginner")+"\n[x](lessons/09-gone.md)\n"), "module.md", 10, "broken link"},

		// Assets.
		{"asset bytes", "", set("assets/chart.png", "GIF89a......"), "assets/chart.png", 0, "not a png image"},
		{"asset type", "", set("assets/chart.svg", "<svg/>"), "assets/chart.svg", 0, ".png, .jpg"},
		{"asset name", "", set("assets/my chart.png", pngBytes), "assets/my chart.png", 0, "asset names"},
		{"asset too big", "", set("assets/big.png", pngBytes+strings.Repeat("x", 5<<20)), "assets/big.png", 0, "more than the 5242880 allowed"},

		// Quiz.
		{"no correct choice", "", set("quiz.md", "## Q?\n\n- [ ] a\n- [ ] b\n"), "quiz.md", 1, "no correct choice"},
		{"fewer than two choices", "", set("quiz.md", "# Quiz\n\n## Q?\n\n- [x] a\n"), "quiz.md", 3, "fewer than two choices"},
		{"every choice correct", "", set("quiz.md", "## Q?\n\n- [x] a\n- [x] b\n"), "quiz.md", 1, "every choice is correct"},
		{"no choices", "", set("quiz.md", "## Q?\n\nJust text.\n"), "quiz.md", 1, "no choices"},
		{"choice without box", "", set("quiz.md", "## Q?\n\n- [ ] a\n- [x] b\n- c\n"), "quiz.md", 5, "no [ ] or [x]"},
		{"second choice list", "", set("quiz.md", "## Q?\n\n- [ ] a\n- [x] b\n\n* [ ] c\n"), "quiz.md", 6, "second list of choices"},
		{"text after choices", "", set("quiz.md", "## Q?\n\n- [ ] a\n- [x] b\n\nMore text.\n"), "quiz.md", 6, "only a '> ' explanation"},
		{"empty question", "", set("quiz.md", goodQuiz+"\n##\n\n- [ ] a\n- [x] b\n"), "quiz.md", 8, "no text"},
		{"zero questions", "", set("quiz.md", "# Quiz\n\nNothing yet.\n"), "quiz.md", 0, "no questions"},
		{"draw larger than pool", "", set("quiz.md", "---\nshuffle: false\ndraw: 2\n---\n"+goodQuiz), "quiz.md", 3, "draw is 2 but the quiz has only 1"},
		{"draw zero", "", set("quiz.md", "---\ndraw: 0\n---\n"+goodQuiz), "quiz.md", 2, "at least 1"},
		{"shuffle not bool", "", set("quiz.md", "---\nshuffle: \"yes\"\n---\n"+goodQuiz), "quiz.md", 2, "true or false"},
		{"reveal unknown", "", set("quiz.md", "---\nreveal: always\n---\n"+goodQuiz), "quiz.md", 2, `reveal is "always"`},
		{"quiz unknown key", "", set("quiz.md", "---\npass_mark: 90\n---\n"+goodQuiz), "quiz.md", 2, `unknown key "pass_mark"`},
		{"quiz front matter unclosed", "", set("quiz.md", "---\ndraw: 1\n"+goodQuiz), "quiz.md", 1, "never closed"},
		{"quiz broken link", "", set("quiz.md", goodQuiz+"\n## Look at ![this](assets/nope.png)\n\n- [ ] a\n- [x] b\n"), "quiz.md", 8, "broken link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := sample()
			if tt.change != nil {
				tt.change(files)
			}
			slug := tt.slug
			if slug == "" {
				slug = "working-with-ai"
			}
			_, probs := parseMap(t, slug, files)
			if len(probs) != 1 {
				logProblems(t, probs)
				t.Fatalf("got %d problems, want exactly 1", len(probs))
			}
			p := probs[0]
			if p.File != tt.file || p.Line != tt.line || !strings.Contains(p.Message, tt.msg) {
				t.Errorf("got %s:%d: %s\nwant %s:%d: ...%s...", p.File, p.Line, p.Message, tt.file, tt.line, tt.msg)
			}
		})
	}
}

// TestEveryProblemAtOnce checks that problems in different files and keys
// are all reported in one pass, sorted by file and line.
func TestEveryProblemAtOnce(t *testing.T) {
	files := sample()
	files["module.md"] = moduleFile("title: x", "topics: [robots]", "pass_mark: 0", "colour: red")
	files["lessons/02-risks.md"] = "no title, [broken](x.md)\n"
	files["quiz.md"] = "## Q?\n\n- [ ] a\n- [ ] b\n"
	_, probs := parseMap(t, "working-with-ai", files)
	want := []string{
		"lessons/02-risks.md:0:", "lessons/02-risks.md:1:",
		"module.md:1:", "module.md:3:", "module.md:4:", "module.md:5:",
		"quiz.md:1:",
	}
	var got []string
	for _, p := range probs {
		got = append(got, p.File+":"+strconv.Itoa(p.Line)+":")
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		logProblems(t, probs)
		t.Errorf("got %v\nwant %v", got, want)
	}
}

// The commonest YAML mistake of trainers gets a hint on how to fix it.
func TestColonInTitleHint(t *testing.T) {
	files := sample()
	files["module.md"] = strings.Replace(files["module.md"], "title: ", "title: AI: ", 1)
	_, probs := parseMap(t, "working-with-ai", files)
	if len(probs) == 0 || !strings.Contains(probs[0].Message, `must be in double quotes`) || probs[0].File != "module.md" {
		t.Fatalf("problems = %+v", probs)
	}
}
