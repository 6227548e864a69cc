package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/store"
)

// child runs one of the limits in a process of its own.
func child(mode string, args []string) int {
	var err error
	switch mode {
	case "child-bare-gin":
		err = bareGin(args)
	case "child-raw-sqlite":
		err = rawSQLite(args)
	default:
		err = fmt.Errorf("unknown mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest", mode+":", err)
		return 1
	}
	return 0
}

// response is one recorded response the bare-Gin limit replays.
type response struct {
	Header http.Header `json:"header"`
	Body   []byte      `json:"body"`
}

// bareGin serves the recorded responses, byte for byte, from a Gin engine
// with no middleware: what Gin itself costs for the same bytes.
func bareGin(args []string) error {
	fs := flag.NewFlagSet("bare-gin", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	file := fs.String("responses", "", "JSON file: path -> recorded response")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := os.ReadFile(*file)
	if err != nil {
		return err
	}
	var responses map[string]response
	if err := json.Unmarshal(b, &responses); err != nil {
		return err
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.GET("/healthz", func(c *gin.Context) { c.Status(http.StatusOK) })
	r.NoRoute(func(c *gin.Context) {
		rec, ok := responses[c.Request.URL.Path]
		if !ok {
			c.Status(http.StatusNotFound)
			return
		}
		h := c.Writer.Header()
		for k, v := range rec.Header {
			h[k] = v
		}
		c.Data(http.StatusOK, rec.Header.Get("Content-Type"), rec.Body)
	})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// rawSQLite commits one row per transaction for -duration through the
// service's own SQLite connection (its pragmas, its single writer), and
// prints how many rows it committed.
func rawSQLite(args []string) error {
	fs := flag.NewFlagSet("raw-sqlite", flag.ContinueOnError)
	path := fs.String("db", "", "SQLite file (created)")
	d := fs.Duration("duration", time.Second, "how long to insert")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx := context.Background()
	db, err := store.Open(ctx, *path, store.Options{})
	if err != nil {
		return err
	}
	defer db.Close()
	w, err := db.W.DB()
	if err != nil {
		return err
	}
	if _, err := w.Exec(`CREATE TABLE progress (user_id TEXT NOT NULL, module TEXT NOT NULL, lesson TEXT NOT NULL,
		seconds_spent INTEGER NOT NULL, completed_at DATETIME, updated_at DATETIME NOT NULL, PRIMARY KEY (user_id, module, lesson))`); err != nil {
		return err
	}
	// Statements are cached per connection, as the service's are.
	const insert = `INSERT INTO progress VALUES (?, ?, ?, ?, ?, ?)`
	rows := 0
	deadline := time.Now().Add(*d)
	start := time.Now()
	for time.Now().Before(deadline) {
		tx, err := w.Begin()
		if err != nil {
			return err
		}
		now := time.Now().UTC()
		if _, err := tx.Exec(insert, "user-"+strconv.Itoa(rows), "module", "lesson", 30, now, now); err != nil {
			_ = tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
		rows++
	}
	fmt.Printf("%d %f\n", rows, time.Since(start).Seconds())
	return nil
}
