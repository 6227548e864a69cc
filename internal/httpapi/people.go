package httpapi

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/page"
)

// userJSON is the User of the contract. No password or hash, ever.
type userJSON struct {
	ID         string    `json:"id"`
	Email      string    `json:"email"`
	Name       string    `json:"name"`
	Department string    `json:"department"`
	EmployeeID *string   `json:"employee_id"`
	ManagerID  *string   `json:"manager_id"`
	Roles      []string  `json:"roles"`
	Disabled   bool      `json:"disabled"`
	CreatedAt  time.Time `json:"created_at"`
}

func toUserJSON(u identity.User) userJSON {
	roles := []string(u.Roles)
	if roles == nil {
		roles = []string{}
	}
	return userJSON{ID: u.ID, Email: u.Email, Name: u.Name, Department: u.Department,
		EmployeeID: u.EmployeeID, ManagerID: u.ManagerID, Roles: roles, Disabled: u.Disabled, CreatedAt: u.CreatedAt.UTC()}
}

// list is a page of a collection; Items is [] rather than null when empty.
type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// listOf is the page items, each in its JSON shape, with the cursor of the
// next page.
func listOf[S, T any](items []S, next string, toJSON func(S) T) list[T] {
	out := list[T]{Items: make([]T, len(items)), NextCursor: next}
	for i, v := range items {
		out.Items[i] = toJSON(v)
	}
	return out
}

func pageOf(c *gin.Context) (page.Request, error) {
	return page.Parse(c.Query("limit"), c.Query("cursor"))
}

func sessionJSON(s identity.Session) gin.H {
	return gin.H{"access_token": s.AccessToken, "token_type": "Bearer", "expires_in": s.ExpiresIn,
		"refresh_token": s.RefreshToken, "user": toUserJSON(s.User)}
}

func (s *Server) login(c *gin.Context) {
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
		Session  string `json:"session"` // "cookie": the refresh token goes in a cookie
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	if err := checkSessionMode(in.Session); err != nil {
		fail(c, err)
		return
	}
	var missing []fault.FieldError
	if in.Email == "" {
		missing = append(missing, fault.FieldError{Field: "email", Message: "required"})
	}
	if in.Password == "" {
		missing = append(missing, fault.FieldError{Field: "password", Message: "required"})
	}
	switch len(missing) {
	case 1:
		fail(c, fault.InvalidFields(missing[0].Field+" is required", missing...))
		return
	case 2:
		fail(c, fault.InvalidFields("email and password are required", missing...))
		return
	}
	sess, err := s.Identity.Login(c.Request.Context(), in.Email, in.Password, c.ClientIP())
	if err != nil {
		fail(c, err)
		return
	}
	s.respondSession(c, sess, in.Session == sessionCookie)
}

type refreshBody struct {
	RefreshToken string `json:"refresh_token"`
}

func (s *Server) refresh(c *gin.Context) {
	var in refreshBody
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	token, cookie := refreshTokenOf(c, in.RefreshToken)
	sess, err := s.Identity.Refresh(c.Request.Context(), token)
	if err != nil {
		if cookie {
			s.setRefreshCookie(c, "", 0)
		}
		fail(c, err)
		return
	}
	s.respondSession(c, sess, cookie)
}

func (s *Server) logout(c *gin.Context) {
	var in refreshBody
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	token, cookie := refreshTokenOf(c, in.RefreshToken)
	if err := s.Identity.Logout(c.Request.Context(), token); err != nil {
		fail(c, err)
		return
	}
	if cookie {
		s.setRefreshCookie(c, "", 0)
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) me(c *gin.Context) {
	u, err := s.Identity.GetUser(c.Request.Context(), principal(c).UserID)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toUserJSON(u))
}

