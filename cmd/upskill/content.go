package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/policies"
)

const defaultContentDir = "content"

func (e *env) contentCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "content",
		Short: "Check, publish and start training modules written in Markdown",
		Long: "Training modules are folders of Markdown files (see content/README.md):\n" +
			"  lint    check modules and print every problem as file:line: message\n" +
			"  import  publish modules into the database\n" +
			"  new     create a module folder to start from",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError{errors.New("a content command is required: lint, import or new")}
		},
	}
	cmd.AddCommand(e.contentLintCommand(), e.contentImportCommand(), e.contentNewCommand())
	return cmd
}

// atMostOneArg is cobra.MaximumNArgs(1) as a usage error (exit status 2).
func atMostOneArg(cmd *cobra.Command, args []string) error {
	if len(args) > 1 {
		return usageError{fmt.Errorf("%s takes at most one folder", cmd.CommandPath())}
	}
	return nil
}

func (e *env) contentLintCommand() *cobra.Command {
	var strict bool
	cmd := &cobra.Command{
		Use:   "lint [DIR]",
		Short: "Check every module under DIR (default ./content), or the one module folder DIR; exit 1 on any problem",
		Long: "Checks every module folder under DIR (a folder holding module.md) the way publishing\n" +
			"does, prerequisites included, and prints each problem as file:line: message, sorted,\n" +
			"with files relative to DIR (line 0: the file as a whole). DIR may also be one module\n" +
			"folder: its prerequisites are then checked against the modules beside it. Warnings\n" +
			"(file:line: warning: message) do not stop a publish. Exits 1 when there is any problem,\n" +
			"or any warning with --strict, so it can guard a Git repository's CI.",
		Args: atMostOneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := defaultContentDir
			if len(args) == 1 {
				dir = args[0]
			}
			fi, err := os.Stat(dir)
			switch {
			case errors.Is(err, os.ErrNotExist):
				return fmt.Errorf("content lint: %s does not exist; name the content folder: upskill content lint DIR", dir)
			case err != nil || !fi.IsDir():
				return fmt.Errorf("content lint: %s is not a folder", dir)
			}
			opt := content.Options{APIBase: catalog.DefaultAPIBase}
			var mods []*content.Module
			var probs, warns []content.Problem
			if content.IsModuleDir(dir) {
				m, ps := content.LoadModuleDir(dir, opt)
				mods, probs, warns = []*content.Module{m}, ps, m.Warnings
			} else {
				mods, probs, warns = content.LoadRoot(dir, opt)
			}
			printFindings(e.stdout, probs, warns)
			summary := fmt.Sprintf("%s, %s, %s", plural(len(mods), "module"), plural(len(probs), "problem"), plural(len(warns), "warning"))
			switch {
			case len(probs) > 0:
				fmt.Fprintln(e.stderr, summary)
				return exitError{1}
			case len(mods) == 0:
				fmt.Fprintf(e.stderr, "no modules in %s: a module is a folder holding module.md\n", dir)
				return exitError{1}
			case strict && len(warns) > 0:
				fmt.Fprintln(e.stderr, summary+" (--strict fails on warnings)")
				return exitError{1}
			case len(warns) > 0:
				fmt.Fprintf(e.stdout, "%s, no problems, %s\n", plural(len(mods), "module"), plural(len(warns), "warning"))
				return nil
			}
			fmt.Fprintf(e.stdout, "%s, no problems\n", plural(len(mods), "module"))
			return nil
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "fail on warnings too")
	return cmd
}

func (e *env) contentImportCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "import [DIR]",
		Short: "Publish every module under DIR (default: the content dir setting) into the database",
		Long: "Publishes every module folder under DIR as a new revision, or leaves it as it is when\n" +
			"its files have not changed, and prints \"slug: revision N (new|unchanged)\" for each.\n" +
			"A module with problems is not published: its problems are printed as file:line: message\n" +
			"and the command exits 1 after publishing the others. DIR defaults to UPSKILL_CONTENT_DIR.\n" +
			"A module whose newest revision was published through the API is kept and reported\n" +
			"(\"slug: kept revision N ...\"), so the folder never silently replaces a trainer's work;\n" +
			"--force publishes the folder over it. The server's start-up import follows the same rule.",
		Args: atMostOneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, log, err := e.loadConfig(cmd)
			if err != nil {
				return err
			}
			dir := cfg.ContentDir
			if len(args) == 1 {
				dir = args[0]
			}
			if dir == "" {
				return usageError{errors.New("name the folder to import: upskill content import DIR")}
			}
			db, err := e.openExisting(cmd.Context(), cfg, log)
			if err != nil {
				return err
			}
			defer db.Close()
			results, err := catalog.New(db, catalog.Options{}).ImportDir(cmd.Context(), dir, catalog.ImportOptions{Force: force})
			failed := 0
			for _, r := range results {
				if len(r.Problems) > 0 {
					failed++
					printProblems(e.stderr, r.Problems)
					fmt.Fprintf(e.stdout, "%s: not published (%s)\n", r.Slug, plural(len(r.Problems), "problem"))
					continue
				}
				if r.Kept > 0 {
					fmt.Fprintf(e.stdout, "%s: kept revision %d, published through the API after %s; the folder was not published (use --force to publish it over that revision)\n",
						r.Slug, r.Kept, lastImport(r.LastImported))
					continue
				}
				state := "unchanged"
				if r.Created {
					state = "new"
				}
				fmt.Fprintf(e.stdout, "%s: revision %d (%s)\n", r.Slug, r.Revision, state)
			}
			if err != nil {
				return err
			}
			// Policies (policies/<slug>.md) are published alongside.
			if err := policies.New(db, policies.Options{Log: log}).ImportDir(cmd.Context(), dir); err != nil {
				return err
			}
			if failed > 0 {
				return exitError{1}
			}
			return nil
		},
	}
	config.Bind(cmd.Flags())
	cmd.Flags().BoolVar(&force, "force", false, "publish every folder, even over a revision published through the API")
	return cmd
}

