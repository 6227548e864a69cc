package readiness

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/upskill/upskill/internal/fault"
)

// MaxAdoptionWeeks bounds one adoption report: two years of weeks.
const MaxAdoptionWeeks = 106

// AdoptionRow is one department's week (weeks start on Monday, UTC).
type AdoptionRow struct {
	Department string
	Week       time.Time // the Monday, 00:00 UTC
	// Completions: module records issued that week and not revoked.
	Completions int
	// TrainingHours: time recorded on lessons, counted in the week each
	// lesson's progress was last updated.
	TrainingHours float64
	// ReadinessChange: the mean of every "after" answer minus the mean of
	// every "before" answer (all pulses, all statements) given by the end
	// of that week; nil when suppressed or a phase has no answers.
	ReadinessChange     *float64
	ReadinessSuppressed bool
	RespondentsBefore   int
	RespondentsAfter    int
	// AverageFeedback: the mean rating of module feedback given or
	// changed that week; nil without any.
	AverageFeedback *float64
	FeedbackCount   int
	// Overdue: assignments that fell due that week (and before now)
	// without a completion by their due date.
	Overdue int
}

// Adoption is the adoption report.
type Adoption struct {
	From, To time.Time // the first Monday; the Monday after the last week
	Rows     []AdoptionRow
}

// WeekStart is the Monday 00:00 UTC of t's week.
func WeekStart(t time.Time) time.Time {
	t = t.UTC()
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
}

// Adoption computes the adoption report for the weeks from the one
// holding from to the one holding to (dates, UTC). Zero from: twelve weeks
// before to; zero to: today.
func (s *Service) Adoption(ctx context.Context, from, to time.Time) (Adoption, error) {
	now := s.clock()
	if to.IsZero() {
		to = now
	}
	if from.IsZero() {
		from = to.AddDate(0, 0, -7*11)
	}
	start, end := WeekStart(from), WeekStart(to).AddDate(0, 0, 7)
	if !start.Before(end) {
		return Adoption{}, fault.InvalidFields("from is after to", fault.FieldError{Field: "from", Message: "must not be after to"})
	}
	weeks := int(end.Sub(start).Hours()/24) / 7
	if weeks > MaxAdoptionWeeks {
		return Adoption{}, fault.InvalidFields("too many weeks", fault.FieldError{Field: "from",
			Message: "at most 106 weeks (two years) per report"})
	}
	db := s.db.R.WithContext(ctx)
	type cell struct {
		completions, feedbackN, feedbackSum, overdue int
		seconds                                      int64
	}
	depts := map[string][]cell{}
	dept := func(d string) []cell {
		if depts[d] == nil {
			depts[d] = make([]cell, weeks)
		}
		return depts[d]
	}
	week := func(t time.Time) int { return int(WeekStart(t).Sub(start).Hours()/24) / 7 }
	var names []string
	if err := db.Table("users").Distinct("department").Where("disabled = ?", false).Pluck("department", &names).Error; err != nil {
		return Adoption{}, fault.Wrap(err, "could not read the departments")
	}
	for _, d := range names {
		dept(d)
	}
	scan := func(what, q string, args []any, each func(d string, t time.Time, n int64)) error {
		rows, err := db.Raw(q, args...).Rows()
		if err != nil {
			return fault.Wrap(err, "could not read %s", what)
		}
		defer rows.Close()
		for rows.Next() {
			var d string
			var t time.Time
			var n int64
			if err := rows.Scan(&d, &t, &n); err != nil {
				return fault.Wrap(err, "could not read %s", what)
			}
			each(d, t, n)
		}
		return fault.Ensure(rows.Err(), "could not read %s", what)
	}
	err := scan("completions", `SELECT u.department, r.issued_at, 1 FROM records r JOIN users u ON u.id = r.user_id
		WHERE r.kind = 'module' AND r.revoked_at IS NULL AND r.issued_at >= ? AND r.issued_at < ?`, []any{start, end},
		func(d string, t time.Time, _ int64) { dept(d)[week(t)].completions++ })
	if err == nil {
		err = scan("training time", `SELECT u.department, lp.updated_at, lp.seconds_spent FROM lesson_progress lp
			JOIN users u ON u.id = lp.user_id WHERE lp.updated_at >= ? AND lp.updated_at < ? AND lp.seconds_spent > 0`,
			[]any{start, end}, func(d string, t time.Time, n int64) { dept(d)[week(t)].seconds += n })
	}
	if err == nil {
		err = scan("feedback", `SELECT u.department, f.updated_at, f.rating FROM feedback f JOIN users u ON u.id = f.user_id
			WHERE f.updated_at >= ? AND f.updated_at < ?`, []any{start, end}, func(d string, t time.Time, n int64) {
			c := &dept(d)[week(t)]
			c.feedbackN++
			c.feedbackSum += int(n)
		})
	}
	if err == nil {
		err = scan("overdue assignments", `SELECT u.department, a.due_at, 1 FROM assignments a JOIN users u ON u.id = a.user_id
			WHERE a.due_at >= ? AND a.due_at < ? AND a.due_at < ? AND NOT EXISTS (SELECT 1 FROM records r
				WHERE r.user_id = a.user_id AND r.module = a.module AND r.revoked_at IS NULL AND r.issued_at <= a.due_at
				AND (r.expires_at IS NULL OR r.expires_at > a.due_at))`, []any{start, end, now},
			func(d string, t time.Time, _ int64) { dept(d)[week(t)].overdue++ })
	}
	if err != nil {
		return Adoption{}, err
	}
	ready, err := s.weeklyReadiness(ctx, start, weeks)
	if err != nil {
		return Adoption{}, err
	}
	keys := make([]string, 0, len(depts))
	for d := range depts {
		keys = append(keys, d)
	}
	for d := range ready {
		if depts[d] == nil {
			keys = append(keys, d)
			dept(d)
		}
	}
	sort.Strings(keys)
	out := Adoption{From: start, To: end, Rows: make([]AdoptionRow, 0, len(keys)*weeks)}
	for w := range weeks {
		cells := make([]Cell, len(keys))
		for i, d := range keys {
			if r := ready[d]; r != nil {
				cells[i] = Cell{Key: d, Before: r[w].before, After: r[w].after}
			} else {
				cells[i] = Cell{Key: d}
			}
		}
		Suppress(cells)
		for i, d := range keys {
			c := depts[d][w]
			row := AdoptionRow{Department: d, Week: start.AddDate(0, 0, 7*w), Completions: c.completions,
				TrainingHours: math.Round(float64(c.seconds)/360) / 10, FeedbackCount: c.feedbackN, Overdue: c.overdue,
				ReadinessSuppressed: cells[i].Suppressed, RespondentsBefore: cells[i].Before, RespondentsAfter: cells[i].After}
			if c.feedbackN > 0 {
				m := round2(float64(c.feedbackSum) / float64(c.feedbackN))
				row.AverageFeedback = &m
			}
			if r := ready[d]; r != nil && !cells[i].Suppressed && r[w].beforeN > 0 && r[w].afterN > 0 {
				rw := r[w]
				ch := round2(float64(rw.afterSum)/float64(rw.afterN) - float64(rw.beforeSum)/float64(rw.beforeN))
				row.ReadinessChange = &ch
			}
			out.Rows = append(out.Rows, row)
		}
	}
	return out, nil
}

