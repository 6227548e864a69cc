package records

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/signintech/gopdf"
	"github.com/skip2/go-qrcode"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
)

// Certificate is what the printable certificate shows. Score is nil when
// the module has no quiz; ExpiresAt is nil when the record never expires.
type Certificate struct {
	HolderName  string
	ModuleTitle string
	Revision    int
	Path        bool // a learning path's record: no revision or score
	Score       *int
	IssuedAt    time.Time
	ExpiresAt   *time.Time
	RecordID    string
	VerifyURL   string
	IssuerName  string // the organisation, shown above the title; optional
}

// Page geometry in points: landscape A4.
const (
	pageW    = 842.0
	pageH    = 595.0
	marginX  = 70.0
	contentW = pageW - 2*marginX
	qrSize   = 96.0
)

// Colours, as RGB.
var (
	inkColor    = [3]uint8{33, 37, 41}
	mutedColor  = [3]uint8{108, 117, 125}
	accentColor = [3]uint8{31, 78, 121}
	ruleColor   = [3]uint8{206, 212, 218}
)

// RenderPDF writes c as a one-page landscape A4 PDF.
//
// The Go fonts are embedded (subset), so Latin, Greek and Cyrillic names
// render on any viewer. They have no CJK, Arabic or Hebrew glyphs: those
// characters print as "?" until a font covering them (e.g. Noto Sans CJK)
// is added as a fallback here.
func RenderPDF(w io.Writer, c Certificate) error {
	if err := c.check(); err != nil {
		return fmt.Errorf("records: certificate: %w", err)
	}
	r, err := newRenderer(c)
	if err != nil {
		return fmt.Errorf("records: certificate: %w", err)
	}
	for _, draw := range []func(Certificate) error{
		r.frame, r.heading, r.holder, r.module, r.footer, r.qrCode,
	} {
		if err := draw(c); err != nil {
			return fmt.Errorf("records: certificate: %w", err)
		}
	}
	if _, err := r.pdf.WriteTo(w); err != nil {
		return fmt.Errorf("records: certificate: write: %w", err)
	}
	return nil
}

func (c Certificate) check() error {
	switch {
	case strings.TrimSpace(c.HolderName) == "":
		return errors.New("no holder name")
	case strings.TrimSpace(c.ModuleTitle) == "":
		return errors.New("no module title")
	case c.RecordID == "":
		return errors.New("no record id")
	case c.VerifyURL == "":
		return errors.New("no verification URL")
	case c.IssuedAt.IsZero():
		return errors.New("no issue date")
	}
	return nil
}

type renderer struct {
	pdf *gopdf.GoPdf
}

const (
	regular = "regular"
	bold    = "bold"
)

func newRenderer(c Certificate) (*renderer, error) {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA4Landscape, Unit: gopdf.UnitPT})
	// A visible "?" tells the reader a character is missing; gopdf's
	// default, a space, would silently change the name.
	opt := gopdf.TtfOption{OnGlyphNotFoundSubstitute: func(rune) rune { return '?' }}
	if err := pdf.AddTTFFontDataWithOption(regular, goregular.TTF, opt); err != nil {
		return nil, err
	}
	if err := pdf.AddTTFFontDataWithOption(bold, gobold.TTF, opt); err != nil {
		return nil, err
	}
	pdf.SetInfo(gopdf.PdfInfo{
		Title:   "Certificate of completion: " + c.ModuleTitle,
		Subject: "Completion record " + c.RecordID,
		Author:  c.IssuerName,
		Creator: "upskill",
		// The issue time, not the render time, so the same record always
		// renders to the same bytes.
		CreationDate: c.IssuedAt,
	})
	pdf.AddPage()
	return &renderer{pdf: pdf}, nil
}

// frame draws a double border: a firm outer line and a hairline inside.
func (r *renderer) frame(Certificate) error {
	r.pdf.SetStrokeColor(accentColor[0], accentColor[1], accentColor[2])
	r.pdf.SetLineWidth(1.6)
	r.pdf.RectFromUpperLeftWithStyle(22, 22, pageW-44, pageH-44, "D")
	r.pdf.SetLineWidth(0.5)
	r.pdf.RectFromUpperLeftWithStyle(30, 30, pageW-60, pageH-60, "D")
	return nil
}

func (r *renderer) heading(c Certificate) error {
	if c.IssuerName != "" {
		r.color(accentColor)
		if err := r.fitCentered(bold, strings.ToUpper(c.IssuerName), 11, 7, 62, 1); err != nil {
			return err
		}
	}
	r.color(inkColor)
	if err := r.centered(bold, 32, "Certificate of completion", 92); err != nil {
		return err
	}
	r.pdf.SetStrokeColor(accentColor[0], accentColor[1], accentColor[2])
	r.pdf.SetLineWidth(1.2)
	r.pdf.Line(pageW/2-40, 142, pageW/2+40, 142)
	return nil
}

