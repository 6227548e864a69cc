package store

import (
	"fmt"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

// Time scans a nullable time column however the dialect returns it: a
// time from PostgreSQL, and from SQLite where the driver knows the
// column's declared type; else SQLite's text, in the formats the driver
// writes (an expression or a compound SELECT's column has no declared
// type).
type Time struct {
	Time  time.Time
	Valid bool // false for NULL
}

// Scan implements sql.Scanner.
func (t *Time) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*t = Time{}
	case time.Time:
		*t = Time{Time: v, Valid: true}
	case string:
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	default:
		return fmt.Errorf("store: cannot read %T as a time", src)
	}
	return nil
}

func (t *Time) parse(s string) error {
	s = strings.TrimSuffix(s, "Z")
	for _, f := range sqlite3.SQLiteTimestampFormats {
		if v, err := time.ParseInLocation(f, s, time.UTC); err == nil {
			*t = Time{Time: v, Valid: true}
			return nil
		}
	}
	return fmt.Errorf("store: %q is not a time", s)
}

// Ptr is the time, or nil for NULL: a fresh pointer on every call.
func (t Time) Ptr() *time.Time {
	if !t.Valid {
		return nil
	}
	v := t.Time
	return &v
}
