// Package config resolves upskill's settings from command-line flags and
// UPSKILL_* environment variables. A flag beats its variable; every setting
// has a default here and a line in the README's configuration table.
package config

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Config is the effective configuration of one process.
type Config struct {
	Addr            string
	DataDir         string
	DatabaseURL     string
	ContentDir      string
	BaseURL         string
	AdminEmail      string
	AdminPassword   string // secret: never logged
	CORSOrigins     []string
	TrustedProxies  []string
	LogLevel        slog.Level
	LogFormat       string // auto, json, text
	ShutdownTimeout time.Duration
	MaxBodyBytes    int64
	MetricsToken    string // secret: when set, /metrics needs "Authorization: Bearer <token>"
	AccessTokenTTL  time.Duration
	RefreshTokenTTL time.Duration
	RefreshMaxAge   time.Duration
	// RefreshReuseGrace: a rotated refresh token presented again this soon
	// gets one sibling instead of ending the login; 0 turns it off.
	RefreshReuseGrace time.Duration
	JWTKeyFile        string
	JWTVerifyKeys     []string
	RecordKeyFile     string
	RecordOldKeys     []string
	// OutboxGiveUp is how long the outbox keeps retrying a delivery before
	// it marks it failed.
	OutboxGiveUp time.Duration
	// OutboxRetryBase is the wait after a delivery's first failure; it
	// doubles with each further failure, up to an hour.
	OutboxRetryBase time.Duration
	// SMTPURL is the mail relay (secret: may hold a password); empty means
	// no mail is sent. SMTPURLFile names a file holding it instead.
	SMTPURL     string
	SMTPURLFile string
	MailFrom    string
	OrgName     string
	// Reminders: digests go at DigestHour in Location; reminders come
	// RemindBeforeDue before a due date and RemindBeforeExpiry before a
	// record expires.
	DigestHour         int
	Location           *time.Location
	RemindBeforeDue    time.Duration
	RemindBeforeExpiry time.Duration
	// Retention (privacy): attempts' answers, feedback comments and audit
	// details are removed this long after they were written; zero keeps
	// them for ever.
	RetainAnswers, RetainComments, RetainAuditDetails time.Duration
	// MetricsPublic serves /metrics without a token; by default /metrics
	// needs MetricsToken and is off when no token is set.
	MetricsPublic bool
	// PprofAddr is a loopback address serving Go's profiler
	// (/debug/pprof/); empty serves none.
	PprofAddr string
	// ReadHeaderTimeout bounds how long a client may take to send a
	// request's headers; ReadTimeout the whole request, body included, so
	// a trickled body ends.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration

	// Single sign-on (OpenID Connect). OIDCIssuer empty: no single sign-on.
	OIDCIssuer           string
	OIDCClientID         string
	OIDCClientSecret     string // secret: never logged
	OIDCClientSecretFile string
	OIDCName             string
	OIDCDepartmentClaim  string
	OIDCEmailDomains     []string
	OIDCTrustEmail       bool
	// PasswordLogin false turns passwords off for everyone but
	// BreakGlassAdmin.
	PasswordLogin   bool
	BreakGlassAdmin string
	// Evidence out (internal/evidence, internal/outbound).
	// OutboundAllow lists hosts, addresses and CIDR networks outbound calls
	// (webhooks, the LRS) may reach although not public, over http too.
	OutboundAllow string
	// XAPIEndpoint is the LRS (empty: no xAPI); XAPIPassword is a secret.
	XAPIEndpoint string
	XAPIUsername string
	XAPIPassword string
	// XAPIActorEmail names learners by email in statements (default: an
	// account of base URL and user id).
	XAPIActorEmail bool
	// BadgeKeyFile is the RSA key signing Open Badges credentials.
	BadgeKeyFile string
}

// setting describes one configuration value: its flag, its variable, its
// default and how to apply a raw string to the Config.
type setting struct {
	flag, env, def, help string
	apply                func(c *Config, v string) error
}

