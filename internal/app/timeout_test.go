package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// A client that trickles its headers or its body is cut off once the
// configured read timeouts pass, instead of holding a connection for as
// long as it likes. The timeouts are the settings, shortened here; the
// guard below only keeps a broken server from hanging the test.
func TestTrickledRequestsEnd(t *testing.T) {
	cfg := testConfig(t)
	cfg.ReadHeaderTimeout = 200 * time.Millisecond
	cfg.ReadTimeout = 400 * time.Millisecond
	a, err := Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx, ln) }()
	defer func() { cancel(); <-served }()

	for name, sent := range map[string]string{
		"headers": "GET /healthz HTTP/1.1\r\nHost: upskill.test\r\nX-Slow:",
		"body": "POST /api/v1/auth/login HTTP/1.1\r\nHost: upskill.test\r\nContent-Type: application/json\r\n" +
			"Content-Length: 1000\r\n\r\n{\"email\":",
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, sent); err != nil {
				t.Fatal(err)
			}
			// Never send the rest: the server must end the request itself.
			conn.SetReadDeadline(time.Now().Add(30 * time.Second))
			answer, err := io.ReadAll(conn)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("the server still waits for the rest of the %s", name)
			}
			if name == "body" && len(answer) > 0 && !strings.HasPrefix(string(answer), "HTTP/1.1 4") {
				t.Fatalf("a trickled body was answered %q", answer)
			}
		})
	}
}
