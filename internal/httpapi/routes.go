package httpapi

import "net/http"

// routeTable is every route the service serves, read top to bottom. The
// role matrix test walks it, and the contract test compares it with
// api/openapi.yaml.
func (s *Server) routeTable() []Route {
	return []Route{
		// Operations
		{Method: http.MethodGet, Path: "/healthz", Access: public, handle: s.healthz},
		{Method: http.MethodGet, Path: "/readyz", Access: public, handle: s.readyz},
		{Method: http.MethodGet, Path: "/metrics", Access: public, handle: s.metrics.handler(s.opt.MetricsToken)},
		{Method: http.MethodGet, Path: "/api/v1/openapi.yaml", Access: public, handle: s.openapi},
	}
}