var settings = []setting{
	{"addr", "UPSKILL_ADDR", ":8080", "listen address", func(c *Config, v string) error {
		_, port, err := net.SplitHostPort(v)
		if err != nil {
			return fmt.Errorf("want host:port, e.g. :8080")
		}
		// Checked here rather than found out at listen time, after the
		// database was migrated and a first admin created.
		if _, err := net.LookupPort("tcp", port); port == "" || err != nil {
			return fmt.Errorf("want host:port with a port from 0 to 65535, e.g. :8080; not port %q", port)
		}
		c.Addr = v
		return nil
	}},
	{"data-dir", "UPSKILL_DATA_DIR", "./data", "directory for the SQLite file and generated keys", nonEmpty(func(c *Config, v string) { c.DataDir = v })},
	{"database-url", "UPSKILL_DATABASE_URL", "", "SQLite path or postgres:// URL (default <data-dir>/upskill.db)", func(c *Config, v string) error {
		// Anything else is a SQLite path, so a mistyped URL (mysql://…,
		// postgress://…) would quietly start on a new, empty SQLite file
		// named after it. The value may hold a password: never echo it.
		if scheme, _, ok := strings.Cut(v, "://"); ok && !IsPostgresURL(v) {
			if len(scheme) > 20 {
				scheme = scheme[:20] + "…"
			}
			return fmt.Errorf("want a SQLite file path or a postgres:// URL, not a %q URL", scheme+"://")
		}
		c.DatabaseURL = v
		return nil
	}},
	{"content-dir", "UPSKILL_CONTENT_DIR", "./content", "modules imported at start (empty: none)", func(c *Config, v string) error {
		c.ContentDir = v
		return nil
	}},
	{"base-url", "UPSKILL_BASE_URL", "http://localhost:8080", "public URL; issuer of tokens and records", func(c *Config, v string) error {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("want an absolute http(s) URL")
		}
		c.BaseURL = strings.TrimRight(v, "/")
		return nil
	}},
	{"admin-email", "UPSKILL_ADMIN_EMAIL", "", "first start: the admin's email", func(c *Config, v string) error {
		c.AdminEmail = v
		return nil
	}},
	{"admin-password", "UPSKILL_ADMIN_PASSWORD", "", "first start: the admin's password", func(c *Config, v string) error {
		c.AdminPassword = v
		return nil
	}},
	{"cors-origins", "UPSKILL_CORS_ORIGINS", "", "comma-separated origins allowed by CORS", func(c *Config, v string) error {
		c.CORSOrigins = splitList(v)
		for _, o := range c.CORSOrigins {
			u, err := url.Parse(o)
			if o != "*" && (err != nil || u.Scheme == "" || u.Host == "" || u.Path != "") {
				return fmt.Errorf("%q is not an origin like https://app.example.com", o)
			}
		}
		return nil
	}},
	{"trusted-proxies", "UPSKILL_TRUSTED_PROXIES", "", "comma-separated proxy IPs/CIDRs whose X-Forwarded-For is believed", func(c *Config, v string) error {
		c.TrustedProxies = splitList(v)
		for _, p := range c.TrustedProxies {
			if net.ParseIP(p) == nil {
				if _, _, err := net.ParseCIDR(p); err != nil {
					return fmt.Errorf("%q is neither an IP nor a CIDR", p)
				}
			}
		}
		return nil
	}},
	{"log-level", "UPSKILL_LOG_LEVEL", "info", "debug, info, warn or error", func(c *Config, v string) error {
		return c.LogLevel.UnmarshalText([]byte(v))
	}},
	{"log-format", "UPSKILL_LOG_FORMAT", "auto", "auto (JSON unless on a terminal), json or text", oneOf(func(c *Config, v string) { c.LogFormat = v }, "auto", "json", "text")},
	{"smtp-url", "UPSKILL_SMTP_URL", "", "mail relay: smtp://user:pass@host:587 (STARTTLS), smtps://…:465, ?tls=none for a local relay; empty: no mail", func(c *Config, v string) error {
		c.SMTPURL = v
		return nil
	}},
	{"smtp-url-file", "UPSKILL_SMTP_URL_FILE", "", "file holding UPSKILL_SMTP_URL (a secret)", func(c *Config, v string) error {
		c.SMTPURLFile = v
		return nil
	}},
	{"mail-from", "UPSKILL_MAIL_FROM", "", "sender of mail, e.g. \"Training <training@example.com>\" (required with a mail relay)", func(c *Config, v string) error {
		c.MailFrom = v
		return nil
	}},
	{"org-name", "UPSKILL_ORG_NAME", "Your company", "the company's name in mail", nonEmpty(func(c *Config, v string) { c.OrgName = v })},
	{"digest-hour", "UPSKILL_DIGEST_HOUR", "8", "local hour (0-23) when the daily reminder digests go out", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 23 {
			return fmt.Errorf("want an hour from 0 to 23")
		}
		c.DigestHour = n
		return nil
	}},
	{"timezone", "UPSKILL_TIMEZONE", "UTC", "the company's IANA time zone for digests, e.g. Europe/London", func(c *Config, v string) error {
		loc, err := time.LoadLocation(v)
		if err != nil {
			return fmt.Errorf("want an IANA time zone such as Europe/London")
		}
		c.Location = loc
		return nil
	}},
	{"remind-before-due", "UPSKILL_REMIND_BEFORE_DUE", "3d", "remind this long before a due date (e.g. 3d, 36h)", days(func(c *Config, d time.Duration) { c.RemindBeforeDue = d })},
	{"remind-before-expiry", "UPSKILL_REMIND_BEFORE_EXPIRY", "30d", "remind this long before a record expires", days(func(c *Config, d time.Duration) { c.RemindBeforeExpiry = d })},
	{"outbox-retry-base", "UPSKILL_OUTBOX_RETRY_BASE", "30s", "wait after a delivery's first failure; doubles per failure up to 1h", duration(func(c *Config, d time.Duration) { c.OutboxRetryBase = d })},
	{"outbox-give-up", "UPSKILL_OUTBOX_GIVE_UP", "48h", "how long outbound deliveries (mail) are retried before they are marked failed", duration(func(c *Config, d time.Duration) { c.OutboxGiveUp = d })},
	{"shutdown-timeout", "UPSKILL_SHUTDOWN_TIMEOUT", "15s", "how long in-flight requests may finish on shutdown", duration(func(c *Config, d time.Duration) { c.ShutdownTimeout = d })},
	{"max-body-bytes", "UPSKILL_MAX_BODY_BYTES", "1048576", "default request body limit", func(c *Config, v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1024 {
			return fmt.Errorf("want a byte count of at least 1024")
		}
		c.MaxBodyBytes = n
		return nil
	}},
	{"metrics-token", "UPSKILL_METRICS_TOKEN", "", "when set, /metrics requires this bearer token", func(c *Config, v string) error {
		c.MetricsToken = v
		return nil
	}},
	{"access-token-ttl", "UPSKILL_ACCESS_TOKEN_TTL", "15m", "lifetime of access tokens", duration(func(c *Config, d time.Duration) { c.AccessTokenTTL = d })},
	{"refresh-token-ttl", "UPSKILL_REFRESH_TOKEN_TTL", "720h", "lifetime of refresh tokens", duration(func(c *Config, d time.Duration) { c.RefreshTokenTTL = d })},
	{"refresh-max-age", "UPSKILL_REFRESH_MAX_AGE", "2160h", "absolute lifetime of a login however often it is refreshed (90 days)", duration(func(c *Config, d time.Duration) { c.RefreshMaxAge = d })},
	{"refresh-reuse-grace", "UPSKILL_REFRESH_REUSE_GRACE", "10s", "a rotated refresh token presented again this soon gets one sibling token (two tabs refreshing together); 0 turns it off", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return fmt.Errorf("want a duration such as 10s, or 0 for none")
		}
		c.RefreshReuseGrace = d
		return nil
	}},
	{"jwt-key-file", "UPSKILL_JWT_KEY_FILE", "", "Ed25519 PEM key signing access tokens (default <data-dir>/jwt-signing.pem, generated)", func(c *Config, v string) error {
		c.JWTKeyFile = v
		return nil
	}},
	{"jwt-verify-key-files", "UPSKILL_JWT_VERIFY_KEY_FILES", "", "comma-separated extra PEM keys that still verify access tokens (rotation)", func(c *Config, v string) error {
		c.JWTVerifyKeys = splitList(v)
		return nil
	}},
	{"record-key-file", "UPSKILL_RECORD_KEY_FILE", "", "Ed25519 PEM key signing completion records (default <data-dir>/record-signing.pem, generated)", func(c *Config, v string) error {
		c.RecordKeyFile = v
		return nil
	}},
	{"record-retired-key-files", "UPSKILL_RECORD_RETIRED_KEY_FILES", "", "comma-separated retired record keys still published in the JWKS", func(c *Config, v string) error {
		c.RecordOldKeys = splitList(v)
		return nil
	}},
	{"metrics-public", "UPSKILL_METRICS_PUBLIC", "false", "serve /metrics without a token (only on a listener nobody else reaches)", boolean(func(c *Config, b bool) { c.MetricsPublic = b })},
	{"pprof-addr", "UPSKILL_PPROF_ADDR", "", "a loopback address (such as 127.0.0.1:6060) serving Go's profiler at /debug/pprof/; empty serves none", func(c *Config, v string) error {
		if v == "" {
			c.PprofAddr = ""
			return nil
		}
		host, _, err := net.SplitHostPort(v)
		if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
			return fmt.Errorf("want a loopback host and port such as 127.0.0.1:6060: the profiler shows the process's memory and must not be reachable from the network")
		}
		c.PprofAddr = v
		return nil
	}},
	{"read-header-timeout", "UPSKILL_READ_HEADER_TIMEOUT", "10s", "how long a client may take to send a request's headers", duration(func(c *Config, d time.Duration) { c.ReadHeaderTimeout = d })},
	{"read-timeout", "UPSKILL_READ_TIMEOUT", "60s", "how long a client may take to send a whole request, body included", duration(func(c *Config, d time.Duration) { c.ReadTimeout = d })},

	// Single sign-on and password login.
	{"oidc-issuer", "UPSKILL_OIDC_ISSUER", "", "OpenID Connect issuer URL for single sign-on (empty: none)", func(c *Config, v string) error {
		if v != "" {
			u, err := url.Parse(v)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("want the issuer's absolute https URL")
			}
		}
		c.OIDCIssuer = v
		return nil
	}},
	{"oidc-client-id", "UPSKILL_OIDC_CLIENT_ID", "", "client id registered with the identity provider", func(c *Config, v string) error {
		c.OIDCClientID = v
		return nil
	}},
	{"oidc-client-secret", "UPSKILL_OIDC_CLIENT_SECRET", "", "client secret (a secret)", func(c *Config, v string) error {
		c.OIDCClientSecret = v
		return nil
	}},
	{"oidc-client-secret-file", "UPSKILL_OIDC_CLIENT_SECRET_FILE", "", "file holding UPSKILL_OIDC_CLIENT_SECRET", func(c *Config, v string) error {
		c.OIDCClientSecretFile = v
		return nil
	}},
	{"oidc-name", "UPSKILL_OIDC_NAME", "your company account", "the provider's name on the sign-in button (\"Sign in with <name>\")", nonEmpty(func(c *Config, v string) { c.OIDCName = v })},
	{"oidc-department-claim", "UPSKILL_OIDC_DEPARTMENT_CLAIM", "", "ID token claim holding the department of a person created at first sign-in", func(c *Config, v string) error {
		c.OIDCDepartmentClaim = v
		return nil
	}},
	{"oidc-email-domains", "UPSKILL_OIDC_EMAIL_DOMAINS", "", "comma-separated email domains whose existing accounts a first sign-in may link to by verified email", func(c *Config, v string) error {
		c.OIDCEmailDomains = nil
		for _, d := range splitList(v) {
			c.OIDCEmailDomains = append(c.OIDCEmailDomains, strings.ToLower(strings.TrimPrefix(d, "@")))
		}
		return nil
	}},
	{"oidc-trust-email", "UPSKILL_OIDC_TRUST_EMAIL", "false", "treat the issuer's emails as verified when the email_verified claim is missing (Entra ID)", boolean(func(c *Config, b bool) { c.OIDCTrustEmail = b })},
	{"password-login", "UPSKILL_PASSWORD_LOGIN", "true", "false: only UPSKILL_BREAK_GLASS_ADMIN may sign in with a password", boolean(func(c *Config, b bool) { c.PasswordLogin = b })},
	{"break-glass-admin", "UPSKILL_BREAK_GLASS_ADMIN", "", "the one admin email that keeps password sign-in when UPSKILL_PASSWORD_LOGIN=false", func(c *Config, v string) error {
		c.BreakGlassAdmin = strings.ToLower(v)
		return nil
	}},
	// Evidence out: webhooks, xAPI, Open Badges.
	{"outbound-allow", "UPSKILL_OUTBOUND_ALLOW", "", "comma-separated hosts, IPs and CIDRs that webhooks and the LRS may reach although private or loopback (http allowed to them too)", func(c *Config, v string) error {
		c.OutboundAllow = v
		return nil
	}},
	{"xapi-endpoint", "UPSKILL_XAPI_ENDPOINT", "", "xAPI 1.0.3 Learning Record Store endpoint (statements are PUT to <endpoint>/statements); empty: no xAPI", func(c *Config, v string) error {
		if v != "" {
			u, err := url.Parse(v)
			if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
				return fmt.Errorf("want an absolute http(s) URL")
			}
		}
		c.XAPIEndpoint = v
		return nil
	}},
	{"xapi-username", "UPSKILL_XAPI_USERNAME", "", "LRS Basic auth user (key)", func(c *Config, v string) error {
		c.XAPIUsername = v
		return nil
	}},
	{"xapi-password", "UPSKILL_XAPI_PASSWORD", "", "LRS Basic auth password (secret)", func(c *Config, v string) error {
		c.XAPIPassword = v
		return nil
	}},
	{"xapi-actor-email", "UPSKILL_XAPI_ACTOR_EMAIL", "false", "identify learners in xAPI statements by email (mbox) instead of an account of base URL and user id", boolean(func(c *Config, b bool) { c.XAPIActorEmail = b })},
	{"badge-key-file", "UPSKILL_BADGE_KEY_FILE", "", "RSA PEM key signing Open Badges 3.0 credentials (RS256; default <data-dir>/badge-signing.pem, generated)", func(c *Config, v string) error {
		c.BadgeKeyFile = v
		return nil
	}},
	// Privacy: retention periods.
	{"retain-answers", "UPSKILL_RETAIN_ANSWERS", "", "remove quiz answers this long after submission (e.g. 365d); empty keeps them", keepOrDays(func(c *Config, d time.Duration) { c.RetainAnswers = d })},
	{"retain-comments", "UPSKILL_RETAIN_COMMENTS", "", "remove feedback comments this long after they were written; empty keeps them", keepOrDays(func(c *Config, d time.Duration) { c.RetainComments = d })},
	{"retain-audit-details", "UPSKILL_RETAIN_AUDIT_DETAILS", "", "reduce audit entries to who, what and when this long after they were written; empty keeps them", keepOrDays(func(c *Config, d time.Duration) { c.RetainAuditDetails = d })},
}

