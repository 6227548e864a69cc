package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/elimity-com/scim"
	scimerrors "github.com/elimity-com/scim/errors"
	scimfilter "github.com/elimity-com/scim/filter"
	scimopt "github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
	filter "github.com/scim2/filter-parser/v2"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/identity"
)

// SCIM 2.0 (RFC 7643/7644) for identity providers. The protocol — routing
// under /scim/v2, schemas, ServiceProviderConfig, ResourceTypes, request
// validation against the schemas, filter and PATCH path parsing, list
// responses and SCIM's error format — is github.com/elimity-com/scim's;
// what a resource means for upskill is here and in package identity.

const (
	enterpriseURN  = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	scimMaxResults = 200
)

// scimTokenKey holds, in a SCIM request's context, the id of the token
// that signed it in: the actor of its changes in the audit log.
type scimTokenKey struct{}

func init() {
	// Entra ID sends booleans as strings ("False") in some PATCH bodies.
	schema.SetAllowStringValues(true)
}

// newSCIM builds the SCIM server over the identity service.
func newSCIM(ids *identity.Service, baseURL string, log *slog.Logger) (http.Handler, error) {
	users := &scimUsers{ids: ids}
	groups := &scimGroups{ids: ids}
	srv, err := scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: &scim.ServiceProviderConfig{
			DocumentationURI: scimopt.NewString(baseURL + "/api/v1/openapi.yaml"),
			AuthenticationSchemes: []scim.AuthenticationScheme{{Type: scim.AuthenticationTypeOauthBearerToken,
				Name: "Bearer token", Description: "A token an upskill admin created at /api/v1/admin/scim-tokens", Primary: true}},
			MaxResults: scimMaxResults, SupportFiltering: true, SupportPatch: true,
		},
		ResourceTypes: []scim.ResourceType{
			{ID: scimopt.NewString("User"), Name: "User", Endpoint: "/Users", Description: scimopt.NewString("People"),
				Schema:           schema.CoreUserSchema(),
				SchemaExtensions: []scim.SchemaExtension{{Schema: schema.ExtensionEnterpriseUser()}},
				Handler:          users},
			{ID: scimopt.NewString("Group"), Name: "Group", Endpoint: "/Groups", Description: scimopt.NewString("Groups (never the department)"),
				Schema: schema.CoreGroupSchema(), Handler: groups},
		},
	}, scim.WithBaseURL(baseURL+"/scim/v2"), scim.WithLogger(scimLogger{log}))
	if err != nil {
		return nil, err
	}
	return http.StripPrefix("/scim", normaliseSCIM(srv)), nil
}

type scimLogger struct{ log *slog.Logger }

func (l scimLogger) Error(args ...any) {
	l.log.Error("scim", slog.String("error", fmt.Sprint(args...)))
}

// normaliseSCIM rewrites the one PATCH shape Entra ID sends that the
// schema would refuse: the enterprise manager as a bare id string rather
// than {"value": id}.
func normaliseSCIM(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPatch || r.Body == nil {
			next.ServeHTTP(w, r)
			return
		}
		var body map[string]any
		dec := json.NewDecoder(r.Body)
		dec.UseNumber()
		if err := dec.Decode(&body); err != nil {
			writeScimError(w, scimerrors.ScimErrorInvalidSyntax)
			return
		}
		ops, _ := body["Operations"].([]any)
		for _, o := range ops {
			op, _ := o.(map[string]any)
			if p, _ := op["path"].(string); strings.EqualFold(p, enterpriseURN+":manager") {
				if id, ok := op["value"].(string); ok {
					op["value"] = map[string]any{"value": id}
				}
			}
		}
		b, _ := json.Marshal(body)
		r.Body = readCloser{strings.NewReader(string(b))}
		r.ContentLength = int64(len(b))
		next.ServeHTTP(w, r)
	})
}

type readCloser struct{ *strings.Reader }

func (readCloser) Close() error { return nil }

