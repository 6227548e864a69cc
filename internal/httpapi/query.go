package httpapi

import (
	"fmt"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/fault"
)

// paged is the query parameters of a paged list route: its filters, then
// limit and cursor.
func paged(filters ...string) []string { return append(filters, "limit", "cursor") }

// strictQuery refuses a query parameter the route does not list, naming
// it: a typo (?departmnet=) must not silently widen a list to everything.
// Routes without a list (nil) are not checked.
func strictQuery(allowed []string) gin.HandlerFunc {
	if allowed == nil {
		return func(c *gin.Context) { c.Next() }
	}
	return func(c *gin.Context) {
		var unknown []string
		for name := range c.Request.URL.Query() {
			if !slices.Contains(allowed, name) {
				unknown = append(unknown, name)
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			takes := "no query parameters"
			if len(allowed) > 0 {
				takes = strings.Join(allowed, ", ")
			}
			fields := make([]fault.FieldError, len(unknown))
			for i, name := range unknown {
				fields[i] = fault.FieldError{Field: name, Message: "unknown query parameter"}
			}
			fail(c, &fault.Error{Code: fault.BadRequest, Fields: fields,
				Message: fmt.Sprintf("unknown query parameter %q; this route takes %s", unknown[0], takes)})
			return
		}
		c.Next()
	}
}
