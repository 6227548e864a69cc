// Package fault is upskill's one application error type. Domain packages
// return *fault.Error values with a Code; the HTTP layer maps each Code to a
// status in exactly one table and writes RFC 9457 problem details.
package fault

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error independently of any transport.
type Code string

const (
	BadRequest   Code = "bad_request"   // the request itself is malformed
	Invalid      Code = "invalid"       // well-formed but fails validation
	Unauthorized Code = "unauthorized"  // no valid credentials
	Forbidden    Code = "forbidden"     // signed in, but the role may not do this
	NotFound     Code = "not_found"     // absent, or not visible to the caller
	Conflict     Code = "conflict"      // clashes with the current state
	TooLarge     Code = "too_large"     // body over the limit
	Unsupported  Code = "unsupported"   // wrong media type
	TooMany      Code = "too_many"      // throttled
	Gone         Code = "gone"          // existed, but is used up or expired for good
	Unavailable  Code = "unavailable"   // a dependency is down
	Internal     Code = "internal"      // a bug or an unexpected failure
	NotModified  Code = "not_modified"  // conditional request matched (never written as a problem)
	MethodDenied Code = "method_denied" // route exists, method does not
)

// FieldError names one input field that is wrong. Line is used for
// line-oriented input such as CSV imports.
type FieldError struct {
	Field   string `json:"field,omitempty"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

// Error is the application error. Message is safe to show to clients; Err is
// the underlying cause and is only logged.
type Error struct {
	Code    Code
	Type    string // problem type slug, e.g. "lessons-unfinished"; empty means derived from Code
	Message string
	Fields  []FieldError
	// Ext holds extra problem members, such as "problems" for content validation.
	Ext        map[string]any
	RetryAfter time.Duration
	Err        error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and a client-safe message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Typed returns an error with a specific problem type slug, for conflicts a
// client must tell apart (lessons unfinished, attempts used up...).
func Typed(code Code, typ, format string, args ...any) *Error {
	return &Error{Code: code, Type: typ, Message: fmt.Sprintf(format, args...)}
}

// Wrap marks an unexpected error as internal, keeping the cause for the log.
func Wrap(err error, format string, args ...any) *Error {
	return &Error{Code: Internal, Message: fmt.Sprintf(format, args...), Err: err}
}

// Ensure passes an application error through as it is and wraps any other
// (a database failure, say) as internal; nil stays nil. Domain services
// call it once on what a transaction returned, which may be either.
func Ensure(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return Wrap(err, format, args...)
}

// InvalidFields is a validation failure listing each bad field.
func InvalidFields(msg string, fields ...FieldError) *Error {
	return &Error{Code: Invalid, Message: msg, Fields: fields}
}

// BadField is a malformed request (400) with one bad field: msg says
// what is wrong in full, fieldMsg briefly for the field's entry in the
// errors list.
func BadField(msg, field, fieldMsg string) *Error {
	return &Error{Code: BadRequest, Message: msg, Fields: []FieldError{{Field: field, Message: fieldMsg}}}
}

// CodeOf returns the code of err, Internal for errors that are not *Error.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries code.
func Is(err error, code Code) bool { return err != nil && CodeOf(err) == code }

// As returns err as *Error, wrapping foreign errors as internal ones.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Code: Internal, Message: "internal error", Err: err}
}
