// Package httpapi is upskill's HTTP layer: the Gin router, middleware,
// problem+json errors and the handlers that translate HTTP to domain calls.
// The rules live in the domain packages; nothing here decides them.
package httpapi

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/evidence"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/learning"
	"github.com/upskill/upskill/internal/notify"
	"github.com/upskill/upskill/internal/outbox"
	"github.com/upskill/upskill/internal/policies"
	"github.com/upskill/upskill/internal/privacy"
	"github.com/upskill/upskill/internal/readiness"
	"github.com/upskill/upskill/internal/reports"
	"github.com/upskill/upskill/internal/store"
)

// Options configure the HTTP layer.
type Options struct {
	BaseURL        string
	CORSOrigins    []string
	TrustedProxies []string
	MaxBodyBytes   int64
	MetricsToken   string
	// OutboxGiveUp is how long a delivery an admin retries has to succeed.
	OutboxGiveUp time.Duration
	// MetricsPublic serves /metrics to anyone. Without it, /metrics needs
	// MetricsToken and is off (404) when no token is set.
	MetricsPublic bool
	// RefreshTTL is the refresh token's lifetime: the Max-Age of the
	// browser session cookie (default 30 days).
	RefreshTTL time.Duration
	// Web serves the browser app at / and its client routes; nil serves
	// the API alone.
	Web WebApp
	// OIDC configures single sign-on; a zero value leaves it off.
	OIDC OIDCOptions
}

// WebApp answers the browser app's pages and files. Serve returns false,
// having written nothing, for any request that is not the app's (every
// path under /api/, /scim/, /.well-known/ and the operations routes).
type WebApp interface {
	Serve(w http.ResponseWriter, r *http.Request) bool
}

// Deps are the domain services the handlers call.
type Deps struct {
	DB         *store.DB
	Log        *slog.Logger
	Identity   *identity.Service
	RecordKeys *keys.Set // published at /.well-known/jwks.json
	Catalog    *catalog.Service
	Learning   *learning.Service // progress, attempts, records, feedback
	// Assignments and Reports serve HR: due dates, standing rules, the
	// completions report and the summary.
	Assignments *assignments.Service
	Reports     *reports.Service
	// Outbox is woken when an admin retries a delivery; nil in processes
	// that do not deliver.
	Outbox *outbox.Dispatcher
	// Reminders holds people's notification settings.
	Reminders *notify.Service
	// Readiness serves pulses and the readiness and adoption reports.
	Readiness *readiness.Service
	// Evidence serves webhooks administration, the issuer, achievements
	// and Open Badges.
	Evidence *evidence.Service
	// Policies and Privacy: policy documents and acknowledgements; data
	// export, erasure and retention.
	Policies *policies.Service
	Privacy  *privacy.Service
}

// Server is the HTTP API. Build it with New and serve Handler.
type Server struct {
	Deps
	opt     Options
	engine  *gin.Engine
	metrics *metrics
	routes  []Route
	// oidc is the single sign-on relying party (nil: not configured);
	// scim serves /scim/v2 to provisioning tokens.
	oidc *oidcClient
	scim http.Handler
}

// Access says who may call a route.
type Access struct {
	Public bool     // no token needed
	Roles  []string // when not public: empty means any signed-in user
	// SCIM routes take a provisioning token, and only one: never an
	// access token (nor does the API take a provisioning token).
	SCIM bool
}

// Route is one entry of the routing table: the table is the single place
// that says which routes exist, who may call them and their body limits.
type Route struct {
	Method, Path string
	Access       Access
	MaxBody      int64 // 0: the server default
	// Query lists the query parameters a list route takes; any other, or
	// a malformed cursor, answers 400 naming it. nil: not checked.
	Query  []string
	handle gin.HandlerFunc
}

var (
	public    = Access{Public: true}
	signedIn  = Access{}
	scimToken = Access{SCIM: true}
)

func roles(r ...string) Access { return Access{Roles: r} }

func init() { gin.SetMode(gin.ReleaseMode) }

// New builds the server and its routes.
func New(opt Options, deps Deps) (*Server, error) {
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = 1 << 20
	}
	s := &Server{Deps: deps, opt: opt, metrics: newMetrics(deps.DB.Pools())}
	s.oidc = newOIDCClient(opt.OIDC, opt.BaseURL)
	if deps.Identity != nil {
		h, err := newSCIM(deps.Identity, opt.BaseURL, deps.Log)
		if err != nil {
			return nil, err
		}
		s.scim = h
	}
	s.routes = s.routeTable()

	e := gin.New()
	e.HandleMethodNotAllowed = true
	e.RedirectTrailingSlash = false
	e.RedirectFixedPath = false
	e.ContextWithFallback = true
	if err := e.SetTrustedProxies(opt.TrustedProxies); err != nil {
		return nil, err
	}
	limits := map[string]int64{}
	for _, r := range s.routes {
		if r.MaxBody > 0 {
			limits[r.Method+" "+ginPath(r.Path)] = r.MaxBody
		}
	}
	e.Use(withRequestID(deps.Log), recovery(), accessLog(deps.Log), s.metrics.middleware(),
		securityHeaders(strings.HasPrefix(opt.BaseURL, "https://")), cors(opt.CORSOrigins),
		storableURL(), limitBody(opt.MaxBodyBytes, limits))
	e.NoRoute(func(c *gin.Context) {
		if s.opt.Web != nil && s.opt.Web.Serve(c.Writer, c.Request) {
			return
		}
		fail(c, fault.New(fault.NotFound, "no route for %s %s", c.Request.Method, c.Request.URL.Path))
	})
	e.NoMethod(func(c *gin.Context) {
		fail(c, fault.New(fault.MethodDenied, "%s is not allowed on %s", c.Request.Method, c.Request.URL.Path))
	})
	for _, r := range s.routes {
		e.Handle(r.Method, ginPath(r.Path), s.guard(r), strictQuery(r.Query), r.handle)
	}
	s.engine = e
	return s, nil
}

// Handler returns the http.Handler to serve.
func (s *Server) Handler() http.Handler { return s.engine }

// Routes returns the routing table, for tests that walk every route.
func (s *Server) Routes() []Route { return s.routes }

// EngineRoutes lists what Gin actually registered, as "METHOD /path/{param}".
func (s *Server) EngineRoutes() []string {
	var out []string
	for _, r := range s.engine.Routes() {
		out = append(out, r.Method+" "+specPath(r.Path))
	}
	return out
}

// ginPath turns the OpenAPI form /a/{id} into Gin's /a/:id.
func ginPath(p string) string {
	parts := strings.Split(p, "/")
	for i, seg := range parts {
		if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
			parts[i] = ":" + seg[1:len(seg)-1]
		}
	}
	return strings.Join(parts, "/")
}

// specPath turns Gin's /a/:id back into /a/{id}.
func specPath(p string) string {
	parts := strings.Split(p, "/")
	for i, seg := range parts {
		if strings.HasPrefix(seg, ":") || strings.HasPrefix(seg, "*") {
			parts[i] = "{" + seg[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}
