package httpapi

import (
	"net/http"

	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/identity"
)

const (
	learner = identity.RoleLearner
	trainer = identity.RoleTrainer
	hr      = identity.RoleHR
	admin   = identity.RoleAdmin
)

// routeTable is every route the service serves, read top to bottom. The
// role matrix test walks it, and the contract test compares it with
// api/openapi.yaml.
func (s *Server) routeTable() []Route {
	return []Route{
		// The browser app (its client routes are served by NoRoute)
		{Method: http.MethodGet, Path: "/", Access: public, handle: s.webApp},

		// Operations
		{Method: http.MethodGet, Path: "/healthz", Access: public, handle: s.healthz},
		{Method: http.MethodGet, Path: "/readyz", Access: public, handle: s.readyz},
		{Method: http.MethodGet, Path: "/metrics", Access: public, handle: s.metrics.handler(s.opt.MetricsToken, s.opt.MetricsPublic)},
		{Method: http.MethodGet, Path: "/api/v1/openapi.yaml", Access: public, handle: s.openapi},
		{Method: http.MethodGet, Path: "/.well-known/jwks.json", Access: public, handle: s.jwks},

		// Authentication and the caller
		{Method: http.MethodPost, Path: "/api/v1/auth/login", Access: public, handle: s.login},
		{Method: http.MethodPost, Path: "/api/v1/auth/refresh", Access: public, handle: s.refresh},
		{Method: http.MethodPost, Path: "/api/v1/auth/logout", Access: public, handle: s.logout},
		{Method: http.MethodGet, Path: "/api/v1/auth/providers", Access: public, handle: s.authProviders},
		{Method: http.MethodGet, Path: "/api/v1/me", Access: signedIn, handle: s.me},
		{Method: http.MethodPut, Path: "/api/v1/me/password", Access: signedIn, handle: s.changePassword},
		{Method: http.MethodGet, Path: "/api/v1/me/notifications", Access: signedIn, handle: s.getNotifications},
		{Method: http.MethodPut, Path: "/api/v1/me/notifications", Access: signedIn, handle: s.putNotifications},
		{Method: http.MethodPost, Path: "/api/v1/auth/accept-invite", Access: public, handle: s.acceptInvite},
		{Method: http.MethodPost, Path: "/api/v1/auth/forgot-password", Access: public, handle: s.forgotPassword},
		{Method: http.MethodPost, Path: "/api/v1/auth/reset-password", Access: public, handle: s.resetPassword},

		// Single sign-on (OpenID Connect) and provisioning (SCIM 2.0). SCIM
		// routes take a provisioning token only; the library behind
		// scimHandler routes within them and answers in SCIM's formats.
		{Method: http.MethodGet, Path: "/api/v1/auth/oidc/login", Access: public, Query: []string{"redirect"}, handle: s.oidcLogin},
		{Method: http.MethodGet, Path: "/api/v1/auth/oidc/callback", Access: public, handle: s.oidcCallbackHandler},
		{Method: http.MethodPost, Path: "/api/v1/admin/scim-tokens", Access: roles(admin), handle: s.createScimToken},
		{Method: http.MethodGet, Path: "/api/v1/admin/scim-tokens", Access: roles(admin), Query: []string{}, handle: s.listScimTokens},
		{Method: http.MethodDelete, Path: "/api/v1/admin/scim-tokens/{id}", Access: roles(admin), handle: s.revokeScimToken},
		{Method: http.MethodGet, Path: "/scim/v2/ServiceProviderConfig", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodGet, Path: "/scim/v2/Schemas", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodGet, Path: "/scim/v2/Schemas/{id}", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodGet, Path: "/scim/v2/ResourceTypes", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodGet, Path: "/scim/v2/ResourceTypes/{id}", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodGet, Path: "/scim/v2/Users", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodPost, Path: "/scim/v2/Users", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodGet, Path: "/scim/v2/Users/{id}", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodPut, Path: "/scim/v2/Users/{id}", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodPatch, Path: "/scim/v2/Users/{id}", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodDelete, Path: "/scim/v2/Users/{id}", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodGet, Path: "/scim/v2/Groups", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodPost, Path: "/scim/v2/Groups", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodGet, Path: "/scim/v2/Groups/{id}", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodPut, Path: "/scim/v2/Groups/{id}", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodPatch, Path: "/scim/v2/Groups/{id}", Access: scimToken, handle: s.scimHandler},
		{Method: http.MethodDelete, Path: "/scim/v2/Groups/{id}", Access: scimToken, handle: s.scimHandler},

		// People
		{Method: http.MethodPost, Path: "/api/v1/users", Access: roles(hr, admin), handle: s.createUser},
		{Method: http.MethodGet, Path: "/api/v1/users", Access: roles(hr, admin), Query: paged("department", "q"), handle: s.listUsers},
		{Method: http.MethodGet, Path: "/api/v1/users/{id}", Access: roles(hr, admin), handle: s.getUser},
		{Method: http.MethodPatch, Path: "/api/v1/users/{id}", Access: roles(hr, admin), handle: s.patchUser},
		{Method: http.MethodPost, Path: "/api/v1/users/import", Access: roles(hr, admin), MaxBody: 32 << 20, handle: s.importUsers},
		{Method: http.MethodPost, Path: "/api/v1/users/invite", Access: roles(hr, admin), handle: s.inviteUsers},
		{Method: http.MethodPost, Path: "/api/v1/users/{id}/invite", Access: roles(hr, admin), handle: s.inviteUser},
		{Method: http.MethodPost, Path: "/api/v1/users/{id}/unlock", Access: roles(admin), handle: s.unlockUser},
		// The web app's department pickers (issue 12).
		{Method: http.MethodGet, Path: "/api/v1/departments", Access: roles(hr, admin), Query: paged(), handle: s.listDepartments},
		{Method: http.MethodGet, Path: "/api/v1/audit", Access: roles(admin), Query: paged("action", "actor", "from", "to"), handle: s.listAudit},
		{Method: http.MethodGet, Path: "/api/v1/admin/deliveries", Access: roles(admin), Query: paged("status", "target"), handle: s.listDeliveries},
		{Method: http.MethodPost, Path: "/api/v1/admin/deliveries/{id}/retry", Access: roles(admin), handle: s.retryDelivery},

		// Catalog
		{Method: http.MethodGet, Path: "/api/v1/modules", Access: signedIn, Query: paged("topic", "q", "include_archived"), handle: s.listModules},
		{Method: http.MethodGet, Path: "/api/v1/modules/{slug}", Access: signedIn, handle: s.getModule},
		{Method: http.MethodGet, Path: "/api/v1/modules/{slug}/lessons/{lesson}", Access: signedIn, handle: s.getLesson},
		{Method: http.MethodGet, Path: "/api/v1/modules/{slug}/assets/{file}", Access: public, handle: s.moduleAsset},

		// Content (trainers)
		{Method: http.MethodPost, Path: "/api/v1/content/validate", Access: roles(trainer, admin), MaxBody: maxContentBody, handle: s.validateContent},
		{Method: http.MethodPut, Path: "/api/v1/modules/{slug}", Access: roles(trainer, admin), MaxBody: maxContentBody, handle: s.publishModule},
		{Method: http.MethodPost, Path: "/api/v1/content/preview", Access: roles(trainer, admin), MaxBody: maxContentBody, handle: s.previewContent},
		{Method: http.MethodPost, Path: "/api/v1/modules/{slug}/archive", Access: roles(trainer, admin), handle: s.archiveModule},
		{Method: http.MethodPost, Path: "/api/v1/modules/{slug}/unarchive", Access: roles(trainer, admin), handle: s.unarchiveModule},
		{Method: http.MethodGet, Path: "/api/v1/modules/{slug}/files", Access: roles(trainer, admin), handle: s.moduleFiles},

		// Learning: any role may learn.
		{Method: http.MethodGet, Path: "/api/v1/me/enrollments", Access: signedIn, Query: paged(), handle: s.myEnrollments},
		{Method: http.MethodPut, Path: "/api/v1/modules/{slug}/lessons/{lesson}/progress", Access: signedIn, handle: s.putLessonProgress},
		{Method: http.MethodGet, Path: "/api/v1/modules/{slug}/progress", Access: signedIn, handle: s.getModuleProgress},
		{Method: http.MethodPost, Path: "/api/v1/modules/{slug}/attempts", Access: signedIn, handle: s.startAttempt},
		{Method: http.MethodPost, Path: "/api/v1/attempts/{id}/submit", Access: signedIn, handle: s.submitAttempt},
		{Method: http.MethodPost, Path: "/api/v1/modules/{slug}/feedback", Access: signedIn, handle: s.postFeedback},
		{Method: http.MethodGet, Path: "/api/v1/modules/{slug}/feedback", Access: roles(trainer, hr, admin), Query: paged(), handle: s.getFeedback},

		// Records: the holder, HR and admins see one (others get 404);
		// anyone may verify.
		{Method: http.MethodGet, Path: "/api/v1/me/records", Access: signedIn, Query: paged(), handle: s.myRecords},
		{Method: http.MethodGet, Path: "/api/v1/records/{id}", Access: signedIn, handle: s.getRecord},
		{Method: http.MethodGet, Path: "/api/v1/records/{id}/certificate.pdf", Access: signedIn, handle: s.getCertificate},
		{Method: http.MethodGet, Path: "/api/v1/records/{id}/verify", Access: public, handle: s.verifyRecord},
		{Method: http.MethodPost, Path: "/api/v1/records/verify", Access: public, handle: s.verifyCredential},
		{Method: http.MethodPost, Path: "/api/v1/records/{id}/revoke", Access: roles(admin), handle: s.revokeRecord},

		// Assignments and reports (HR). Reports stream: their size has no
		// body limit to raise, only the server's write timeout.
		{Method: http.MethodGet, Path: "/api/v1/me/assignments", Access: signedIn, Query: paged(), handle: s.myAssignments},
		{Method: http.MethodPost, Path: "/api/v1/assignments", Access: roles(hr, admin), handle: s.createAssignments},
		{Method: http.MethodGet, Path: "/api/v1/assignments", Access: roles(hr, admin), Query: paged("module", "department", "overdue"), handle: s.listAssignments},
		{Method: http.MethodDelete, Path: "/api/v1/assignments/{id}", Access: roles(hr, admin), handle: s.deleteAssignment},
		{Method: http.MethodGet, Path: "/api/v1/assignment-rules", Access: roles(hr, admin), Query: paged("module", "department"), handle: s.listAssignmentRules},
		{Method: http.MethodDelete, Path: "/api/v1/assignment-rules/{id}", Access: roles(hr, admin), handle: s.deleteAssignmentRule},
		{Method: http.MethodGet, Path: "/api/v1/reports/completions", Access: roles(hr, admin), Query: paged("format", "department", "module", "status", "from", "to"), handle: s.completionsReport},
		{Method: http.MethodGet, Path: "/api/v1/reports/summary", Access: roles(hr, admin), Query: []string{"group_by"}, handle: s.summaryReport},

		// Readiness pulses, learning paths, the manager's team, and the
		// readiness and adoption reports (issue 16).
		{Method: http.MethodGet, Path: "/api/v1/me/pulses", Access: signedIn, Query: []string{}, handle: s.myPulses},
		{Method: http.MethodPost, Path: "/api/v1/pulses/{slug}/responses", Access: signedIn, handle: s.postPulseResponse},
		{Method: http.MethodGet, Path: "/api/v1/paths", Access: signedIn, Query: []string{}, handle: s.listPaths},
		{Method: http.MethodGet, Path: "/api/v1/paths/{slug}", Access: signedIn, handle: s.getPath},
		{Method: http.MethodPut, Path: "/api/v1/paths/{slug}", Access: roles(trainer, admin), MaxBody: maxContentBody, handle: s.publishDoc(catalog.KindPath)},
		{Method: http.MethodPut, Path: "/api/v1/pulses/{slug}", Access: roles(trainer, admin), MaxBody: maxContentBody, handle: s.publishDoc(catalog.KindPulse)},
		{Method: http.MethodGet, Path: "/api/v1/me/team", Access: signedIn, Query: []string{}, handle: s.myTeam},
		{Method: http.MethodGet, Path: "/api/v1/reports/readiness", Access: roles(hr, admin), Query: []string{"pulse", "group_by", "format"}, handle: s.readinessReport},
		{Method: http.MethodGet, Path: "/api/v1/reports/adoption", Access: roles(hr, admin), Query: []string{"from", "to", "format"}, handle: s.adoptionReport},
		// The published pulses, so the readiness page can offer them (web app).
		{Method: http.MethodGet, Path: "/api/v1/pulses", Access: roles(hr, admin, trainer), Query: []string{}, handle: s.listPulses},
		// Evidence out: webhooks (admins), Open Badges (the record's
		// viewers; the issuer, achievements and revocation lists are public).
		{Method: http.MethodPost, Path: "/api/v1/admin/webhooks", Access: roles(admin), handle: s.createWebhook},
		{Method: http.MethodGet, Path: "/api/v1/admin/webhooks", Access: roles(admin), handle: s.listWebhooks},
		{Method: http.MethodDelete, Path: "/api/v1/admin/webhooks/{id}", Access: roles(admin), handle: s.deleteWebhook},
		{Method: http.MethodPost, Path: "/api/v1/admin/webhooks/{id}/rotate-secret", Access: roles(admin), handle: s.rotateWebhookSecret},
		{Method: http.MethodGet, Path: "/api/v1/issuer", Access: public, handle: s.issuerProfile},
		{Method: http.MethodGet, Path: "/api/v1/achievements/{slug}", Access: public, handle: s.getAchievement},
		{Method: http.MethodGet, Path: "/api/v1/records/{id}/badge", Access: signedIn, handle: s.getBadge},
		{Method: http.MethodGet, Path: "/api/v1/records/{id}/status", Access: public, handle: s.recordStatus},
		// Privacy and policies: export and erasure of a person's data;
		// policy documents, acknowledgements and their report.
		{Method: http.MethodGet, Path: "/api/v1/me/export", Access: signedIn, Query: []string{"format"}, handle: s.myExport},
		{Method: http.MethodGet, Path: "/api/v1/users/{id}/export", Access: roles(admin), Query: []string{"format"}, handle: s.userExport},
		{Method: http.MethodPost, Path: "/api/v1/users/{id}/erase", Access: roles(admin), handle: s.eraseUser},
		{Method: http.MethodGet, Path: "/api/v1/policies", Access: signedIn, handle: s.listPolicies},
		{Method: http.MethodGet, Path: "/api/v1/policies/{slug}", Access: signedIn, handle: s.getPolicy},
		{Method: http.MethodPut, Path: "/api/v1/policies/{slug}", Access: roles(trainer, admin), MaxBody: maxContentBody, handle: s.publishPolicy},
		{Method: http.MethodPost, Path: "/api/v1/policies/{slug}/acknowledge", Access: signedIn, handle: s.acknowledgePolicy},
		{Method: http.MethodGet, Path: "/api/v1/reports/policies", Access: roles(hr, admin), Query: []string{"format", "policy", "department"}, handle: s.policiesReport},
	}
}
