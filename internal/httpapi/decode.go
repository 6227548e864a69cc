package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/fault"
)

// decodeJSON reads the request body into dst strictly: the media type must
// be JSON, the body one JSON value with no unknown fields, no trailing data
// and the right types. Every failure is a client error naming what is wrong.
func decodeJSON(c *gin.Context, dst any) error {
	if err := requireMediaType(c, "application/json"); err != nil {
		return err
	}
	dec := json.NewDecoder(c.Request.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge(mbe.Limit)
		}
		return fault.New(fault.BadRequest, "malformed JSON: unexpected data after the JSON value")
	}
	return nil
}

func requireMediaType(c *gin.Context, want string) error {
	ct := c.GetHeader("Content-Type")
	if ct == "" {
		return fault.New(fault.Unsupported, "Content-Type must be %s", want)
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != want {
		return fault.New(fault.Unsupported, "Content-Type must be %s, not %q", want, ct)
	}
	return nil
}

func decodeError(err error) error {
	var (
		syntax   *json.SyntaxError
		typeErr  *json.UnmarshalTypeError
		tooBig   *http.MaxBytesError
		fieldErr = "json: unknown field "
	)
	switch {
	case errors.Is(err, io.EOF):
		return fault.New(fault.BadRequest, "request body is empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fault.New(fault.BadRequest, "malformed JSON: the body ends in the middle of a value")
	case errors.As(err, &syntax):
		return fault.New(fault.BadRequest, "malformed JSON at byte %d: %s", syntax.Offset, syntax.Error())
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "(body)"
		}
		msg := fmt.Sprintf("must be %s, not a JSON %s", jsonKind(typeErr.Type.Kind().String()), typeErr.Value)
		return &fault.Error{Code: fault.BadRequest, Message: fmt.Sprintf("field %q %s", field, msg),
			Fields: []fault.FieldError{{Field: field, Message: msg}}}
	case strings.HasPrefix(err.Error(), fieldErr):
		field := strings.Trim(strings.TrimPrefix(err.Error(), fieldErr), `"`)
		return &fault.Error{Code: fault.BadRequest, Message: fmt.Sprintf("unknown field %q", field),
			Fields: []fault.FieldError{{Field: field, Message: "unknown field"}}}
	case errors.As(err, &tooBig):
		return tooLarge(tooBig.Limit)
	default:
		return fault.New(fault.BadRequest, "malformed JSON: %v", err)
	}
}

func tooLarge(limit int64) error {
	return fault.New(fault.TooLarge, "request body is larger than the limit of %d bytes", limit)
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch kind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "map", "struct":
		return "an object"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer"
	case "float32", "float64":
		return "a number"
	default:
		return "a " + kind
	}
}
