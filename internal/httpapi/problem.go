package httpapi

import (
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/fault"
)

// ProblemTypeBase prefixes every problem type; the slug after it is stable
// and documented in api/openapi.yaml.
const ProblemTypeBase = "urn:upskill:problem:"

// statusOf is the one table from error codes to HTTP statuses.
var statusOf = map[fault.Code]int{
	fault.BadRequest:   http.StatusBadRequest,
	fault.Invalid:      http.StatusUnprocessableEntity,
	fault.Unauthorized: http.StatusUnauthorized,
	fault.Forbidden:    http.StatusForbidden,
	fault.NotFound:     http.StatusNotFound,
	fault.MethodDenied: http.StatusMethodNotAllowed,
	fault.Conflict:     http.StatusConflict,
	fault.TooLarge:     http.StatusRequestEntityTooLarge,
	fault.Unsupported:  http.StatusUnsupportedMediaType,
	fault.TooMany:      http.StatusTooManyRequests,
	fault.Gone:         http.StatusGone,
	fault.Unavailable:  http.StatusServiceUnavailable,
	fault.Internal:     http.StatusInternalServerError,
	fault.NotModified:  http.StatusNotModified,
}

// fail writes err as a problem and stops the handler chain. Internal errors
// are logged with their cause; the client sees a generic message.
func fail(c *gin.Context, err error) {
	e := fault.As(err)
	status, ok := statusOf[e.Code]
	if !ok {
		status = http.StatusInternalServerError
	}
	if status == http.StatusNotModified {
		c.AbortWithStatus(status)
		return
	}
	detail := e.Message
	if status >= 500 {
		loggerFrom(c).ErrorContext(c.Request.Context(), "request failed",
			slog.String("error", err.Error())) // the logger already carries request_id
		if e.Code == fault.Internal {
			detail = "an unexpected error occurred; quote the request id when reporting it"
		}
	}
	typ := e.Type
	if typ == "" {
		typ = strings.ReplaceAll(string(e.Code), "_", "-")
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="upskill"`)
	}
	if e.RetryAfter > 0 {
		secs := int(e.RetryAfter.Seconds() + 0.999)
		c.Header("Retry-After", strconv.Itoa(secs))
	}
	body := gin.H{
		"type":       ProblemTypeBase + typ,
		"title":      http.StatusText(status),
		"status":     status,
		"detail":     detail,
		"request_id": requestID(c),
	}
	if len(e.Fields) > 0 {
		body["errors"] = e.Fields
	}
	for k, v := range e.Ext {
		if _, taken := body[k]; !taken {
			body[k] = v
		}
	}
	writeJSON(c, status, "application/problem+json", body)
	c.Abort()
}

// writeJSON renders v with an explicit content type; gin's c.JSON would
// force application/json onto problems.
func writeJSON(c *gin.Context, status int, contentType string, v any) {
	c.Render(status, jsonRender{contentType: contentType, v: v})
}
