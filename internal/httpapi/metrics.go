package httpapi

import (
	"crypto/subtle"
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/upskill/upskill/internal/fault"
)

// metrics is one server's Prometheus registry; a registry per server keeps
// tests that start several servers independent.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

func newMetrics(pools map[string]*sql.DB) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "upskill_http_requests_total",
			Help: "HTTP requests by route template, method and status.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "upskill_http_request_duration_seconds",
			Help:    "HTTP request latency by route template and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
	}
	m.reg.MustRegister(m.requests, m.latency,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	for name, db := range pools {
		m.reg.MustRegister(collectors.NewDBStatsCollector(db, name))
	}
	return m
}

func (m *metrics) middleware() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		route, method := routeOf(c), methodLabel(c.Request.Method)
		m.requests.WithLabelValues(route, method, strconv.Itoa(c.Writer.Status())).Inc()
		m.latency.WithLabelValues(route, method).Observe(time.Since(start).Seconds())
	}
}

// methodLabel keeps the method label bounded: a client may send any token
// as a method, and each would otherwise make new series.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// handler serves the metrics: with the bearer token when one is set, to
// anyone when public, and otherwise not at all, so that a process behind a
// proxy on the same host does not publish its internals by accident.
func (m *metrics) handler(token string, public bool) gin.HandlerFunc {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	return func(c *gin.Context) {
		if token == "" && !public {
			fail(c, fault.New(fault.NotFound, "metrics are off: set UPSKILL_METRICS_TOKEN to serve them with a bearer token"))
			return
		}
		if token != "" {
			got, ok := bearerToken(c)
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				fail(c, fault.New(fault.Unauthorized, "metrics need the configured bearer token"))
				return
			}
		}
		c.Writer.Header().Del("Content-Security-Policy")
		h.ServeHTTP(c.Writer, c.Request)
	}
}
