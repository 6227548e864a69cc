package httpapi

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/fault"
)

// assignmentJSON is an assignment as HR lists it.
type assignmentJSON struct {
	ID         string    `json:"id"`
	UserID     string    `json:"user_id"`
	Module     string    `json:"module"`
	DueAt      time.Time `json:"due_at"`
	AssignedAt time.Time `json:"assigned_at"`
	Status     string    `json:"status"`
	Overdue    bool      `json:"overdue"`
}

// myAssignmentJSON is an assignment as its learner sees it.
type myAssignmentJSON struct {
	Module      string    `json:"module"`
	ModuleTitle string    `json:"module_title"`
	DueAt       time.Time `json:"due_at"`
	AssignedAt  time.Time `json:"assigned_at"`
	Status      string    `json:"status"`
	Overdue     bool      `json:"overdue"`
}

func toAssignmentJSON(v assignments.View) assignmentJSON {
	return assignmentJSON{ID: v.ID, UserID: v.UserID, Module: v.Module, DueAt: v.DueAt,
		AssignedAt: v.AssignedAt, Status: v.Status, Overdue: v.Overdue}
}

func toMyAssignmentJSON(v assignments.View) myAssignmentJSON {
	return myAssignmentJSON{Module: v.Module, ModuleTitle: v.ModuleTitle, DueAt: v.DueAt,
		AssignedAt: v.AssignedAt, Status: v.Status, Overdue: v.Overdue}
}

// assignResultJSON is the answer of POST /assignments.
type assignResultJSON struct {
	Assigned               int `json:"assigned"`
	AlreadyAssigned        int `json:"already_assigned"`
	BlockedByPrerequisites int `json:"blocked_by_prerequisites"`
}

func (s *Server) createAssignments(c *gin.Context) {
	var in struct {
		Module            string   `json:"module"`
		Path              string   `json:"path"`
		UserIDs           []string `json:"user_ids"`
		Departments       []string `json:"departments"`
		DueAt             *string  `json:"due_at"`
		IncludeNewMembers bool     `json:"include_new_members"`
		DueInDays         *int     `json:"due_in_days"`
		GraceDays         *int     `json:"grace_days"`
		AllowPastDue      bool     `json:"allow_past_due"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	req := assignments.Request{Module: in.Module, Path: in.Path, UserIDs: in.UserIDs, Departments: in.Departments,
		IncludeNewMembers: in.IncludeNewMembers, DueInDays: in.DueInDays, GraceDays: in.GraceDays,
		AllowPastDue: in.AllowPastDue}
	if in.DueAt != nil {
		t, err := time.Parse(time.RFC3339, *in.DueAt)
		if err != nil {
			fail(c, fault.InvalidFields("due_at must be an RFC 3339 time, e.g. 2026-04-30T17:00:00Z",
				fault.FieldError{Field: "due_at", Message: "not an RFC 3339 time"}))
			return
		}
		req.DueAt = &t
	}
	res, err := s.Assignments.Assign(c.Request.Context(), principal(c).UserID, req)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusCreated, assignResultJSON{Assigned: res.Assigned, AlreadyAssigned: res.AlreadyAssigned,
		BlockedByPrerequisites: res.BlockedByPrerequisites})
}

func (s *Server) listAssignments(c *gin.Context) {
	p, err := pageOf(c)
	if err != nil {
		fail(c, err)
		return
	}
	f := assignments.Filter{Module: c.Query("module"), Department: c.Query("department")}
	if f.Overdue, err = boolParam(c, "overdue"); err != nil {
		fail(c, err)
		return
	}
	views, next, err := s.Assignments.List(c.Request.Context(), f, p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(views, next, toAssignmentJSON))
}

func (s *Server) deleteAssignment(c *gin.Context) {
	if err := s.Assignments.Delete(c.Request.Context(), principal(c).UserID, c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (s *Server) myAssignments(c *gin.Context) {
	p, err := pageOf(c)
	if err != nil {
		fail(c, err)
		return
	}
	views, next, err := s.Assignments.Mine(c.Request.Context(), principal(c).UserID, p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(views, next, toMyAssignmentJSON))
}

func (s *Server) listAssignmentRules(c *gin.Context) {
	p, err := pageOf(c)
	if err != nil {
		fail(c, err)
		return
	}
	rules, next, err := s.Assignments.ListRules(c.Request.Context(),
		assignments.RuleFilter{Module: c.Query("module"), Department: c.Query("department")}, p)
	if err != nil {
		fail(c, err)
		return
	}
	if rules == nil {
		rules = []assignments.Rule{}
	}
	c.JSON(http.StatusOK, list[assignments.Rule]{Items: rules, NextCursor: next})
}

func (s *Server) deleteAssignmentRule(c *gin.Context) {
	if err := s.Assignments.DeleteRule(c.Request.Context(), principal(c).UserID, c.Param("id")); err != nil {
		fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// boolParam reads an optional true/false query value.
func boolParam(c *gin.Context, name string) (*bool, error) {
	switch c.Query(name) {
	case "":
		return nil, nil
	case "true":
		v := true
		return &v, nil
	case "false":
		v := false
		return &v, nil
	}
	return nil, fault.BadField(name+" must be true or false", name, "must be true or false")
}
