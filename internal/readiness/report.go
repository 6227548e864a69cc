package readiness

import (
	"cmp"
	"context"
	"math"
	"slices"

	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/fault"
)

// ItemFigures are one statement's figures for one group. The means are
// nil when the group is suppressed or nobody answered the statement in
// that phase; Change is AfterMean - BeforeMean when both exist.
type ItemFigures struct {
	ID, Text              string
	BeforeMean, AfterMean *float64
	Change                *float64
}

// Group is one group of a readiness report (a department, or everyone).
// Means are unpaired: everyone who answered that phase counts in it;
// RespondentsBoth is how many answered both phases.
type Group struct {
	Key               string
	RespondentsBefore int
	RespondentsAfter  int
	RespondentsBoth   int
	Suppressed        bool
	Items             []ItemFigures
}

// Report is the readiness report of one pulse.
type Report struct {
	Pulse    string
	Title    string
	Revision int
	GroupBy  string
	Total    Group   // everyone who answered
	Groups   []Group // by key
}

// sums accumulates one group's answers.
type sums struct {
	before, after, both int
	items               map[string]*[2]struct{ n, sum int64 } // [0] before, [1] after
}

func newSums() *sums { return &sums{items: map[string]*[2]struct{ n, sum int64 }{}} }

func (g *sums) add(phase, item string, n, sum int64) {
	it := g.items[item]
	if it == nil {
		it = &[2]struct{ n, sum int64 }{}
		g.items[item] = it
	}
	i := 0
	if phase == After {
		i = 1
	}
	it[i].n += n
	it[i].sum += sum
}