func (s *Server) changePassword(c *gin.Context) {
	var in struct {
		Current string `json:"current_password"`
		New     string `json:"new_password"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	if err := s.Identity.ChangePassword(c.Request.Context(), principal(c), in.Current, in.New, c.ClientIP()); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) createUser(c *gin.Context) {
	var in struct {
		Email      string   `json:"email"`
		Name       string   `json:"name"`
		Department string   `json:"department"`
		EmployeeID *string  `json:"employee_id"`
		ManagerID  *string  `json:"manager_id"`
		Roles      []string `json:"roles"`
		Password   string   `json:"password"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	nu := identity.NewUser{Email: in.Email, Name: in.Name, Department: in.Department, Roles: in.Roles, Password: in.Password}
	if in.EmployeeID != nil {
		nu.EmployeeID = *in.EmployeeID
	}
	if in.ManagerID != nil {
		nu.ManagerID = *in.ManagerID
	}
	u, err := s.Identity.CreateUser(c.Request.Context(), principal(c), nu)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/users/"+u.ID)
	c.JSON(http.StatusCreated, toUserJSON(u))
}

func (s *Server) listUsers(c *gin.Context) {
	p, err := pageOf(c)
	if err != nil {
		fail(c, err)
		return
	}
	users, next, err := s.Identity.ListUsers(c.Request.Context(),
		identity.UserFilter{Department: c.Query("department"), Query: c.Query("q")}, p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(users, next, toUserJSON))
}

func (s *Server) getUser(c *gin.Context) {
	u, err := s.Identity.GetUser(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toUserJSON(u))
}

func (s *Server) patchUser(c *gin.Context) {
	var in struct {
		Email      *string   `json:"email"`
		Name       *string   `json:"name"`
		Department *string   `json:"department"`
		EmployeeID *string   `json:"employee_id"`
		ManagerID  *string   `json:"manager_id"`
		Roles      *[]string `json:"roles"`
		Disabled   *bool     `json:"disabled"`
		Password   *string   `json:"password"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	u, err := s.Identity.UpdateUser(c.Request.Context(), principal(c), c.Param("id"), identity.UserPatch{
		Email: in.Email, Name: in.Name, Department: in.Department, EmployeeID: in.EmployeeID,
		ManagerID: in.ManagerID, Roles: in.Roles, Disabled: in.Disabled, Password: in.Password})
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toUserJSON(u))
}

// unlockUser clears an account's sign-in throttle (admins only).
func (s *Server) unlockUser(c *gin.Context) {
	if err := s.Identity.Unlock(c.Request.Context(), principal(c), c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// importResultJSON is the answer of a CSV import.
type importResultJSON struct {
	Created        int      `json:"created"`
	Updated        int      `json:"updated"`
	Unchanged      int      `json:"unchanged"`
	IgnoredColumns []string `json:"ignored_columns"`
	Invited        int      `json:"invited"`
}

func (s *Server) importUsers(c *gin.Context) {
	if err := requireMediaType(c, "text/csv"); err != nil {
		fail(c, err)
		return
	}
	var opt identity.ImportOptions
	switch c.Query("invite") {
	case "", "false":
	case "true":
		opt.Invite = true
	default:
		fail(c, fault.BadField("invite must be true or false", "invite", "must be true or false"))
		return
	}
	res, err := s.Identity.ImportCSVWith(c.Request.Context(), principal(c), bodyReader{c.Request.Body}, opt)
	if err != nil {
		fail(c, err)
		return
	}
	ignored := res.IgnoredColumns
	if ignored == nil {
		ignored = []string{}
	}
	c.JSON(http.StatusOK, importResultJSON{Created: res.Created, Updated: res.Updated, Unchanged: res.Unchanged,
		IgnoredColumns: ignored, Invited: res.Invited})
}

// bodyReader reads a request body for a domain reader: a body over the
// limit becomes a 413 rather than a read error, anything else a 400.
type bodyReader struct{ r io.Reader }

func (b bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	var mbe *http.MaxBytesError
	switch {
	case err == nil || errors.Is(err, io.EOF):
		return n, err
	case errors.As(err, &mbe):
		return n, tooLarge(mbe.Limit)
	default:
		return n, fault.New(fault.BadRequest, "could not read the request body: %v", err)
	}
}

func (s *Server) listAudit(c *gin.Context) {
	p, err := pageOf(c)
	if err != nil {
		fail(c, err)
		return
	}
	f := audit.Filter{Action: c.Query("action"), Actor: c.Query("actor")}
	if f.From, err = timeParam(c, "from"); err != nil {
		fail(c, err)
		return
	}
	if f.To, err = timeParam(c, "to"); err != nil {
		fail(c, err)
		return
	}
	events, next, err := audit.List(c.Request.Context(), s.DB, f, p)
	if err != nil {
		fail(c, err)
		return
	}
	if events == nil {
		events = []audit.Event{}
	}
	c.JSON(http.StatusOK, list[audit.Event]{Items: events, NextCursor: next})
}

// timeParam reads an optional RFC 3339 time (or a plain date) query value.
func timeParam(c *gin.Context, name string) (*time.Time, error) {
	v := c.Query(name)
	if v == "" {
		return nil, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02"} {
		// Four-digit UTC years only: SQLite compares times as text.
		if t, err := time.Parse(layout, v); err == nil && t.UTC().Year() >= 1 && t.UTC().Year() <= 9999 {
			t = t.UTC()
			return &t, nil
		}
	}
	return nil, fault.BadField(name+" must be an RFC 3339 time or a YYYY-MM-DD date", name, "not a time")
}

func (s *Server) jwks(c *gin.Context) {
	c.Header("Cache-Control", "public, max-age=300")
	out := jwksJSON{}
	for _, k := range s.RecordKeys.JWKS() {
		out.Keys = append(out.Keys, k)
	}
	// The Open Badges key (RS256), under a kid that is its own URL.
	if s.Evidence != nil {
		if k, err := s.Evidence.BadgeJWK(); err == nil {
			out.Keys = append(out.Keys, k)
		}
	}
	c.JSON(http.StatusOK, out)
}

// listDepartments lists the known departments with their enabled members,
// for the web app's department pickers (HR, admin).
func (s *Server) listDepartments(c *gin.Context) {
	p, err := pageOf(c)
	if err != nil {
		fail(c, err)
		return
	}
	items, next, err := s.Identity.ListDepartments(c.Request.Context(), p)
	if err != nil {
		fail(c, err)
		return
	}
	if items == nil {
		items = []identity.DepartmentCount{}
	}
	c.JSON(http.StatusOK, list[identity.DepartmentCount]{Items: items, NextCursor: next})
}