// Bind registers every setting as a flag on fs.
func Bind(fs *pflag.FlagSet) {
	for _, s := range settings {
		fs.String(s.flag, s.def, s.help+" ["+s.env+"]")
	}
}

// Load resolves the settings: a changed flag beats its variable, which
// beats the default. An invalid value is an error naming the setting.
func Load(fs *pflag.FlagSet, getenv func(string) string) (Config, error) {
	var c Config
	for _, s := range settings {
		v := s.def
		if e := getenv(s.env); e != "" {
			v = e
		}
		if f := fs.Lookup(s.flag); f != nil && f.Changed {
			v = f.Value.String()
		}
		if err := s.apply(&c, strings.TrimSpace(v)); err != nil {
			return Config{}, fmt.Errorf("invalid %s (--%s): %w", s.env, s.flag, err)
		}
	}
	if c.DatabaseURL == "" {
		c.DatabaseURL = filepath.Join(c.DataDir, "upskill.db")
	}
	if c.JWTKeyFile == "" {
		c.JWTKeyFile = filepath.Join(c.DataDir, "jwt-signing.pem")
	}
	if c.RecordKeyFile == "" {
		c.RecordKeyFile = filepath.Join(c.DataDir, "record-signing.pem")
	}
	if c.BadgeKeyFile == "" {
		c.BadgeKeyFile = filepath.Join(c.DataDir, "badge-signing.pem")
	}
	return c, nil
}

