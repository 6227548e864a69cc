package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/upskill/upskill/internal/app/services"
	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/reports"
)

func (e *env) reportCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Export reports to standard output",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{errors.New("report needs a subcommand: completions")}
		},
	}
	cmd.AddCommand(e.reportCompletionsCommand())
	return cmd
}

// reportCompletionsCommand runs the same export as GET
// /api/v1/reports/completions, straight from the database, and audits it
// with an empty actor.
func (e *env) reportCompletionsCommand() *cobra.Command {
	var p reports.Params
	cmd := &cobra.Command{
		Use:   "completions [--format csv|json|xlsx] [--department D] [--module SLUG] [--status S] [--from T] [--to T] > FILE",
		Short: "Write the completions report (one row per user and module assigned or started) to standard output",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return e.withServices(cmd, func(ctx context.Context, s *services.Set) error {
				q, format, err := s.Reports.ParseParams(p)
				if err != nil {
					return usageError{cliError(err)}
				}
				n, err := s.Reports.ExportCompletions(ctx, "", q, format, e.stdout, nil)
				if err != nil {
					return fmt.Errorf("completions report (after %d rows): %w", n, err)
				}
				fmt.Fprintf(e.stderr, "upskill: wrote %d report rows (%s)\n", n, format)
				return nil
			})
		},
	}
	config.Bind(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&p.Format, "format", "csv", "csv, json or xlsx")
	f.StringVar(&p.Department, "department", "", "only this department")
	f.StringVar(&p.Module, "module", "", "only this module (slug)")
	f.StringVar(&p.Status, "status", "", "not_started, in_progress, completed, expired or overdue; several comma-separated")
	f.StringVar(&p.From, "from", "", "completed at or after (RFC 3339 time or YYYY-MM-DD)")
	f.StringVar(&p.To, "to", "", "completed before (RFC 3339 time), or on or before (YYYY-MM-DD)")
	return cmd
}
