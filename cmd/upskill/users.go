package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/upskill/upskill/internal/app/services"
	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
)

// cliAdmin is the actor of CLI changes: whoever runs the binary on the
// server already holds the database.
var cliAdmin = identity.Principal{Roles: identity.Roles{identity.RoleAdmin}}

func (e *env) usersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Create or import users, or set a password",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return usageError{errors.New("users needs a subcommand: create, import or set-password")}
		},
	}
	cmd.AddCommand(e.usersCreateCommand(), e.usersImportCommand(), e.usersSetPasswordCommand())
	return cmd
}

// withIdentity opens the existing database and the identity service (wired
// as serve wires it) for a command.
func (e *env) withIdentity(cmd *cobra.Command, fn func(ctx context.Context, ids *identity.Service) error) error {
	return e.withServices(cmd, func(ctx context.Context, s *services.Set) error {
		return fn(ctx, s.Identity)
	})
}

func (e *env) usersCreateCommand() *cobra.Command {
	var in identity.NewUser
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "create --email EMAIL --name NAME [--role ROLE]... [--password-stdin]",
		Short: "Create a user (reads a password from standard input with --password-stdin)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if in.Email == "" || in.Name == "" {
				return usageError{errors.New("--email and --name are required")}
			}
			if passwordStdin {
				pw, err := readPasswordLine(cmd)
				if err != nil {
					return err
				}
				in.Password = pw
			}
			return e.withIdentity(cmd, func(ctx context.Context, ids *identity.Service) error {
				u, err := ids.CreateUser(ctx, cliAdmin, in)
				if err != nil {
					return cliError(err)
				}
				fmt.Fprintf(e.stdout, "created %s %s (%s)\n", u.ID, u.Email, strings.Join(u.Roles, ","))
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&in.Email, "email", "", "email address (required)")
	f.StringVar(&in.Name, "name", "", "full name (required)")
	f.StringVar(&in.Department, "department", "", "department")
	f.StringVar(&in.EmployeeID, "employee-id", "", "employee id from the HR system")
	f.StringSliceVar(&in.Roles, "role", nil, "role: learner, trainer, hr or admin (repeatable; default learner)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	config.Bind(f)
	return cmd
}

// readPasswordLine reads a password from the first line of standard input.
func readPasswordLine(cmd *cobra.Command) (string, error) {
	line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("read the password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// usersSetPasswordCommand is the way back in when a password is lost, the
// first admin's included: it works on the database, without signing in.
func (e *env) usersSetPasswordCommand() *cobra.Command {
	var email string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "set-password --email EMAIL --password-stdin",
		Short: "Set a user's password (read from standard input), end their sessions and unlock their sign-in",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if email == "" || !passwordStdin {
				return usageError{errors.New("--email and --password-stdin are required (a password is never taken as an argument)")}
			}
			pw, err := readPasswordLine(cmd)
			if err != nil {
				return err
			}
			return e.withIdentity(cmd, func(ctx context.Context, ids *identity.Service) error {
				u, err := ids.SetPasswordByEmail(ctx, email, pw)
				if err != nil {
					return cliError(err)
				}
				fmt.Fprintf(e.stdout, "password set for %s %s; their sessions were ended\n", u.ID, u.Email)
				if u.Disabled {
					fmt.Fprintln(e.stdout, "note: this account is disabled; an admin or HR re-enables it with PATCH /api/v1/users/{id}")
				}
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&email, "email", "", "email address of the user (required)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the new password from the first line of standard input (required)")
	config.Bind(f)
	return cmd
}

func (e *env) usersImportCommand() *cobra.Command {
	var invite bool
	cmd := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Create or update users from a CSV file (email,name,department,employee_id[,roles]; other columns ignored; comma, semicolon or tab); all or nothing",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{errors.New("import takes exactly one CSV file")}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			return e.withIdentity(cmd, func(ctx context.Context, ids *identity.Service) error {
				res, err := ids.ImportCSVWith(ctx, cliAdmin, f, identity.ImportOptions{Invite: invite})
				if err != nil {
					return cliError(err)
				}
				fmt.Fprintf(e.stdout, "created %d, updated %d, unchanged %d\n", res.Created, res.Updated, res.Unchanged)
				if invite {
					fmt.Fprintf(e.stdout, "invited %d (the running server sends the mail)\n", res.Invited)
				}
				if len(res.IgnoredColumns) > 0 {
					fmt.Fprintf(e.stdout, "ignored columns: %s\n", strings.Join(res.IgnoredColumns, ", "))
				}
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&invite, "invite", false, "invite everyone the import creates by mail (needs UPSKILL_SMTP_URL)")
	config.Bind(cmd.Flags())
	return cmd
}

// cliError prints a domain error with its field or line details.
func cliError(err error) error {
	fe := fault.As(err)
	if fe.Code == fault.Internal {
		return err
	}
	var b strings.Builder
	b.WriteString(fe.Message)
	for _, f := range fe.Fields {
		if len(fe.Fields) == 1 && strings.Contains(fe.Message, f.Message) {
			break // the message already says it
		}
		switch {
		case f.Line > 0:
			fmt.Fprintf(&b, "\n  line %d: %s", f.Line, f.Message)
		case f.Field != "":
			fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
		}
	}
	return errors.New(b.String())
}
