package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/upskill/upskill/internal/app"
	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/store"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = ""

// usageError marks a mistake in the command line: exit status 2.
type usageError struct{ error }

// env carries what every command needs from the outside world.
type env struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

// run is the program: tests call it with their own arguments and streams.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	return runWithInput(ctx, args, getenv, os.Stdin, stdout, stderr)
}

// runWithInput is run with standard input given, for commands that read it.
func runWithInput(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	e := &env{getenv: getenv, stdout: stdout, stderr: stderr}
	root := e.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return 0
	}
	var ue usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command") || strings.HasPrefix(err.Error(), "unknown flag") {
		fmt.Fprintf(stderr, "upskill: %v\n\n%s", err, cmd.UsageString())
		return 2
	}
	var ex exitError
	if errors.As(err, &ex) {
		return ex.code
	}
	fmt.Fprintf(stderr, "upskill: %v\n", err)
	return 1
}

// exitError ends the program with a status and no further message.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

func (e *env) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "upskill",
		Short: "upskill: AI-readiness training for marketing teams",
		Long: "upskill serves training modules written in Markdown, tracks learners' progress and quizzes,\n" +
			"issues signed completion records, and gives HR assignments and reports.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageError{errors.New("a command is required")}
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(e.serveCommand(), e.migrateCommand(), e.versionCommand(), e.healthcheckCommand(), e.usersCommand(),
		e.contentCommand(), e.reportCommand(), e.backupCommand(), e.mailCommand(), e.remindersCommand(),
		e.retentionCommand())
	root.CompletionOptions.DisableDefaultCmd = true
	return root
}

func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		if cmd.HasSubCommands() {
			return fmt.Errorf("unknown command %q for %q", args[0], cmd.CommandPath())
		}
		return usageError{fmt.Errorf("%s takes no arguments", cmd.CommandPath())}
	}
	return nil
}

// loadConfig resolves the command's flags and the environment, and builds
// the logger.
func (e *env) loadConfig(cmd *cobra.Command) (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(cmd.Flags(), e.getenv)
	if err != nil {
		return cfg, nil, err
	}
	return cfg, app.NewLogger(e.stderr, cfg.LogFormat, cfg.LogLevel), nil
}

func (e *env) migrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations and exit (creates the database when there is none)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withNewDB(cmd, func(ctx context.Context, _ config.Config, db *store.DB) error {
				cur, _, err := db.SchemaVersion(ctx)
				if err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "schema version %d\n", cur)
				return nil
			})
		},
	}
	config.Bind(cmd.Flags())
	return cmd
}

func (e *env) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  noArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(e.stdout, "upskill", buildVersion())
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
