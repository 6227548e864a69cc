package httpapi

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/learning"
	"github.com/upskill/upskill/internal/records"
)

// recordJSON is the Record of the contract.
type recordJSON struct {
	ID           string     `json:"id"`
	UserID       string     `json:"user_id"`
	HolderName   string     `json:"holder_name"`
	Kind         string     `json:"kind"`
	Path         *string    `json:"path"`
	Module       *string    `json:"module"`
	ModuleTitle  string     `json:"module_title"`
	Revision     *int       `json:"revision"`
	ContentHash  *string    `json:"content_hash"`
	Score        *int       `json:"score"`
	IssuedAt     time.Time  `json:"issued_at"`
	ExpiresAt    *time.Time `json:"expires_at"`
	Status       string     `json:"status"`
	RevokedAt    *time.Time `json:"revoked_at"`
	RevokeReason *string    `json:"revoke_reason"`
	Credential   string     `json:"credential"`
}

func toRecordJSON(r learning.Record) recordJSON {
	out := recordJSON{ID: r.ID, UserID: r.UserID, HolderName: r.HolderName, Kind: learning.KindModule, ModuleTitle: r.ModuleTitle,
		Score: r.Score, IssuedAt: r.IssuedAt.UTC(),
		ExpiresAt: utc(r.ExpiresAt), Status: r.Status, RevokedAt: utc(r.RevokedAt), Credential: r.Credential}
	if r.IsPath() {
		out.Kind, out.Path = learning.KindPath, r.Path
	} else {
		out.Module, out.Revision, out.ContentHash = &r.Module, &r.Revision, &r.ContentHash
	}
	if r.RevokedAt != nil {
		out.RevokeReason = &r.RevokeReason
	}
	return out
}

func utc(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func (s *Server) getRecord(c *gin.Context) {
	r, err := s.Learning.GetRecord(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toRecordJSON(r))
}

func (s *Server) myRecords(c *gin.Context) {
	p, err := pageOf(c)
	if err != nil {
		fail(c, err)
		return
	}
	recs, next, err := s.Learning.ListRecords(c.Request.Context(), principal(c).UserID, p)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, listOf(recs, next, toRecordJSON))
}

func (s *Server) revokeRecord(c *gin.Context) {
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	r, err := s.Learning.Revoke(c.Request.Context(), principal(c), c.Param("id"), in.Reason)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toRecordJSON(r))
}

// recordVerifyURL is where the certificate's QR code points: the web app's
// public verification page, which a phone's browser opens.
func (s *Server) recordVerifyURL(id string) string {
	return strings.TrimRight(s.opt.BaseURL, "/") + "/verify/" + url.PathEscape(id)
}

func (s *Server) getCertificate(c *gin.Context) {
	cert, err := s.Learning.Certificate(c.Request.Context(), principal(c), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	cert.VerifyURL = s.recordVerifyURL(cert.RecordID)
	// Rendered in full before the first byte is sent, so a failure is
	// still a problem response.
	var buf bytes.Buffer
	if err := records.RenderPDF(&buf, cert); err != nil {
		fail(c, fault.Wrap(err, "could not render the certificate"))
		return
	}
	c.Header("Content-Disposition", `inline; filename="upskill-record-`+cert.RecordID+`.pdf"`)
	c.Header("Cache-Control", "private, no-cache")
	c.Data(http.StatusOK, "application/pdf", buf.Bytes())
}

// verificationJSON answers both verify routes. It names the holder but
// carries no email and no user id.
func verificationJSON(v learning.Verification) verifyJSON {
	var rec *verifiedJSON // JSON null when the credential is not genuine
	if f := v.Record; f != nil {
		rec = &verifiedJSON{ID: f.ID, HolderName: f.HolderName, Kind: f.Kind, Path: f.Path, ModuleTitle: f.ModuleTitle,
			IssuedAt: f.IssuedAt.UTC(), ExpiresAt: utc(f.ExpiresAt)}
		if f.Kind != learning.KindPath {
			rec.Module, rec.Revision = &f.Module, &f.Revision
		}
	}
	return verifyJSON{Valid: v.Valid, Status: v.Status, Record: rec}
}

func (s *Server) verifyRecord(c *gin.Context) {
	v, err := s.Learning.Verify(c.Request.Context(), c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store") // revocation must show at once
	c.Header("Vary", "Accept")
	if wantsHTML(c) {
		renderVerifyPage(c, v)
		return
	}
	c.JSON(http.StatusOK, verificationJSON(v))
}

func (s *Server) verifyCredential(c *gin.Context) {
	var in struct {
		Credential string `json:"credential"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	if strings.TrimSpace(in.Credential) == "" {
		fail(c, fault.InvalidFields("credential is required: the compact JWS of a record",
			fault.FieldError{Field: "credential", Message: "required"}))
		return
	}
	v, err := s.Learning.VerifyCredential(c.Request.Context(), in.Credential)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, verificationJSON(v))
}
