package reports

import (
	"context"
	"math"
	"slices"
	"strings"

	"github.com/upskill/upskill/internal/assignments"
	"github.com/upskill/upskill/internal/audit"
	"github.com/upskill/upskill/internal/fault"
)

// Group is one line of the summary: the figures an ROI review asks for,
// over the completions report's rows (pairs assigned or started) whose
// department or module is Key.
type Group struct {
	Key       string
	Assigned  int // pairs assigned
	Started   int // pairs started (completed and expired ones included)
	Completed int // pairs completed now
	// CompletionRate is Completed over the group's pairs (assigned or
	// started), from 0 to 1, to four places.
	CompletionRate float64
	// AverageScore is the mean best_score of the pairs that have one, to
	// one place; nil when none has.
	AverageScore *float64
	Overdue      int
	// LearningHours is the time spent on the module's lessons, in hours to
	// two places; it counts every enrolled learner, also those who have not
	// completed a lesson yet (whom the report leaves out).
	LearningHours float64
}

type tally struct {
	Group
	pairs, scored, scoreSum int
	seconds                 int64
}

// Summary computes the groups by department, module or learning path
// (the pairs assigned through a path, by the path's slug), ordered by key, in
// one pass over the report query: memory holds one tally per group.
func (s *Service) Summary(ctx context.Context, actor string, by GroupBy) ([]Group, error) {
	src, err := s.open(ctx, Query{}, true)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	tallies := map[string]*tally{}
	get := func(r *Row) *tally {
		key := r.Department
		switch by {
		case ByModule:
			key = r.Module
		case ByPath:
			if r.Path == nil {
				return nil // assigned directly, or not assigned: in no path's group
			}
			key = *r.Path
		}
		t, ok := tallies[key]
		if !ok {
			t = &tally{Group: Group{Key: key}}
			tallies[key] = t
		}
		return t
	}
	src.seen = func(r *Row) {
		if t := get(r); t != nil {
			t.seconds += r.SecondsSpent
		}
	}
	for {
		r, ok, err := src.Next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if t := get(&r); t != nil {
			t.add(r)
		}
	}
	out := make([]Group, 0, len(tallies))
	for _, t := range tallies {
		if t.pairs == 0 {
			continue // only time from learners not yet started: no row of the report
		}
		out = append(out, t.group())
	}
	slices.SortFunc(out, func(a, b Group) int { return strings.Compare(a.Key, b.Key) })
	if err := audit.Record(context.WithoutCancel(ctx), s.db.W, actor, audit.ReportExported, "summary",
		map[string]any{"report": "summary", "group_by": string(by), "rows": len(out)}); err != nil {
		return nil, fault.Wrap(err, "could not audit the summary")
	}
	return out, nil
}

// add counts one row of the report.
func (t *tally) add(r Row) {
	t.pairs++
	if r.Assigned {
		t.Assigned++
	}
	if r.Started {
		t.Started++
	}
	if r.Status == assignments.Completed {
		t.Completed++
	}
	if r.Overdue {
		t.Overdue++
	}
	if r.BestScore != nil {
		t.scored++
		t.scoreSum += *r.BestScore
	}
}

// group is the tally's figures, rounded as Group documents them.
func (t *tally) group() Group {
	g := t.Group
	g.CompletionRate = round(float64(t.Completed)/float64(t.pairs), 4)
	if t.scored > 0 {
		avg := round(float64(t.scoreSum)/float64(t.scored), 1)
		g.AverageScore = &avg
	}
	g.LearningHours = round(float64(t.seconds)/3600, 2)
	return g
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}