// Readiness computes the readiness report of the pulse slug, grouped by
// department (the only grouping so far). Every group with fewer than
// MinRespondents respondents in a phase is suppressed, and so is the next
// smallest group when only one is (complementary suppression): the total
// minus the other groups would otherwise give it away.
func (s *Service) Readiness(ctx context.Context, slug, groupBy string) (Report, error) {
	if groupBy == "" {
		groupBy = "department"
	}
	if groupBy != "department" {
		return Report{}, fault.InvalidFields("group_by must be department",
			fault.FieldError{Field: "group_by", Message: "one of department"})
	}
	pulses, err := catalog.Pulses(ctx, s.db.R)
	if err != nil {
		return Report{}, err
	}
	i := slices.IndexFunc(pulses, func(p catalog.PublishedPulse) bool { return p.Slug == slug })
	if i < 0 {
		if slug == "" {
			return Report{}, fault.InvalidFields("pulse is required", fault.FieldError{Field: "pulse", Message: "required: a pulse slug"})
		}
		return Report{}, fault.InvalidFields("no published pulse "+slug, fault.FieldError{Field: "pulse", Message: "no published pulse with that slug"})
	}
	pl := pulses[i]
	db := s.db.R.WithContext(ctx)
	groups := map[string]*sums{}
	total := newSums()
	get := func(k string) *sums {
		if groups[k] == nil {
			groups[k] = newSums()
		}
		return groups[k]
	}
	rows, err := db.Raw(`SELECT u.department, pa.phase, pa.item, COUNT(*), SUM(pa.value)
		FROM pulse_answers pa JOIN users u ON u.id = pa.user_id
		WHERE pa.pulse = ? GROUP BY u.department, pa.phase, pa.item`, slug).Rows()
	if err != nil {
		return Report{}, fault.Wrap(err, "could not read the answers")
	}
	for rows.Next() {
		var dept, phase, item string
		var n, sum int64
		if err := rows.Scan(&dept, &phase, &item, &n, &sum); err != nil {
			rows.Close()
			return Report{}, fault.Wrap(err, "could not read the answers")
		}
		get(dept).add(phase, item, n, sum)
		total.add(phase, item, n, sum)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Report{}, fault.Wrap(err, "could not read the answers")
	}
	rows, err = db.Raw(`SELECT d, SUM(b), SUM(a), SUM(b * a) FROM (
		SELECT u.department AS d,
			MAX(CASE WHEN pa.phase = 'before' THEN 1 ELSE 0 END) AS b,
			MAX(CASE WHEN pa.phase = 'after' THEN 1 ELSE 0 END) AS a
		FROM pulse_answers pa JOIN users u ON u.id = pa.user_id
		WHERE pa.pulse = ? GROUP BY u.department, pa.user_id) x GROUP BY d`, slug).Rows()
	if err != nil {
		return Report{}, fault.Wrap(err, "could not count the respondents")
	}
	for rows.Next() {
		var dept string
		var b, a, both int
		if err := rows.Scan(&dept, &b, &a, &both); err != nil {
			rows.Close()
			return Report{}, fault.Wrap(err, "could not count the respondents")
		}
		g := get(dept)
		g.before, g.after, g.both = b, a, both
		total.before, total.after, total.both = total.before+b, total.after+a, total.both+both
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return Report{}, fault.Wrap(err, "could not count the respondents")
	}
	keys := make([]string, 0, len(groups))
	for k := range groups {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	cells := make([]Cell, len(keys))
	for i, k := range keys {
		cells[i] = Cell{Key: k, Before: groups[k].before, After: groups[k].after}
	}
	Suppress(cells)
	out := Report{Pulse: pl.Slug, Title: pl.Title, Revision: pl.Revision, GroupBy: groupBy,
		Total: figures(pl, "", total, total.before < MinRespondents || total.after < MinRespondents)}
	out.Groups = make([]Group, len(keys))
	for i, k := range keys {
		out.Groups[i] = figures(pl, k, groups[k], cells[i].Suppressed)
	}
	return out, nil
}

func figures(pl catalog.PublishedPulse, key string, g *sums, suppressed bool) Group {
	out := Group{Key: key, RespondentsBefore: g.before, RespondentsAfter: g.after, RespondentsBoth: g.both,
		Suppressed: suppressed, Items: make([]ItemFigures, len(pl.Statements))}
	for i, st := range pl.Statements {
		f := ItemFigures{ID: st.ID, Text: st.Text}
		if it := g.items[st.ID]; it != nil && !suppressed {
			f.BeforeMean, f.AfterMean = mean(it[0].sum, it[0].n), mean(it[1].sum, it[1].n)
			if f.BeforeMean != nil && f.AfterMean != nil {
				c := round2(float64(it[1].sum)/float64(it[1].n) - float64(it[0].sum)/float64(it[0].n))
				f.Change = &c
			}
		}
		out.Items[i] = f
	}
	return out
}

func mean(sum, n int64) *float64 {
	if n == 0 {
		return nil
	}
	m := round2(float64(sum) / float64(n))
	return &m
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// Cell is one group under a total, for Suppress.
type Cell struct {
	Key           string
	Before, After int // respondents per phase
	Suppressed    bool
}

// Suppress marks the cells to suppress under one shown total:
//
//  1. every cell with fewer than MinRespondents respondents in a phase
//     (a cell with no respondents at all has no figures to hide);
//  2. when exactly one cell is suppressed, the next smallest as well
//     (fewest respondents in its smaller phase, then by key);
//  3. then, for each phase, while the suppressed cells together hold
//     between 1 and MinRespondents-1 respondents of that phase, the
//     smallest shown cell with respondents in that phase: otherwise the
//     total minus the shown cells would give those few people's mean away.
func Suppress(cells []Cell) {
	n := 0
	for i := range cells {
		c := &cells[i]
		// A cell nobody answered in has no figures, so nothing to hide.
		c.Suppressed = (c.Before > 0 || c.After > 0) && (c.Before < MinRespondents || c.After < MinRespondents)
		if c.Suppressed {
			n++
		}
	}
	if n == 1 {
		if next := smallest(cells, func(Cell) int { return 1 }); next >= 0 {
			cells[next].Suppressed = true
		}
	}
	for _, phase := range []func(Cell) int{func(c Cell) int { return c.Before }, func(c Cell) int { return c.After }} {
		for {
			hidden := 0
			for _, c := range cells {
				if c.Suppressed {
					hidden += phase(c)
				}
			}
			if hidden == 0 || hidden >= MinRespondents {
				break
			}
			next := smallest(cells, phase)
			if next < 0 {
				break
			}
			cells[next].Suppressed = true
		}
	}
}

// smallest is the index of the smallest shown cell with respondents in
// the phase counted by in (see smaller), or -1. Empty cells hide nothing,
// so suppressing one would protect nobody.
func smallest(cells []Cell, in func(Cell) int) int {
	next := -1
	for i, c := range cells {
		if c.Suppressed || in(c) == 0 || c.Before == 0 && c.After == 0 {
			continue
		}
		if next < 0 || smaller(c, cells[next]) {
			next = i
		}
	}
	return next
}

func smaller(a, b Cell) bool {
	if c := cmp.Compare(min(a.Before, a.After), min(b.Before, b.After)); c != 0 {
		return c < 0
	}
	return a.Key < b.Key
}
