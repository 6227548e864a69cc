package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/upskill/upskill/internal/app"
	"github.com/upskill/upskill/internal/config"
)

func (e *env) serveCommand() *cobra.Command {
	var demo bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP API (imports the content dir and migrates first)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := e.loadConfig(cmd)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			start := time.Now()
			log.Info("starting upskill", append([]any{"version", buildVersion()}, cfg.LogAttrs()...)...)
			// The port is taken before anything else, so that a busy port
			// stops the start before a first admin's password is printed
			// (and lost with the failed start).
			ln, err := net.Listen("tcp", cfg.Addr)
			if err != nil {
				return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
			}
			defer ln.Close()
			a, err := app.Open(ctx, cfg, log)
			if err != nil {
				return err
			}
			defer a.Close()
			fmt.Fprintf(e.stderr, "upskill: database %s\n", app.DatabaseName(cfg))
			if err := a.Bootstrap(ctx, e.stderr, demo); err != nil {
				return err
			}
			log.Info("ready", "startup_ms", time.Since(start).Milliseconds())
			fmt.Fprintf(e.stderr, "upskill is listening on %s: open %s/ in a browser (API at %s/api/v1)\n", ln.Addr(), localURL(ln.Addr()), localURL(ln.Addr()))
			return a.Serve(ctx, ln)
		},
	}
	config.Bind(cmd.Flags())
	cmd.Flags().BoolVar(&demo, "demo", false, "also create one demo account per role and print their sign-ins (never in production)")
	return cmd
}

// localURL is a URL on this machine for the listener, for the start banner.
func localURL(addr net.Addr) string {
	host, port, _ := net.SplitHostPort(addr.String())
	if host == "" || host == "::" || host == "0.0.0.0" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

func (e *env) healthcheckCommand() *cobra.Command {
	var url string
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when the local server answers /healthz (for container health checks)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if url == "" {
				addr := e.getenv("UPSKILL_ADDR")
				if addr == "" {
					addr = ":8080"
				}
				_, port, err := net.SplitHostPort(addr)
				if err != nil {
					return fmt.Errorf("invalid UPSKILL_ADDR: %w", err)
				}
				url = "http://127.0.0.1:" + port + "/healthz"
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 3*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return err
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("unhealthy: %w", err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("unhealthy: %s answered %d", url, res.StatusCode)
			}
			fmt.Fprintln(e.stdout, "ok")
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "", "health URL (default http://127.0.0.1:<port of UPSKILL_ADDR>/healthz)")
	return cmd
}