// IsPostgres reports whether the database URL names PostgreSQL.
func (c Config) IsPostgres() bool { return IsPostgresURL(c.DatabaseURL) }

// IsPostgresURL reports whether u is a postgres:// or postgresql:// URL.
func IsPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// LogAttrs lists the effective settings for the start-up log line, with
// secrets replaced by whether they are set.
func (c Config) LogAttrs() []any {
	return []any{
		"addr", c.Addr, "data_dir", c.DataDir, "database", RedactURL(c.DatabaseURL),
		"content_dir", c.ContentDir, "base_url", c.BaseURL, "cors_origins", c.CORSOrigins,
		"trusted_proxies", c.TrustedProxies, "log_level", c.LogLevel.String(),
		"shutdown_timeout", c.ShutdownTimeout.String(), "max_body_bytes", c.MaxBodyBytes,
		"metrics_protected", c.MetricsToken != "", "access_token_ttl", c.AccessTokenTTL.String(),
		"refresh_token_ttl", c.RefreshTokenTTL.String(), "refresh_max_age", c.RefreshMaxAge.String(),
		"refresh_reuse_grace", c.RefreshReuseGrace.String(),
		"jwt_key_file", c.JWTKeyFile,
		"record_key_file", c.RecordKeyFile, "admin_email", c.AdminEmail,
		"admin_password_set", c.AdminPassword != "",
		"metrics_public", c.MetricsPublic, "pprof_addr", c.PprofAddr, "read_header_timeout", c.ReadHeaderTimeout.String(),
		"read_timeout", c.ReadTimeout.String(),
		// The relay URL may hold a password: only whether one is set.
		"mail_relay_set", c.SMTPURL != "" || c.SMTPURLFile != "", "mail_from", c.MailFrom,
		"digest_hour", c.DigestHour, "timezone", c.Location.String(),
		"outbox_give_up", c.OutboxGiveUp.String(),
		"oidc_issuer", c.OIDCIssuer, "oidc_client_id", c.OIDCClientID,
		"oidc_secret_set", c.OIDCClientSecret != "" || c.OIDCClientSecretFile != "",
		"password_login", c.PasswordLogin, "break_glass_admin", c.BreakGlassAdmin,
		// The LRS password is a secret: only whether an LRS is set.
		"xapi_enabled", c.XAPIEndpoint != "", "outbound_allow", c.OutboundAllow,
		"badge_key_file", c.BadgeKeyFile,
	}
}