func (r *renderer) holder(c Certificate) error {
	r.color(mutedColor)
	if err := r.centered(regular, 13, "This certifies that", 170); err != nil {
		return err
	}
	r.color(accentColor)
	// Names shrink before they wrap: a name split over two lines reads badly.
	if err := r.fitCentered(bold, c.HolderName, 34, 14, 194, 2); err != nil {
		return err
	}
	r.color(mutedColor)
	return r.centered(regular, 13, "has completed", 262)
}

func (r *renderer) module(c Certificate) error {
	r.color(inkColor)
	const top = 288.0
	size, lines, err := r.fit(bold, c.ModuleTitle, 22, 11, contentW, 3)
	if err != nil {
		return err
	}
	for i, l := range lines {
		if err := r.centered(bold, size, l, top+float64(i)*size*lineHeight); err != nil {
			return err
		}
	}
	line := fmt.Sprintf("Revision %d", c.Revision)
	if c.Path {
		line = "Learning path: every module completed"
	}
	if c.Score != nil {
		line += fmt.Sprintf("   •   Score %d%%", *c.Score)
	}
	r.color(mutedColor)
	return r.centered(regular, 12, line, top+float64(len(lines))*size*lineHeight+14)
}

// footer lists the dates, the record id and the verification URL under a
// rule, leaving the right-hand corner to the QR code.
func (r *renderer) footer(c Certificate) error {
	const top = 418.0
	r.pdf.SetStrokeColor(ruleColor[0], ruleColor[1], ruleColor[2])
	r.pdf.SetLineWidth(0.6)
	r.pdf.Line(marginX, top, pageW-marginX, top)

	expires := "Does not expire"
	if c.ExpiresAt != nil {
		expires = formatDate(*c.ExpiresAt)
	}
	if err := r.field(marginX, top+20, "ISSUED", formatDate(c.IssuedAt)); err != nil {
		return err
	}
	if err := r.field(marginX+190, top+20, "VALID UNTIL", expires); err != nil {
		return err
	}
	textW := contentW - qrSize - 30
	if err := r.labelled(marginX, top+70, textW, "RECORD ID", c.RecordID); err != nil {
		return err
	}
	return r.labelled(marginX, top+100, textW, "VERIFY AT", c.VerifyURL)
}

// field draws a small caption with a value below it.
func (r *renderer) field(x, y float64, label, value string) error {
	r.color(mutedColor)
	if err := r.textAt(regular, 8, x, y, label); err != nil {
		return err
	}
	r.color(inkColor)
	return r.textAt(bold, 13, x, y+14, value)
}

// labelled draws a caption and a small value on one line, shrinking the
// value (a long URL) to the width left.
func (r *renderer) labelled(x, y, width float64, label, value string) error {
	r.color(mutedColor)
	if err := r.textAt(regular, 8, x, y, label); err != nil {
		return err
	}
	const labelW = 62.0
	size, lines, err := r.fit(regular, value, 9, 5, width-labelW, 2)
	if err != nil {
		return err
	}
	r.color(inkColor)
	for i, l := range lines {
		if err := r.textAt(regular, size, x+labelW, y+float64(i)*size*1.2, l); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) qrCode(c Certificate) error {
	png, err := qrcode.Encode(c.VerifyURL, qrcode.Medium, 512)
	if err != nil {
		return fmt.Errorf("QR code: %w", err)
	}
	img, err := gopdf.ImageHolderByBytes(png)
	if err != nil {
		return fmt.Errorf("QR code: %w", err)
	}
	x, y := pageW-marginX-qrSize+8, 424.0
	if err := r.pdf.ImageByHolder(img, x, y, &gopdf.Rect{W: qrSize, H: qrSize}); err != nil {
		return fmt.Errorf("QR code: %w", err)
	}
	r.color(mutedColor)
	r.pdf.SetXY(x, y+qrSize-2)
	if err := r.pdf.SetFont(regular, "", 7.5); err != nil {
		return err
	}
	return r.pdf.CellWithOption(&gopdf.Rect{W: qrSize, H: 10}, "Scan to verify", gopdf.CellOption{Align: gopdf.Center | gopdf.Top})
}

func formatDate(t time.Time) string {
	return t.UTC().Format("2 January 2006")
}

func (r *renderer) color(c [3]uint8) { r.pdf.SetTextColor(c[0], c[1], c[2]) }