func writeScimError(w http.ResponseWriter, e scimerrors.ScimError) {
	w.Header().Set("Content-Type", "application/scim+json")
	w.WriteHeader(e.Status)
	b, _ := json.Marshal(e)
	_, _ = w.Write(b)
}

// scimFail answers a request the guard refuses, in SCIM's error format.
func scimFail(c *gin.Context, err error) {
	e := toScimError(err)
	if e.Status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="upskill-scim"`)
	}
	writeScimError(c.Writer, e)
	c.Abort()
}

// toScimError turns a domain error into SCIM's error.
func toScimError(err error) scimerrors.ScimError {
	var se scimerrors.ScimError
	if errors.As(err, &se) {
		return se
	}
	e := fault.As(err)
	status, ok := statusOf[e.Code]
	if !ok || status >= 500 {
		return scimerrors.ScimErrorInternal
	}
	se = scimerrors.ScimError{Status: status, Detail: e.Message}
	switch {
	case e.Type == "uniqueness" || (status == http.StatusConflict && len(e.Fields) > 0):
		se.ScimType = scimerrors.ScimTypeUniqueness
	case status == http.StatusUnprocessableEntity:
		se.Status, se.ScimType = http.StatusBadRequest, scimerrors.ScimTypeInvalidValue
	}
	return se
}

// scimHandler serves every SCIM route once the guard has checked the token.
func (s *Server) scimHandler(c *gin.Context) {
	if s.scim == nil {
		scimFail(c, fault.New(fault.NotFound, "SCIM is not available"))
		return
	}
	s.scim.ServeHTTP(c.Writer, c.Request)
}

func scimActor(r *http.Request) identity.Principal {
	id, _ := r.Context().Value(scimTokenKey{}).(string)
	return identity.Provisioner(id)
}

// ---- Users

type scimUsers struct{ ids *identity.Service }

func (h *scimUsers) resource(u identity.User) scim.Resource {
	created, modified := u.CreatedAt.UTC(), u.UpdatedAt.UTC()
	res := scim.Resource{ID: u.ID, Attributes: userAttributes(u),
		Meta: scim.Meta{Created: &created, LastModified: &modified, Version: fmt.Sprintf(`W/"%d"`, modified.UnixNano())}}
	if u.ExternalID != nil {
		res.ExternalID = scimopt.NewString(*u.ExternalID)
	}
	return res
}

// userAttributes is a person in SCIM's terms. The name is kept as one
// string: givenName and familyName split it at its first space.
func userAttributes(u identity.User) scim.ResourceAttributes {
	userName := u.Email
	if u.ScimUserName != nil {
		userName = *u.ScimUserName
	}
	given, family, _ := strings.Cut(u.Name, " ")
	ext := map[string]any{"department": u.Department}
	if u.EmployeeID != nil {
		ext["employeeNumber"] = *u.EmployeeID
	}
	if u.ManagerID != nil {
		ext["manager"] = map[string]any{"value": *u.ManagerID}
	}
	attrs := scim.ResourceAttributes{
		"userName":    userName,
		"displayName": u.Name,
		"name":        map[string]any{"formatted": u.Name, "givenName": given, "familyName": family},
		"emails":      []any{map[string]any{"value": u.Email, "type": "work", "primary": true}},
		"active":      !u.Disabled,
		enterpriseURN: ext,
	}
	if u.ExternalID != nil {
		attrs["externalId"] = *u.ExternalID
	}
	return attrs
}

// provisioned reads what SCIM sets from a resource's attributes.
func provisioned(a scim.ResourceAttributes) identity.Provisioned {
	p := identity.Provisioned{UserName: str(a["userName"]), ExternalID: str(a["externalId"]), Active: true}
	if v, ok := a["active"]; ok && v != nil {
		p.Active = truthy(v)
	}
	p.Email = primaryEmail(a["emails"])
	name, _ := a["name"].(map[string]any)
	given, family := strings.TrimSpace(str(name["givenName"])), strings.TrimSpace(str(name["familyName"]))
	switch {
	case given != "" || family != "":
		p.Name = strings.TrimSpace(given + " " + family)
	case str(name["formatted"]) != "":
		p.Name = str(name["formatted"])
	default:
		p.Name = str(a["displayName"])
	}
	if ext, ok := a[enterpriseURN].(map[string]any); ok {
		p.Department = str(ext["department"])
		p.EmployeeID = str(ext["employeeNumber"])
		switch m := ext["manager"].(type) {
		case map[string]any:
			p.ManagerID = str(m["value"])
		case string:
			p.ManagerID = m
		}
	}
	return p
}

func str(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return ""
	}
	return fmt.Sprint(v)
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case string:
		b, _ := strconv.ParseBool(strings.ToLower(x))
		return b
	}
	return false
}

// primaryEmail is the value of emails[primary eq true], else the first.
func primaryEmail(v any) string {
	list, _ := v.([]any)
	first := ""
	for _, e := range list {
		m, _ := e.(map[string]any)
		if first == "" {
			first = str(m["value"])
		}
		if truthy(m["primary"]) {
			return str(m["value"])
		}
	}
	return first
}

func (h *scimUsers) Create(r *http.Request, a scim.ResourceAttributes) (scim.Resource, error) {
	u, err := h.ids.ProvisionCreate(r.Context(), scimActor(r), provisioned(a))
	if err != nil {
		return scim.Resource{}, toScimError(err)
	}
	return h.resource(u), nil
}

func (h *scimUsers) Get(r *http.Request, id string) (scim.Resource, error) {
	u, err := h.ids.ProvisionGet(r.Context(), id)
	if err != nil {
		return scim.Resource{}, notFoundOr(id, err)
	}
	return h.resource(u), nil
}

func notFoundOr(id string, err error) error {
	if fault.Is(err, fault.NotFound) {
		return scimerrors.ScimErrorResourceNotFound(id)
	}
	return toScimError(err)
}

func (h *scimUsers) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	f, err := userFilter(params.FilterValidator)
	if err != nil {
		return scim.Page{}, err
	}
	users, total, err := h.ids.ProvisionList(r.Context(), f, max(params.StartIndex, 1)-1, min(max(params.Count, 0), scimMaxResults))
	if err != nil {
		return scim.Page{}, toScimError(err)
	}
	page := scim.Page{TotalResults: total, Resources: []scim.Resource{}}
	for _, u := range users {
		page.Resources = append(page.Resources, h.resource(u))
	}
	return page, nil
}

// eqFilter reads a filter of the form `attr eq "value"`: the lookups
// identity providers make. Anything else is refused as invalidFilter.
func eqFilter(v *scimfilter.Validator) (attr, value string, err error) {
	if v == nil {
		return "", "", nil
	}
	e, ok := v.GetFilter().(*filter.AttributeExpression)
	if !ok || e.Operator != filter.EQ || e.AttributePath.SubAttribute != nil {
		return "", "", scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidFilter,
			Detail: `only filters of the form attribute eq "value" are supported`}
	}
	return e.AttributePath.AttributeName, str(e.CompareValue), nil
}

func userFilter(v *scimfilter.Validator) (identity.ProvisionFilter, error) {
	attr, value, err := eqFilter(v)
	if err != nil || attr == "" {
		return identity.ProvisionFilter{}, err
	}
	switch strings.ToLower(attr) {
	case "username":
		return identity.ProvisionFilter{UserName: value, None: value == ""}, nil
	case "externalid":
		return identity.ProvisionFilter{ExternalID: value, None: value == ""}, nil
	}
	return identity.ProvisionFilter{}, scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidFilter,
		Detail: "users can be filtered on userName and externalId"}
}

func (h *scimUsers) Replace(r *http.Request, id string, a scim.ResourceAttributes) (scim.Resource, error) {
	u, err := h.ids.ProvisionUpdate(r.Context(), scimActor(r), id, provisioned(a))
	if err != nil {
		return scim.Resource{}, notFoundOr(id, err)
	}
	return h.resource(u), nil
}

func (h *scimUsers) Delete(r *http.Request, id string) error {
	if err := h.ids.ProvisionDelete(r.Context(), scimActor(r), id); err != nil {
		return notFoundOr(id, err)
	}
	return nil
}

// Patch applies the operations to the person's SCIM attributes and writes
// the result as a whole.
func (h *scimUsers) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	u, err := h.ids.ProvisionGet(r.Context(), id)
	if err != nil {
		return scim.Resource{}, notFoundOr(id, err)
	}
	a := userAttributes(u)
	if u.ExternalID != nil {
		a["externalId"] = *u.ExternalID
	}
	before := nameParts(a)
	for _, op := range ops {
		if err := patchUser(a, op); err != nil {
			return scim.Resource{}, err
		}
	}
	p := provisioned(a)
	p.Name = patchedName(before, nameParts(a), u.Name)
	u, err = h.ids.ProvisionUpdate(r.Context(), scimActor(r), id, p)
	if err != nil {
		return scim.Resource{}, notFoundOr(id, err)
	}
	return h.resource(u), nil
}

// nameParts are the attributes a name can come from: givenName,
// familyName, formatted and displayName.
func nameParts(a scim.ResourceAttributes) [4]string {
	name, _ := a["name"].(map[string]any)
	return [4]string{strings.TrimSpace(str(name["givenName"])), strings.TrimSpace(str(name["familyName"])),
		strings.TrimSpace(str(name["formatted"])), strings.TrimSpace(str(a["displayName"]))}
}

// patchedName is the name after a PATCH: from whichever of its sources
// the operations changed, most specific first; unchanged otherwise.
func patchedName(before, after [4]string, current string) string {
	switch {
	case before[0] != after[0] || before[1] != after[1]:
		if n := strings.TrimSpace(after[0] + " " + after[1]); n != "" {
			return n
		}
	case before[2] != after[2] && after[2] != "":
		return after[2]
	case before[3] != after[3] && after[3] != "":
		return after[3]
	}
	return current
}

var errNoTarget = scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidPath,
	Detail: "this attribute cannot be changed here"}

// patchUser applies one operation to a's attributes: a path (simple,
// name.givenName, the enterprise URN's attributes, emails[type eq "work"].value)
// or, without a path, an object of attribute values (Okta's and Entra's
// "replace" of active, among others).
func patchUser(a scim.ResourceAttributes, op scim.PatchOperation) error {
	remove := op.Op == scim.PatchOperationRemove
	if op.Path == nil {
		values, ok := op.Value.(map[string]any)
		if !ok {
			return scimerrors.ScimErrorInvalidValue
		}
		for k, v := range values {
			if err := setUserPath(a, k, v, remove); err != nil {
				return err
			}
		}
		return nil
	}
	p := op.Path
	target := map[string]any(a)
	if uri := p.AttributePath.URI(); uri != "" {
		if !strings.EqualFold(uri, enterpriseURN) {
			return errNoTarget
		}
		ext, _ := a[enterpriseURN].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			a[enterpriseURN] = ext
		}
		target = ext
	}
	name := p.AttributePath.AttributeName
	sub := p.AttributePath.SubAttributeName()
	if p.ValueExpression != nil || p.SubAttribute != nil {
		// A multi-valued attribute picked by a filter: only emails are
		// kept, and one address (the primary) stands for them all.
		if !strings.EqualFold(name, "emails") {
			return nil
		}
		if s := p.SubAttributeName(); s == "" || strings.EqualFold(s, "value") {
			if remove {
				return nil // the address stays: everyone needs one
			}
			a["emails"] = []any{map[string]any{"value": str(op.Value), "primary": true, "type": "work"}}
		}
		return nil
	}
	key := name
	if sub != "" {
		key = name + "." + sub
	}
	return setUserPath(target, key, op.Value, remove)
}

// setUserPath sets or removes one attribute: "name", "name.givenName",
// "urn:…:enterprise:2.0:User:department" or the URN itself (an object).
func setUserPath(m map[string]any, key string, v any, remove bool) error {
	if rest, ok := cutFold(key, enterpriseURN+":"); ok {
		ext, _ := m[enterpriseURN].(map[string]any)
		if ext == nil {
			ext = map[string]any{}
			m[enterpriseURN] = ext
		}
		return setUserPath(ext, rest, v, remove)
	}
	if strings.EqualFold(key, enterpriseURN) {
		obj, _ := v.(map[string]any)
		for k, x := range obj {
			if err := setUserPath(m, enterpriseURN+":"+k, x, remove); err != nil {
				return err
			}
		}
		return nil
	}
	if strings.HasPrefix(strings.ToLower(key), "emails[") {
		if !remove {
			m["emails"] = []any{map[string]any{"value": str(v), "primary": true, "type": "work"}}
		}
		return nil
	}
	parent, child, nested := strings.Cut(key, ".")
	if nested {
		obj, _ := m[canonicalKey(m, parent)].(map[string]any)
		if obj == nil {
			obj = map[string]any{}
			m[canonicalKey(m, parent)] = obj
		}
		if remove {
			delete(obj, canonicalKey(obj, child))
		} else {
			obj[canonicalKey(obj, child)] = v
		}
		return nil
	}
	k := canonicalKey(m, key)
	if remove {
		delete(m, k)
		return nil
	}
	if obj, ok := v.(map[string]any); ok {
		if cur, ok := m[k].(map[string]any); ok {
			for ck, cv := range obj {
				cur[canonicalKey(cur, ck)] = cv
			}
			return nil
		}
	}
	m[k] = v
	return nil
}

// canonicalKey is the spelling m already uses for key (SCIM attribute
// names are case-insensitive), or the schema's spelling of a known one.
func canonicalKey(m map[string]any, key string) string {
	for k := range m {
		if strings.EqualFold(k, key) {
			return k
		}
	}
	for _, k := range []string{"userName", "displayName", "name", "givenName", "familyName", "formatted", "emails",
		"active", "externalId", "department", "employeeNumber", "manager"} {
		if strings.EqualFold(k, key) {
			return k
		}
	}
	return key
}

func cutFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return "", false
}

// ---- Groups

type scimGroups struct{ ids *identity.Service }

func groupResource(g identity.Group) scim.Resource {
	created, modified := g.CreatedAt.UTC(), g.UpdatedAt.UTC()
	members := []any{}
	for _, id := range g.Members {
		members = append(members, map[string]any{"value": id, "type": "User"})
	}
	res := scim.Resource{ID: g.ID, Attributes: scim.ResourceAttributes{"displayName": g.DisplayName, "members": members},
		Meta: scim.Meta{Created: &created, LastModified: &modified}}
	if g.ExternalID != nil {
		res.ExternalID = scimopt.NewString(*g.ExternalID)
	}
	return res
}

func memberIDs(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, m := range list {
		if obj, ok := m.(map[string]any); ok {
			if id := str(obj["value"]); id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}

func (h *scimGroups) Create(r *http.Request, a scim.ResourceAttributes) (scim.Resource, error) {
	g, err := h.ids.CreateGroup(r.Context(), scimActor(r), str(a["displayName"]), str(a["externalId"]), memberIDs(a["members"]))
	if err != nil {
		return scim.Resource{}, toScimError(err)
	}
	return groupResource(g), nil
}

func (h *scimGroups) Get(r *http.Request, id string) (scim.Resource, error) {
	g, err := h.ids.GetGroup(r.Context(), id)
	if err != nil {
		return scim.Resource{}, notFoundOr(id, err)
	}
	return groupResource(g), nil
}

func (h *scimGroups) GetAll(r *http.Request, params scim.ListRequestParams) (scim.Page, error) {
	attr, value, err := eqFilter(params.FilterValidator)
	if err != nil {
		return scim.Page{}, err
	}
	var name, ext string
	switch strings.ToLower(attr) {
	case "":
	case "displayname":
		name = value
	case "externalid":
		ext = value
	default:
		return scim.Page{}, scimerrors.ScimError{Status: http.StatusBadRequest, ScimType: scimerrors.ScimTypeInvalidFilter,
			Detail: "groups can be filtered on displayName and externalId"}
	}
	groups, total, err := h.ids.ListGroups(r.Context(), name, ext, max(params.StartIndex, 1)-1, min(max(params.Count, 0), scimMaxResults))
	if err != nil {
		return scim.Page{}, toScimError(err)
	}
	page := scim.Page{TotalResults: total, Resources: []scim.Resource{}}
	for _, g := range groups {
		page.Resources = append(page.Resources, groupResource(g))
	}
	return page, nil
}

func (h *scimGroups) Replace(r *http.Request, id string, a scim.ResourceAttributes) (scim.Resource, error) {
	name, ext, members := str(a["displayName"]), str(a["externalId"]), memberIDs(a["members"])
	g, err := h.ids.UpdateGroup(r.Context(), scimActor(r), id, identity.GroupChange{DisplayName: &name, ExternalID: &ext, SetMembers: &members})
	if err != nil {
		return scim.Resource{}, notFoundOr(id, err)
	}
	return groupResource(g), nil
}

func (h *scimGroups) Delete(r *http.Request, id string) error {
	if err := h.ids.DeleteGroup(r.Context(), scimActor(r), id); err != nil {
		return notFoundOr(id, err)
	}
	return nil
}

// Patch turns the operations into one change: members added or removed
// (Entra ID: "add"/"remove" with a list of values; Okta: "remove" with
// members[value eq "id"], "replace" of the whole list), a new name.
func (h *scimGroups) Patch(r *http.Request, id string, ops []scim.PatchOperation) (scim.Resource, error) {
	var c identity.GroupChange
	for _, op := range ops {
		if err := groupOp(&c, op); err != nil {
			return scim.Resource{}, err
		}
	}
	g, err := h.ids.UpdateGroup(r.Context(), scimActor(r), id, c)
	if err != nil {
		return scim.Resource{}, notFoundOr(id, err)
	}
	return groupResource(g), nil
}

func groupOp(c *identity.GroupChange, op scim.PatchOperation) error {
	set := func(key string, v any) error {
		switch strings.ToLower(key) {
		case "displayname":
			s := str(v)
			c.DisplayName = &s
		case "externalid":
			s := str(v)
			c.ExternalID = &s
		case "members":
			ids := memberIDs(v)
			switch op.Op {
			case scim.PatchOperationAdd:
				c.Add = append(c.Add, ids...)
			case scim.PatchOperationReplace:
				c.SetMembers, c.Add, c.Remove = &ids, nil, nil
			case scim.PatchOperationRemove:
				if len(ids) == 0 {
					c.RemoveAll, c.Add = true, nil
				}
				c.Remove = append(c.Remove, ids...)
			}
		default:
			return errNoTarget
		}
		return nil
	}
	if op.Path == nil {
		values, ok := op.Value.(map[string]any)
		if !ok {
			return scimerrors.ScimErrorInvalidValue
		}
		for k, v := range values {
			if err := set(k, v); err != nil {
				return err
			}
		}
		return nil
	}
	name := op.Path.AttributePath.AttributeName
	if e, ok := op.Path.ValueExpression.(*filter.AttributeExpression); ok && strings.EqualFold(name, "members") {
		// members[value eq "id"]: that one member.
		if op.Op != scim.PatchOperationRemove || e.Operator != filter.EQ || !strings.EqualFold(e.AttributePath.AttributeName, "value") {
			return errNoTarget
		}
		c.Remove = append(c.Remove, str(e.CompareValue))
		return nil
	}
	return set(name, op.Value)
}