// RedactURL hides a password inside a database URL, whether in its user
// information or, as the PostgreSQL driver also accepts, as a parameter.
func RedactURL(s string) string {
	if !IsPostgresURL(s) {
		return s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable URL)"
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// days reads a positive duration that may be written in days ("3d").
func days(set func(*Config, time.Duration)) func(*Config, string) error {
	return func(c *Config, v string) error {
		if n, ok := strings.CutSuffix(v, "d"); ok {
			d, err := strconv.Atoi(n)
			if err != nil || d < 1 || d > 3650 {
				return fmt.Errorf("want a number of days such as 3d, or a duration such as 36h")
			}
			set(c, time.Duration(d)*24*time.Hour)
			return nil
		}
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a number of days such as 3d, or a duration such as 36h")
		}
		set(c, d)
		return nil
	}
}

// keepOrDays is days, or empty for "keep for ever" (zero).
func keepOrDays(set func(*Config, time.Duration)) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v == "" {
			set(c, 0)
			return nil
		}
		return days(set)(c, v)
	}
}

func nonEmpty(set func(*Config, string)) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v == "" {
			return fmt.Errorf("must not be empty")
		}
		set(c, v)
		return nil
	}
}

func oneOf(set func(*Config, string), allowed ...string) func(*Config, string) error {
	return func(c *Config, v string) error {
		for _, a := range allowed {
			if v == a {
				set(c, v)
				return nil
			}
		}
		return fmt.Errorf("want one of %s", strings.Join(allowed, ", "))
	}
}

func boolean(set func(*Config, bool)) func(*Config, string) error {
	return func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		set(c, b)
		return nil
	}
}

func duration(set func(*Config, time.Duration)) func(*Config, string) error {
	return func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return fmt.Errorf("want a positive duration such as 30s or 15m")
		}
		set(c, d)
		return nil
	}
}
