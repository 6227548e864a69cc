package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

//go:embed templates/*.txt templates/*.html
var templateFS embed.FS

// View is what every template sees: the company, the service's address, the
// recipient's name, the subject (rendered first) and the message's own Data.
type View struct {
	Org     string
	BaseURL string
	Name    string
	Subject string
	Data    any
}

// Rendered is a message ready to send.
type Rendered struct {
	Subject, Text, HTML string
}

type kindTemplates struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// Templates holds every kind of message; parse them once with
// LoadTemplates.
type Templates struct{ kinds map[string]kindTemplates }

// Kinds of message the templates know.
var Kinds = []string{"invitation", "password_reset", "digest", "test"}

// LoadTemplates parses the embedded templates.
func LoadTemplates() (*Templates, error) {
	t := &Templates{kinds: map[string]kindTemplates{}}
	for _, k := range Kinds {
		txt, err := texttemplate.New(k).Option("missingkey=error").ParseFS(templateFS, "templates/"+k+".txt")
		if err != nil {
			return nil, fmt.Errorf("mail template %s.txt: %w", k, err)
		}
		html, err := htmltemplate.New(k).Option("missingkey=error").ParseFS(templateFS, "templates/layout.html", "templates/"+k+".html")
		if err != nil {
			return nil, fmt.Errorf("mail template %s.html: %w", k, err)
		}
		t.kinds[k] = kindTemplates{text: txt, html: html}
	}
	return t, nil
}

// Render builds the subject and both parts of a kind of message.
func (t *Templates) Render(kind string, v View) (Rendered, error) {
	k, ok := t.kinds[kind]
	if !ok {
		return Rendered{}, fmt.Errorf("no mail template %q", kind)
	}
	var subject, text, html bytes.Buffer
	if err := k.text.ExecuteTemplate(&subject, "subject", v); err != nil {
		return Rendered{}, fmt.Errorf("render %s subject: %w", kind, err)
	}
	// A subject is one line, whatever a name in it holds.
	v.Subject = strings.Join(strings.Fields(subject.String()), " ")
	if err := k.text.ExecuteTemplate(&text, "text", v); err != nil {
		return Rendered{}, fmt.Errorf("render %s text: %w", kind, err)
	}
	if err := k.html.ExecuteTemplate(&html, "layout", v); err != nil {
		return Rendered{}, fmt.Errorf("render %s html: %w", kind, err)
	}
	return Rendered{Subject: v.Subject, Text: text.String(), HTML: html.String()}, nil
}
