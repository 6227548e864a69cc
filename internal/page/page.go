// Package page holds the list conventions of the API: a limit (default 50,
// at most 500) and an opaque cursor that continues after the last item.
package page

import (
	"bytes"
	"encoding/base64"
	"strconv"
	"unicode/utf8"

	"github.com/upskill/upskill/internal/fault"
)

const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Request is a page request.
type Request struct {
	Limit  int
	Cursor string // decoded: the key of the last item already seen
}

// ErrBadCursor answers a cursor that does not name a position this API
// handed out.
var ErrBadCursor = fault.BadField("cursor is not one this API issued", "cursor", "invalid cursor")

// OrDefault returns r with DefaultLimit when it sets no limit, as a
// request built in code rather than by Parse may not.
func (r Request) OrDefault() Request {
	if r.Limit <= 0 {
		r.Limit = DefaultLimit
	}
	return r
}

// Parse checks the raw limit and cursor query values.
func Parse(limit, cursor string) (Request, error) {
	r := Request{Limit: DefaultLimit}
	if limit != "" {
		n, err := strconv.Atoi(limit)
		if err != nil || n < 1 || n > MaxLimit {
			return r, fault.BadField("limit must be a whole number from 1 to 500", "limit", "must be 1–500")
		}
		r.Limit = n
	}
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		// Every key is text: one with invalid UTF-8 or a NUL could only be
		// forged, and PostgreSQL would refuse it as a query parameter.
		if err != nil || len(b) == 0 || !utf8.Valid(b) || bytes.IndexByte(b, 0) >= 0 {
			return r, ErrBadCursor
		}
		r.Cursor = string(b)
	}
	return r, nil
}

// Encode turns the key of the last item into the next_cursor value.
func Encode(key string) string {
	if key == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(key))
}

// Trim cuts a result fetched with Limit+1 rows down to Limit and returns the
// next cursor (empty on the last page), using key to name the last item.
func Trim[T any](items []T, limit int, key func(T) string) ([]T, string) {
	if len(items) <= limit {
		return items, ""
	}
	items = items[:limit]
	return items, Encode(key(items[len(items)-1]))
}
