package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
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
	if field, found := nulField(reflect.ValueOf(dst), ""); found {
		msg := `holds a NUL character (\u0000), which no text here may contain`
		return fault.BadField(fmt.Sprintf("field %q %s", field, msg), field, msg)
	}
	return nil
}

// nulField finds a decoded string (or map key) holding a NUL character and
// returns its JSON path. JSON may carry one as \u0000, but PostgreSQL
// refuses it in text, so it is refused here rather than failing as a 500.
func nulField(v reflect.Value, path string) (string, bool) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return nulField(v.Elem(), path)
		}
	case reflect.String:
		return path, strings.ContainsRune(v.String(), 0)
	case reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if p, ok := nulField(v.Field(i), joinPath(path, name)); ok {
				return p, true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if p, ok := nulField(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); ok {
				return p, true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			p := joinPath(path, fmt.Sprint(it.Key().Interface()))
			if strings.ContainsRune(p, 0) {
				return p, true
			}
			if p, ok := nulField(it.Value(), p); ok {
				return p, true
			}
		}
	}
	return "", false
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
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
		return fault.BadField(fmt.Sprintf("field %q %s", field, msg), field, msg)
	case strings.HasPrefix(err.Error(), fieldErr):
		field := strings.Trim(strings.TrimPrefix(err.Error(), fieldErr), `"`)
		return fault.BadField(fmt.Sprintf("unknown field %q", field), field, "unknown field")
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
