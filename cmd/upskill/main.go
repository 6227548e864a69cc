// Command upskill is the whole service in one binary: serve, migrate,
// content, users, report and version.
package main

import (
	"context"
	"os"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
