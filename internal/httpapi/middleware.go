package httpapi

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/fault"
)

const (
	ctxRequestID = "upskill.request_id"
	ctxLogger    = "upskill.logger"
	ctxBaseLog   = "upskill.base_logger"
	ctxUserID    = "upskill.user_id"
	headerReqID  = "X-Request-ID"
)

// withRequestID takes the client's X-Request-ID when it is short and
// printable, else makes one, and echoes it on the response.
func withRequestID(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		id := c.GetHeader(headerReqID)
		if !acceptableRequestID(id) {
			id = newRequestID()
		}
		c.Set(ctxRequestID, id)
		// The request's logger (with its id) is made when something logs;
		// the access log writes the id itself.
		c.Set(ctxBaseLog, log)
		c.Header(headerReqID, id)
		c.Next()
	}
}

func acceptableRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

func newRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func requestID(c *gin.Context) string { return c.GetString(ctxRequestID) }

func loggerFrom(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	if b, ok := c.Get(ctxBaseLog); ok {
		l := b.(*slog.Logger).With(slog.String("request_id", requestID(c)))
		c.Set(ctxLogger, l)
		return l
	}
	return slog.Default()
}

// accessLog writes one line per request. Query strings are left out: they
// can carry search terms about people. It is cheap: no logger is made per
// request, and nothing is formatted when the level is off.
func accessLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		status := c.Writer.Status()
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		ctx := c.Request.Context()
		if !log.Enabled(ctx, level) {
			return
		}
		log.LogAttrs(ctx, level, "request",
			slog.String("request_id", requestID(c)),
			slog.String("method", c.Request.Method),
			slog.String("route", routeOf(c)),
			slog.String("path", c.Request.URL.Path),
			slog.Int("status", status),
			slog.Int("bytes", max(c.Writer.Size(), 0)),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("client_ip", c.ClientIP()),
			slog.String("user_id", c.GetString(ctxUserID)),
		)
	}
}

func routeOf(c *gin.Context) string {
	if p := c.FullPath(); p != "" {
		return p
	}
	return "unmatched"
}

// recovery turns a panic into a 500 problem; the stack goes to the log only.
func recovery() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			loggerFrom(c).ErrorContext(c.Request.Context(), "panic serving request",
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			if c.Writer.Written() {
				c.Abort()
				return
			}
			fail(c, fault.New(fault.Internal, "internal error"))
		}()
		c.Next()
	}
}

// limitBody caps the request body; routes may carry a larger or smaller
// limit of their own in limits, keyed by "METHOD /route/template".
func limitBody(def int64, limits map[string]int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		limit := def
		if l, ok := limits[c.Request.Method+" "+c.FullPath()]; ok {
			limit = l
		}
		if c.Request.ContentLength > limit {
			fail(c, tooLarge(limit))
			return
		}
		if c.Request.Body != nil {
			c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
		}
		c.Next()
	}
}

// storableURL refuses a path or query value that, once percent-decoded,
// holds a NUL character or invalid UTF-8. No id, slug or filter can, and
// PostgreSQL rejects such text as a query parameter: without this check the
// client would get a 500 instead of being told what is wrong.
func storableURL() gin.HandlerFunc {
	return func(c *gin.Context) {
		if !storable(c.Request.URL.Path) {
			fail(c, fault.New(fault.BadRequest, "the URL path holds a NUL character or invalid UTF-8"))
			return
		}
		for name, values := range c.Request.URL.Query() {
			bad := !storable(name)
			for _, v := range values {
				bad = bad || !storable(v)
			}
			if bad {
				msg := "holds a NUL character or invalid UTF-8"
				fail(c, fault.BadField(fmt.Sprintf("query parameter %q %s", name, msg), name, msg))
				return
			}
		}
		c.Next()
	}
}

// storable reports whether s can be stored and compared as text.
func storable(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// securityHeaders are safe defaults for a JSON API; asset and PDF handlers
// keep nosniff, which is what matters for them.
func securityHeaders(https bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Cache-Control", "no-store")
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		c.Next()
	}
}

// cors allows the configured origins and answers preflights itself.
func cors(origins []string) gin.HandlerFunc {
	any := slices.Contains(origins, "*")
	return func(c *gin.Context) {
		origin := c.GetHeader("Origin")
		if origin == "" || (!any && !slices.Contains(origins, origin)) {
			c.Next()
			return
		}
		h := c.Writer.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
		h.Set("Access-Control-Expose-Headers", "X-Request-ID, ETag, Location, Retry-After, Content-Disposition, WWW-Authenticate")
		if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE")
			h.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, If-None-Match, X-Request-ID")
			h.Set("Access-Control-Max-Age", strconv.Itoa(600))
			c.AbortWithStatus(http.StatusNoContent)
			return
		}
		c.Next()
	}
}

func bearerToken(c *gin.Context) (string, bool) {
	h := c.GetHeader("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", false
	}
	return strings.TrimSpace(tok), true
}
