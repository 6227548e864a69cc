package httpapi

import (
	"encoding/json"
	"net/http"
)

type jsonRender struct {
	contentType string
	v           any
}

func (r jsonRender) Render(w http.ResponseWriter) error {
	r.WriteContentType(w)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(r.v)
}

func (r jsonRender) WriteContentType(w http.ResponseWriter) {
	w.Header().Set("Content-Type", r.contentType+"; charset=utf-8")
}
