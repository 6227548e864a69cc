package records

import (
	"strings"

	"github.com/signintech/gopdf"
)

// lineHeight is the leading as a multiple of the font size.
const lineHeight = 1.2

// centered draws one line of text centred across the content width with
// its top at y.
func (r *renderer) centered(family string, size float64, text string, y float64) error {
	if err := r.pdf.SetFont(family, "", size); err != nil {
		return err
	}
	r.pdf.SetXY(marginX, y)
	return r.pdf.CellWithOption(&gopdf.Rect{W: contentW, H: size * lineHeight}, text,
		gopdf.CellOption{Align: gopdf.Center | gopdf.Top})
}

// fitCentered draws text centred below y, at the largest size from hi
// down to lo at which it fits in maxLines lines of the content width.
func (r *renderer) fitCentered(family, text string, hi, lo, y float64, maxLines int) error {
	size, lines, err := r.fit(family, text, hi, lo, contentW, maxLines)
	if err != nil {
		return err
	}
	for i, l := range lines {
		if err := r.centered(family, size, l, y+float64(i)*size*lineHeight); err != nil {
			return err
		}
	}
	return nil
}

// textAt draws one line of text with its top-left corner at (x, y).
func (r *renderer) textAt(family string, size, x, y float64, text string) error {
	if err := r.pdf.SetFont(family, "", size); err != nil {
		return err
	}
	r.pdf.SetXY(x, y)
	return r.pdf.Text(text)
}

// fit finds the largest font size in [lo, hi] at which text wraps into at
// most maxLines lines of width. A text slightly too long for one line
// shrinks a little (to 80% of hi) rather than wrap and leave one word on
// a line of its own. When even lo does not fit, the last line is cut with
// an ellipsis: the layout never overflows.
func (r *renderer) fit(family, text string, hi, lo, width float64, maxLines int) (float64, []string, error) {
	for _, pass := range []struct {
		floor float64
		lines int
	}{{hi * 0.8, 1}, {lo, maxLines}} {
		for size := hi; size >= pass.floor; size-- {
			lines, err := r.wrap(family, size, text, width)
			if err != nil {
				return 0, nil, err
			}
			if len(lines) <= pass.lines {
				return size, lines, nil
			}
		}
	}
	lines, err := r.wrap(family, lo, text, width)
	if err != nil {
		return 0, nil, err
	}
	lines = lines[:maxLines]
	lines[maxLines-1], err = r.ellipsize(lines[maxLines-1], width)
	return lo, lines, err
}

// wrap breaks text into lines no wider than width at the given font,
// between words where it can and inside a word too long for a line.
func (r *renderer) wrap(family string, size float64, text string, width float64) ([]string, error) {
	if err := r.pdf.SetFont(family, "", size); err != nil {
		return nil, err
	}
	var lines []string
	line := ""
	for _, word := range strings.Fields(text) {
		candidate := word
		if line != "" {
			candidate = line + " " + word
		}
		ok, err := r.fits(candidate, width)
		if err != nil {
			return nil, err
		}
		if ok {
			line = candidate
			continue
		}
		if line != "" {
			lines = append(lines, line)
		}
		pieces, err := r.breakWord(word, width)
		if err != nil {
			return nil, err
		}
		lines = append(lines, pieces[:len(pieces)-1]...)
		line = pieces[len(pieces)-1]
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines, nil
}

// breakWord splits a word wider than width (a URL, a long compound) into
// pieces that fit, at character boundaries.
func (r *renderer) breakWord(word string, width float64) ([]string, error) {
	var pieces []string
	piece := []rune{}
	for _, ch := range word {
		ok, err := r.fits(string(append(piece, ch)), width)
		if err != nil {
			return nil, err
		}
		if !ok && len(piece) > 0 {
			pieces = append(pieces, string(piece))
			piece = piece[:0]
		}
		piece = append(piece, ch)
	}
	return append(pieces, string(piece)), nil
}

// ellipsize marks s as cut short with a trailing "…", trimming s from the
// end until the result fits width.
func (r *renderer) ellipsize(s string, width float64) (string, error) {
	runes := []rune(s)
	for len(runes) > 0 {
		candidate := strings.TrimRight(string(runes), " ") + "…"
		ok, err := r.fits(candidate, width)
		if err != nil || ok {
			return candidate, err
		}
		runes = runes[:len(runes)-1]
	}
	return "…", nil
}

func (r *renderer) fits(s string, width float64) (bool, error) {
	w, err := r.pdf.MeasureTextWidth(s)
	return w <= width, err
}
