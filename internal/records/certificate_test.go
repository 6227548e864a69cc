package records

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"
)

func sampleCertificate() Certificate {
	score := 92
	expires := time.Date(2027, 3, 2, 0, 0, 0, 0, time.UTC)
	return Certificate{
		HolderName:  "Zoë Ångström-Łukasiewicz",
		ModuleTitle: "Customer data, consent and generative AI in campaigns",
		Revision:    3,
		Score:       &score,
		IssuedAt:    time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC),
		ExpiresAt:   &expires,
		RecordID:    "0b9e5a52-7a0c-4d8e-bb53-6c1f3f2a9d10",
		VerifyURL:   "https://upskill.example.com/api/v1/records/0b9e5a52-7a0c-4d8e-bb53-6c1f3f2a9d10/verify",
		IssuerName:  "Acme Marketing Academy",
	}
}

// TestRenderSample writes the sample certificate to $CERT_PDF_OUT when set,
// so a person can look at the layout:
//
//	CERT_PDF_OUT=/tmp/cert.pdf go test ./internal/records -run TestRenderSample
//	pdftoppm -png -r 50 /tmp/cert.pdf /tmp/cert
func TestRenderSample(t *testing.T) {
	pdf := render(t, sampleCertificate())
	if out := os.Getenv("CERT_PDF_OUT"); out != "" {
		if err := os.WriteFile(out, pdf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRenderPDFVariants(t *testing.T) {
	long := strings.Repeat("Responsible generative AI for brand, campaign and customer communication ", 6)
	for name, edit := range map[string]func(*Certificate){
		"latin diacritics":    func(*Certificate) {},
		"cyrillic":            func(c *Certificate) { c.HolderName = "Дмитрий Шостакович" },
		"greek":               func(c *Certificate) { c.HolderName = "Ελένη Παπαδοπούλου" },
		"cjk falls back":      func(c *Certificate) { c.HolderName = "王小明" },
		"PDF syntax in name":  func(c *Certificate) { c.HolderName = `O'Brien (x) \\ << /JS >> %%EOF` },
		"one-letter name":     func(c *Certificate) { c.HolderName = "X" },
		"no quiz, no expiry":  func(c *Certificate) { c.Score, c.ExpiresAt = nil, nil },
		"no issuer name":      func(c *Certificate) { c.IssuerName = "" },
		"very long title":     func(c *Certificate) { c.ModuleTitle = long },
		"unbreakable title":   func(c *Certificate) { c.ModuleTitle = strings.Repeat("Ω", 400) },
		"very long name":      func(c *Certificate) { c.HolderName = strings.Repeat("Maximiliane-Josephine ", 8) },
		"very long verifyURL": func(c *Certificate) { c.VerifyURL = "https://upskill.example.com/v/" + strings.Repeat("a", 300) },
	} {
		t.Run(name, func(t *testing.T) {
			c := sampleCertificate()
			edit(&c)
			render(t, c)
		})
	}
}

func TestRenderPDFIsDeterministic(t *testing.T) {
	a := render(t, sampleCertificate())
	b := render(t, sampleCertificate())
	if !bytes.Equal(a, b) {
		t.Fatal("rendering the same certificate twice gave different bytes")
	}
}

func TestRenderPDFRefusesIncompleteCertificates(t *testing.T) {
	for name, edit := range map[string]func(*Certificate){
		"no name":       func(c *Certificate) { c.HolderName = "  " },
		"no title":      func(c *Certificate) { c.ModuleTitle = "" },
		"no record id":  func(c *Certificate) { c.RecordID = "" },
		"no verify URL": func(c *Certificate) { c.VerifyURL = "" },
		"no issue date": func(c *Certificate) { c.IssuedAt = time.Time{} },
	} {
		c := sampleCertificate()
		edit(&c)
		var buf bytes.Buffer
		if err := RenderPDF(&buf, c); err == nil {
			t.Errorf("%s: rendered", name)
		}
	}
}

// render checks the invariants every certificate shares: a PDF of exactly
// one page.
func render(t *testing.T, c Certificate) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderPDF(&buf, c); err != nil {
		t.Fatal(err)
	}
	pdf := buf.Bytes()
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("output starts with %q", pdf[:min(8, len(pdf))])
	}
	pages := bytes.Count(pdf, []byte("/Type /Page")) - bytes.Count(pdf, []byte("/Type /Pages"))
	if pages != 1 {
		t.Fatalf("%d pages, want 1", pages)
	}
	return pdf
}