// weekReady is one department's pulse answers given by the end of a week.
type weekReady struct {
	before, after       int // respondents (people) per phase
	beforeN, afterN     int64
	beforeSum, afterSum int64
}

// weeklyReadiness sums, per department and week, every pulse answer given
// by the end of that week (cumulative, so a week without answers keeps
// the figures of the week before).
func (s *Service) weeklyReadiness(ctx context.Context, start time.Time, weeks int) (map[string][]weekReady, error) {
	end := start.AddDate(0, 0, 7*weeks)
	// Grouped in the primary key's order (user, pulse, phase), so the
	// database streams the groups without sorting; the department is
	// looked up once per group.
	rows, err := s.db.R.WithContext(ctx).Raw(`SELECT (SELECT u.department FROM users u WHERE u.id = x.user_id), x.user_id, x.phase, x.first, x.n, x.total
		FROM (SELECT pa.user_id, pa.pulse, pa.phase, MIN(pa.answered_at) AS first, COUNT(*) AS n, SUM(pa.value) AS total
			FROM pulse_answers pa WHERE pa.answered_at < ? GROUP BY pa.user_id, pa.pulse, pa.phase) x`, end).Rows()
	if err != nil {
		return nil, fault.Wrap(err, "could not read the pulse answers")
	}
	defer rows.Close()
	type event struct {
		week   int // -1: before the report's first week
		user   string
		after  bool
		n, sum int64
	}
	byDept := map[string][]event{}
	for rows.Next() {
		var d, user, phase string
		var at any
		var n, sum int64
		if err := rows.Scan(&d, &user, &phase, &at, &n, &sum); err != nil {
			return nil, fault.Wrap(err, "could not read the pulse answers")
		}
		t, err := timeOf(at)
		if err != nil {
			return nil, fault.Wrap(err, "could not read the pulse answers")
		}
		w := -1
		if !t.Before(start) {
			w = int(WeekStart(t).Sub(start).Hours()/24) / 7
		}
		byDept[d] = append(byDept[d], event{week: w, user: user, after: phase == After, n: n, sum: sum})
	}
	if err := rows.Err(); err != nil {
		return nil, fault.Wrap(err, "could not read the pulse answers")
	}
	out := make(map[string][]weekReady, len(byDept))
	for d, evs := range byDept {
		slices.SortFunc(evs, func(a, b event) int { return a.week - b.week })
		seen := [2]map[string]bool{{}, {}}
		acc := weekReady{}
		res := make([]weekReady, weeks)
		i := 0
		for w := range weeks {
			for ; i < len(evs) && evs[i].week <= w; i++ {
				e := evs[i]
				if e.after {
					acc.afterN, acc.afterSum = acc.afterN+e.n, acc.afterSum+e.sum
					if !seen[1][e.user] {
						seen[1][e.user] = true
						acc.after++
					}
				} else {
					acc.beforeN, acc.beforeSum = acc.beforeN+e.n, acc.beforeSum+e.sum
					if !seen[0][e.user] {
						seen[0][e.user] = true
						acc.before++
					}
				}
			}
			res[w] = acc
		}
		out[d] = res
	}
	return out, nil
}

// sqliteTimes are the layouts SQLite's driver writes times in; an
// aggregate such as MIN over a DATETIME column comes back as that text.
var sqliteTimes = []string{"2006-01-02 15:04:05.999999999-07:00", "2006-01-02 15:04:05.999999999Z07:00",
	time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02 15:04:05"}

// timeOf reads a time an aggregate returned: a time.Time (PostgreSQL) or
// its text (SQLite).
func timeOf(v any) (time.Time, error) {
	var s string
	switch x := v.(type) {
	case time.Time:
		return x.UTC(), nil
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return time.Time{}, fmt.Errorf("unexpected time value %T", v)
	}
	for _, l := range sqliteTimes {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable time %q", s)
}