func lastImport(rev int) string {
	if rev == 0 {
		return "no import of this folder"
	}
	return fmt.Sprintf("revision %d was imported", rev)
}

// printFindings prints problems and warnings together, sorted by file and
// line, so everything about one file is read in one place.
func printFindings(w io.Writer, probs, warns []content.Problem) {
	all := make([]content.Problem, 0, len(probs)+len(warns))
	all = append(all, probs...)
	for _, p := range warns {
		p.Message = "warning: " + p.Message
		all = append(all, p)
	}
	content.SortProblems(all)
	printProblems(w, all)
}

func printProblems(w io.Writer, probs []content.Problem) {
	for _, p := range probs {
		fmt.Fprintf(w, "%s:%d: %s\n", p.File, p.Line, p.Message)
	}
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func (e *env) contentNewCommand() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "new SLUG",
		Short: "Create a module folder with a documented module.md, a first lesson and a sample quiz",
		Long: "Creates DIR/SLUG with module.md (every setting explained), lessons/01-introduction.md\n" +
			"and quiz.md (one single-answer and one multiple-answer question). Replace the TODO\n" +
			"text, then check it with upskill content lint. An existing folder is never touched.",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{errors.New("name the new module: upskill content new SLUG")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			slug := args[0]
			if !content.ValidSlug(slug) {
				return fmt.Errorf("%q is not a module slug: use 3-64 lowercase letters, digits and single hyphens, e.g. prompt-basics", slug)
			}
			folder := filepath.Join(dir, slug)
			if err := scaffold(folder, slug); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "created %s: module.md, lessons/01-introduction.md, quiz.md\n", folder)
			fmt.Fprintf(e.stdout, "replace the TODO text, then run: upskill content lint %s\n", dir)
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", defaultContentDir, "folder that holds the modules")
	return cmd
}

// scaffold writes a new module into folder, which must not exist yet.
func scaffold(folder, slug string) error {
	if err := os.MkdirAll(filepath.Dir(folder), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(folder, 0o755); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists; choose another slug or edit that module", folder)
		}
		return err
	}
	if err := os.Mkdir(filepath.Join(folder, "lessons"), 0o755); err != nil {
		return err
	}
	for name, text := range map[string]string{
		"module.md":                  scaffoldModule,
		"lessons/01-introduction.md": scaffoldLesson,
		"quiz.md":                    scaffoldQuiz,
	} {
		if err := os.WriteFile(filepath.Join(folder, filepath.FromSlash(name)), []byte(text), 0o644); err != nil {
			return err
		}
	}
	return nil
}

const scaffoldModule = `---
# Settings of the module; content/README.md explains each in full.
# Put a value in double quotes when it contains ": ".

# Required. The module's name, shown everywhere.
title: "TODO: the module's title"
# Required. One or two sentences for the catalogue, at most 300 characters.
summary: "TODO: what learners will be able to do after this module."
# Required. One or more of: benefits, change, skills, pilots, roi, ethics,
# bias, privacy, communication, improvement.
topics: [skills]
# beginner (the default), intermediate or advanced.
level: beginner
# Whole minutes for the whole module. Leave it out to count the lessons'
# words at 200 a minute.
# minutes: 20
# The quiz score needed to pass: a whole percent from 1 to 100 (default 80).
pass_mark: 80
# How many times a learner may take the quiz; 0 (the default) is unlimited.
max_attempts: 0
# How long a completion stays valid: a number and d, mo or y (365d, 12mo,
# 2y). Leave it out and completions never expire.
# valid_for: 12mo
# Slugs (folder names) of modules to complete first, e.g. [ai-in-marketing].
prerequisites: []
---

TODO: the overview learners read before they start: who the module is for
and what they will learn.

Start with [the introduction](lessons/01-introduction.md).
`

const scaffoldLesson = `# Introduction

TODO: write the lesson. The first line starting with "# " is its title; use
"## " for sections. Aim for 5 to 10 minutes of reading (200 words a minute).

Lessons are shown in the order of their numbers: add the next one as
` + "`lessons/02-next-step.md`" + `. Put images in an assets/ folder next to
lessons/ and show them with ` + "`![a description](../assets/picture.png)`" + `.
`

const scaffoldQuiz = `---
# shuffle: true (the default) shows questions and choices in a new order in
# every attempt; false keeps this file's order.
shuffle: true
# draw: ask only this many questions, picked at random in each attempt.
# Leave it out to ask every question.
# draw: 2
# reveal: after_submit (the default) shows right and wrong answers and the
# explanations after submitting; never shows only the score.
reveal: after_submit
---

## TODO: a question with one right answer?

- [x] TODO: the right answer
- [ ] TODO: a wrong answer
- [ ] TODO: another wrong answer

> TODO: explain why the right answer is right.

## TODO: a question with several right answers? Choose all that apply.

- [x] TODO: a right answer
- [x] TODO: another right answer
- [ ] TODO: a wrong answer

> TODO: two or more [x] make a multiple-answer question: it counts as right
> only when exactly the right choices are ticked.
`
