package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"

	"github.com/upskill/upskill/internal/app"
	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/privacy"
	"github.com/upskill/upskill/internal/store"
)

func (e *env) retentionCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "retention", Short: "Apply the retention periods (UPSKILL_RETAIN_*)", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return usageError{errors.New("a subcommand is required")} }}
	var dryRun, apply bool
	run := &cobra.Command{
		Use:   "run --dry-run|--apply",
		Short: "List (--dry-run) or remove (--apply) what is past its retention period",
		Long: "retention run does what serve does once a day. With --dry-run it lists every answer, comment and\n" +
			"audit entry past its period and changes nothing; --apply removes exactly those (answers and comments\n" +
			"are emptied, audit entries reduced to who, what and when) and audits the run.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dryRun == apply {
				return usageError{errors.New("say --dry-run or --apply")}
			}
			return e.withDB(cmd, func(ctx context.Context, cfg config.Config, log *slog.Logger, db *store.DB) error {
				ret := app.RetentionOptions(cfg)
				if !ret.Enabled() {
					fmt.Fprintln(e.stdout, "no retention period is set (UPSKILL_RETAIN_ANSWERS, _COMMENTS, _AUDIT_DETAILS): everything is kept")
					return nil
				}
				svc := privacy.New(db, privacy.Options{Log: log, Retention: ret})
				return e.runRetention(ctx, svc, apply)
			})
		},
	}
	run.Flags().BoolVar(&dryRun, "dry-run", false, "list what would be removed, change nothing")
	run.Flags().BoolVar(&apply, "apply", false, "remove what is past its period")
	config.Bind(run.Flags())
	cmd.AddCommand(run)
	return cmd
}

func (e *env) runRetention(ctx context.Context, svc *privacy.Service, apply bool) error {
	now := time.Now()
	var due []privacy.Due
	var err error
	if apply {
		due, err = svc.ApplyRetention(ctx, now)
	} else {
		due, err = svc.RetentionPlan(ctx, now)
	}
	if err != nil {
		return err
	}
	for _, d := range due {
		fmt.Fprintln(e.stdout, d.String())
	}
	if apply {
		fmt.Fprintf(e.stdout, "removed %d\n", len(due))
	} else {
		fmt.Fprintf(e.stdout, "%d due (dry run: nothing changed)\n", len(due))
	}
	return nil
}
