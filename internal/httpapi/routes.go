package httpapi

import (
	"net/http"

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
	}
}
