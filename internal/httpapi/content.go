package httpapi

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/content"
	"github.com/upskill/upskill/internal/fault"
)

// maxContentBody bounds a module upload: images are sent base64-encoded.
const maxContentBody = 10 << 20

// base64Prefix marks a file value (an image) sent as base64 rather than text.
const base64Prefix = "base64:"

// contentUpload is the body of validate and publish: the module's files by
// path relative to its folder.
type contentUpload struct {
	Slug  string            `json:"slug"`
	Files map[string]string `json:"files"`
}

// read checks the body's shape and decodes the files. slug is the module
// named by the URL, if any. Files whose base64 does not decode are
// problems, like any other content problem.
func (in contentUpload) read(slug string) (string, map[string][]byte, []content.Problem, error) {
	switch {
	case slug != "" && in.Slug != "" && in.Slug != slug:
		return "", nil, nil, fault.InvalidFields("the body's slug differs from the module in the URL",
			fault.FieldError{Field: "slug", Message: "must be " + slug + " or left out"})
	case slug == "" && in.Slug == "":
		return "", nil, nil, fault.InvalidFields("slug is required: the module's folder name",
			fault.FieldError{Field: "slug", Message: "required"})
	case in.Files == nil:
		return "", nil, nil, fault.InvalidFields("files is required: the module's files by path, e.g. {\"module.md\": \"---\\ntitle: …\"}",
			fault.FieldError{Field: "files", Message: "required"})
	}
	if slug == "" {
		slug = in.Slug
	}
	files := make(map[string][]byte, len(in.Files))
	var probs []content.Problem
	for p, v := range in.Files {
		if b64, ok := strings.CutPrefix(v, base64Prefix); ok {
			data, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				probs = append(probs, content.Problem{File: p, Message: "the value after \"base64:\" is not valid base64"})
				continue
			}
			files[p] = data
			continue
		}
		files[p] = []byte(v)
	}
	return slug, files, probs, nil
}

// readUpload decodes the body of an upload and reads it (see read) for
// the slug the URL names, "" where the body names it. On a malformed body
// it has answered with the problem and returns false.
func readUpload(c *gin.Context, urlSlug string) (string, map[string][]byte, []content.Problem, bool) {
	var in contentUpload
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return "", nil, nil, false
	}
	slug, files, probs, err := in.read(urlSlug)
	if err != nil {
		fail(c, err)
		return "", nil, nil, false
	}
	return slug, files, probs, true
}

func (s *Server) validateContent(c *gin.Context) {
	if _, v, ok := s.checkBody(c); ok {
		c.JSON(http.StatusOK, v)
	}
}

// checkBody decodes an upload ({"slug","files"}) and validates it without
// publishing: validate and preview share it. On a malformed body it has
// answered with the problem and returns false.
func (s *Server) checkBody(c *gin.Context) (*content.Module, validationJSON, bool) {
	slug, files, probs, ok := readUpload(c, "")
	if !ok {
		return nil, validationJSON{}, false
	}
	m, probs, warns := s.checkUpload(slug, files, probs)
	return m, validationJSON{Valid: len(probs) == 0, Problems: probs, Warnings: warns}, true
}

// validationJSON answers validate: problems stop a publish, warnings do not.
type validationJSON struct {
	Valid    bool              `json:"valid"`
	Problems []content.Problem `json:"problems"`
	Warnings []content.Problem `json:"warnings"`
}

// checkUpload adds the catalog's problems with the upload to those found
// decoding it, sorted by file and line, and returns the module's warnings.
func (s *Server) checkUpload(slug string, files map[string][]byte, probs []content.Problem) (*content.Module, []content.Problem, []content.Problem) {
	m, more := s.Catalog.CheckUpload(slug, files)
	probs = append(probs, more...)
	content.SortProblems(probs)
	return m, nonNilProblems(probs), nonNilProblems(m.Warnings)
}

func nonNilProblems(ps []content.Problem) []content.Problem {
	if ps == nil {
		return []content.Problem{}
	}
	return ps
}

func (s *Server) publishModule(c *gin.Context) {
	slug, files, probs, ok := readUpload(c, c.Param("slug"))
	if !ok {
		return
	}
	if len(probs) > 0 {
		// Report every problem at once, not only the undecodable files.
		_, probs, _ := s.checkUpload(slug, files, probs)
		fail(c, catalog.InvalidContent(slug, probs))
		return
	}
	res, err := s.Catalog.PublishUpload(c.Request.Context(), slug, files, principal(c).UserID)
	if err != nil {
		fail(c, err)
		return
	}
	status := http.StatusOK
	if res.Created {
		status = http.StatusCreated
		c.Header("Location", "/api/v1/modules/"+res.Slug)
	}
	c.JSON(status, publishJSON{Slug: res.Slug, Revision: res.Revision, ContentHash: res.Hash, Created: res.Created,
		Warnings: nonNilProblems(res.Warnings)})
}

type publishJSON struct {
	Slug        string            `json:"slug"`
	Revision    int               `json:"revision"`
	ContentHash string            `json:"content_hash"`
	Created     bool              `json:"created"`
	Warnings    []content.Problem `json:"warnings"`
}

// moduleFilesJSON is a module's current source files in the shape publish
// takes, so an author can change them and publish them again.
type moduleFilesJSON struct {
	Slug     string            `json:"slug"`
	Revision int               `json:"revision"`
	Files    map[string]string `json:"files"`
}

// moduleFiles answers the source files of a module's current revision
// (archived ones too): text as it is, images and any file that would not
// survive as text (invalid UTF-8, or text that itself starts with
// "base64:") base64-encoded.
func (s *Server) moduleFiles(c *gin.Context) {
	m, err := s.Catalog.Lookup(c.Param("slug"))
	if err != nil {
		fail(c, err)
		return
	}
	files, err := s.Catalog.Files(c.Request.Context(), m.Slug, m.Revision)
	if err != nil {
		fail(c, err)
		return
	}
	out := moduleFilesJSON{Slug: m.Slug, Revision: m.Revision, Files: make(map[string]string, len(files))}
	for p, data := range files {
		if strings.HasSuffix(strings.ToLower(p), ".md") && utf8.Valid(data) && !bytes.HasPrefix(data, []byte(base64Prefix)) {
			out.Files[p] = string(data)
			continue
		}
		out.Files[p] = base64Prefix + base64.StdEncoding.EncodeToString(data)
	}
	c.JSON(http.StatusOK, out)
}
