package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/upskill/upskill/internal/app"
	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/store"
)

func (e *env) backupCommand() *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Write a consistent copy of the SQLite database while the service runs",
		Long: "backup writes a consistent, compacted copy of the SQLite database to FILE (SQLite's VACUUM INTO),\n" +
			"safe while upskill serves. Back up the key files in the data dir as well. For PostgreSQL use pg_dump.",
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageError{errors.New("--out FILE is required")}
			}
			cfg, log, err := e.loadConfig(cmd)
			if err != nil {
				return err
			}
			if cfg.IsPostgres() {
				return errors.New("the database is PostgreSQL: back it up with pg_dump --format=custom")
			}
			if _, err := os.Stat(out); err == nil {
				return fmt.Errorf("%s exists; choose a new file name", out)
			}
			if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
				return err
			}
			db, err := e.openExisting(cmd.Context(), cfg, log)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := backupSQLite(db, out); err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "backed up %s to %s; keep %s and %s with it\n", app.DatabaseName(cfg), out, cfg.JWTKeyFile, cfg.RecordKeyFile)
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "file to write (must not exist)")
	config.Bind(cmd.Flags())
	return cmd
}

// backupSQLite copies the database with VACUUM INTO, which reads one
// consistent snapshot, then makes the copy private to its owner.
func backupSQLite(db *store.DB, out string) error {
	if strings.ContainsRune(out, 0) {
		return errors.New("invalid file name")
	}
	if err := db.W.Exec("VACUUM INTO ?", out).Error; err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return os.Chmod(out, 0o600)
}
