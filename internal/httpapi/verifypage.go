package httpapi

import (
	"html/template"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/learning"
)

// verifyPage is what a person sees when they scan a certificate's QR code
// with a phone: the same verdict as the JSON, as a small page. Everything
// shown is escaped by html/template; the page loads nothing.
var verifyPage = template.Must(template.New("verify").Funcs(template.FuncMap{
	"date": func(t time.Time) string { return t.UTC().Format("2 January 2006") },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{if .Valid}}Valid{{else}}Not valid{{end}}: upskill completion record</title>
<style>
body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#1d2733}
.verdict{font-size:1.5rem;font-weight:700;padding:.75rem 1rem;border-radius:.5rem}
.ok{background:#e3f4e8;color:#125b2b}.bad{background:#fbe6e4;color:#8a1c12}
dt{font-weight:600;margin-top:.75rem}dd{margin:0}small{color:#5b6570}
</style></head><body>
<p class="verdict {{if .Valid}}ok{{else}}bad{{end}}">{{.Verdict}}</p>
{{with .Record}}<dl>
<dt>Holder</dt><dd>{{.HolderName}}</dd>
{{if eq .Kind "path"}}<dt>Learning path</dt><dd>{{.ModuleTitle}}</dd>{{else}}<dt>Module</dt><dd>{{.ModuleTitle}} (revision {{.Revision}})</dd>{{end}}
<dt>Issued</dt><dd>{{date .IssuedAt}}</dd>
<dt>Expires</dt><dd>{{if .ExpiresAt}}{{date .ExpiresAt}}{{else}}does not expire{{end}}</dd>
<dt>Record</dt><dd><small>{{.ID}}</small></dd>
</dl>{{end}}
<p><small>Checked against the issuer's published signing keys. Machines can ask for
this answer as JSON (Accept: application/json).</small></p>
</body></html>`))

var verdicts = map[string]string{
	learning.RecordValid:   "Valid: this completion record is genuine and current.",
	learning.RecordExpired: "Expired: this record is genuine but has passed its expiry date.",
	learning.RecordRevoked: "Revoked: this record was withdrawn by the issuer.",
}

// wantsHTML reports whether the client prefers a page to JSON: browsers
// ask for text/html first; API clients send application/json, */* or
// nothing and get JSON.
func wantsHTML(c *gin.Context) bool {
	return c.GetHeader("Accept") != "" &&
		c.NegotiateFormat(gin.MIMEJSON, gin.MIMEHTML) == gin.MIMEHTML
}

func renderVerifyPage(c *gin.Context, v learning.Verification) {
	verdict, ok := verdicts[v.Status]
	if !ok {
		verdict = "Not valid: this record's signature or contents do not check out."
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	c.Status(http.StatusOK)
	if err := verifyPage.Execute(c.Writer, struct {
		Valid   bool
		Verdict string
		Record  *learning.VerifiedFacts
	}{v.Valid, verdict, v.Record}); err != nil {
		loggerFrom(c).Warn("verify page", "error", err.Error())
	}
}
