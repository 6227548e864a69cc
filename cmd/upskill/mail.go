package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/upskill/upskill/internal/app"
	"github.com/upskill/upskill/internal/app/services"
	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/mail"
	"github.com/upskill/upskill/internal/notify"
)

func (e *env) mailCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "mail", Short: "Check the mail relay", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return usageError{errors.New("a subcommand is required")} }}
	var to string
	test := &cobra.Command{
		Use:   "test --to ADDRESS",
		Short: "Send a test message through UPSKILL_SMTP_URL",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if to == "" {
				return usageError{errors.New("--to ADDRESS is required")}
			}
			cfg, _, err := e.loadConfig(cmd)
			if err != nil {
				return err
			}
			s, err := app.MailSettings(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			if s == nil {
				return errors.New("no mail relay is configured: set UPSKILL_SMTP_URL and UPSKILL_MAIL_FROM")
			}
			tpl, err := mail.LoadTemplates()
			if err != nil {
				return err
			}
			r, err := tpl.Render("test", mail.View{Org: cfg.OrgName, BaseURL: cfg.BaseURL, Name: to})
			if err != nil {
				return err
			}
			if err := mail.NewSender(*s, 30*time.Second).Send(cmd.Context(), "", to, r); err != nil {
				return fmt.Errorf("sending through %s: %w", s, err)
			}
			fmt.Fprintf(e.stdout, "sent a test message to %s through %s\n", to, s)
			return nil
		},
	}
	test.Flags().StringVar(&to, "to", "", "recipient address")
	config.Bind(test.Flags())
	cmd.AddCommand(test)
	return cmd
}

func (e *env) remindersCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "reminders", Short: "Plan and queue the daily reminder digests", Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return usageError{errors.New("a subcommand is required")} }}
	var dryRun, send bool
	run := &cobra.Command{
		Use:   "run --dry-run|--send",
		Short: "Work out today's digests; print them (--dry-run) or queue them for the server to send (--send)",
		Long: "reminders run plans today's digests as serve does at UPSKILL_DIGEST_HOUR. With --dry-run it prints\n" +
			"one line per person and writes nothing. With --send it queues them in the outbox, each person at most\n" +
			"once a day; the running server's outbox delivers them. It never sends mail itself.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dryRun == send {
				return usageError{errors.New("say --dry-run or --send")}
			}
			cfg, _, err := e.loadConfig(cmd)
			if err != nil {
				return err
			}
			if s, err := app.MailSettings(cmd.Context(), cfg); err != nil {
				return err
			} else if s == nil && send {
				return errors.New("no mail relay is configured (UPSKILL_SMTP_URL): digests queued now could never be sent")
			}
			return e.withServices(cmd, func(ctx context.Context, set *services.Set) error {
				return e.runReminders(ctx, set.Reminders, send)
			})
		},
	}
	run.Flags().BoolVar(&dryRun, "dry-run", false, "print the digests, queue nothing")
	run.Flags().BoolVar(&send, "send", false, "queue the digests for the server to send")
	config.Bind(run.Flags())
	cmd.AddCommand(run)
	return cmd
}

func (e *env) runReminders(ctx context.Context, svc *notify.Service, send bool) error {
	now := time.Now()
	digests, err := svc.Plan(ctx, now)
	if err != nil {
		return err
	}
	if !send {
		for _, d := range digests {
			fmt.Fprintln(e.stdout, d.Describe())
		}
		fmt.Fprintf(e.stdout, "%d digests for %s (dry run: nothing queued)\n", len(digests), svc.Day(now))
		return nil
	}
	n, err := svc.Enqueue(ctx, now, digests)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "queued %d digests for %s (%d people already had today's)\n", n, svc.Day(now), len(digests)-n)
	return nil
}
