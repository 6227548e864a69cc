package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/notify"
)

type invitationJSON struct {
	ExpiresAt time.Time `json:"expires_at"`
	Delivery  string    `json:"delivery"`
	Link      string    `json:"link,omitempty"`
}

func (s *Server) inviteUser(c *gin.Context) {
	inv, err := s.Identity.Invite(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, invitationJSON{ExpiresAt: inv.ExpiresAt.UTC(), Delivery: inv.Delivery, Link: inv.Link})
}

func (s *Server) inviteUsers(c *gin.Context) {
	var in struct {
		Departments         []string `json:"departments"`
		UserIDs             []string `json:"user_ids"`
		OnlyWithoutPassword bool     `json:"only_without_password"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	n, err := s.Identity.InviteMany(c.Request.Context(), principal(c), identity.InviteFilter{
		Departments: in.Departments, UserIDs: in.UserIDs, OnlyWithoutPassword: in.OnlyWithoutPassword})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusAccepted, struct {
		Invited int `json:"invited"`
	}{n})
}

// tokenAndPassword is the body of accept-invite and reset-password.
// Session, "cookie", is accept-invite's only: the refresh token then goes
// in the browser-session cookie, as with a sign-in.
type tokenAndPassword struct {
	Token    string `json:"token"`
	Password string `json:"password"`
	Session  string `json:"session"`
}

func decodeTokenAndPassword(c *gin.Context) (tokenAndPassword, error) {
	var in tokenAndPassword
	if err := decodeJSON(c, &in); err != nil {
		return in, err
	}
	if err := checkSessionMode(in.Session); err != nil {
		return in, err
	}
	var missing []fault.FieldError
	if in.Token == "" {
		missing = append(missing, fault.FieldError{Field: "token", Message: "required"})
	}
	if in.Password == "" {
		missing = append(missing, fault.FieldError{Field: "password", Message: "required"})
	}
	if len(missing) > 0 {
		return in, fault.InvalidFields("token and password are required", missing...)
	}
	return in, nil
}

func (s *Server) acceptInvite(c *gin.Context) {
	in, err := decodeTokenAndPassword(c)
	if err != nil {
		fail(c, err)
		return
	}
	sess, err := s.Identity.AcceptInvitation(c.Request.Context(), in.Token, in.Password)
	if err != nil {
		fail(c, err)
		return
	}
	s.respondSession(c, sess, in.Session == sessionCookie)
}

func (s *Server) forgotPassword(c *gin.Context) {
	var in struct {
		Email string `json:"email"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	if err := s.Identity.ForgotPassword(c.Request.Context(), in.Email, c.ClientIP()); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusAccepted)
}

func (s *Server) resetPassword(c *gin.Context) {
	in, err := decodeTokenAndPassword(c)
	if err == nil && in.Session != "" {
		err = fault.InvalidFields("reset-password opens no session: leave session out",
			fault.FieldError{Field: "session", Message: "not accepted here"})
	}
	if err != nil {
		fail(c, err)
		return
	}
	if err := s.Identity.ResetPassword(c.Request.Context(), in.Token, in.Password); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) getNotifications(c *gin.Context) {
	p, err := s.Reminders.Prefs(c.Request.Context(), principal(c).UserID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}

func (s *Server) putNotifications(c *gin.Context) {
	var in struct {
		Reminders *bool `json:"reminders"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	if in.Reminders == nil {
		fail(c, fault.InvalidFields("reminders is required", fault.FieldError{Field: "reminders", Message: "required: true or false"}))
		return
	}
	p, err := s.Reminders.SetPrefs(c.Request.Context(), principal(c).UserID, notify.Prefs{Reminders: *in.Reminders}, time.Now())
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, p)
}
