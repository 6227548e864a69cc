package learning

import (
	"context"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/page"
	"github.com/upskill/upskill/internal/store"
)

// MaxComment bounds a feedback comment, in characters.
const MaxComment = 2000

// Feedback is one learner's rating of a module; it is never shown with
// their name.
type Feedback struct {
	UserID    string
	Module    string
	Revision  int // the revision current when it was last given
	Rating    int
	Comment   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (Feedback) TableName() string { return "feedback" }

// GiveFeedback stores userID's rating (1-5) and comment on the module slug,
// replacing their earlier feedback; replaced is true when there was some.
func (s *Service) GiveFeedback(ctx context.Context, userID, slug string, rating int, comment string) (Feedback, bool, error) {
	comment = strings.TrimSpace(comment)
	var bad []fault.FieldError
	if rating < 1 || rating > 5 {
		bad = append(bad, fault.FieldError{Field: "rating", Message: "must be a whole number from 1 to 5"})
	}
	if utf8.RuneCountInString(comment) > MaxComment {
		bad = append(bad, fault.FieldError{Field: "comment", Message: "at most 2000 characters"})
	}
	if f := checkText("comment", comment); f != nil {
		bad = append(bad, *f)
	}
	if len(bad) > 0 {
		return Feedback{}, false, fault.InvalidFields("feedback needs a rating from 1 to 5 and a comment of at most 2000 characters", bad...)
	}
	_, rev, err := s.current(slug)
	if err != nil {
		return Feedback{}, false, err
	}
	var (
		out      Feedback
		replaced bool
	)
	err = s.tx(ctx, func(tx *gorm.DB) error {
		now := s.clock()
		var old Feedback
		err := tx.WithContext(ctx).Where("user_id = ? AND module = ?", userID, slug).Take(&old).Error
		switch {
		case store.IsNotFound(err):
			// Two first submissions at once: the loser fails on the primary
			// key and, run again, replaces.
			out = Feedback{UserID: userID, Module: slug, Revision: rev, Rating: rating, Comment: comment, CreatedAt: now, UpdatedAt: now}
			replaced = false
			return tx.WithContext(ctx).Create(&out).Error
		case err != nil:
			return err
		}
		out = old
		out.Revision, out.Rating, out.Comment, out.UpdatedAt = rev, rating, comment, now
		replaced = true
		return tx.WithContext(ctx).Model(&Feedback{}).Where("user_id = ? AND module = ?", userID, slug).
			Updates(map[string]any{"revision": rev, "rating": rating, "comment": comment, "updated_at": now}).Error
	})
	if err != nil {
		return Feedback{}, false, fault.Ensure(err, "could not store feedback on %q", slug)
	}
	return out, replaced, nil
}

// FeedbackSummary is what trainers, HR and admins see of a module's
// feedback: figures and comments, without names.
type FeedbackSummary struct {
	Count         int
	AverageRating *float64    // two decimals; nil without feedback
	Distribution  map[int]int // rating -> count, every rating 1-5 present
	Comments      []FeedbackComment
	Next          string // the cursor of the next page of comments; "" on the last
}

// FeedbackComment is one non-empty comment. At is when it was written
// (last replaced).
type FeedbackComment struct {
	Rating  int
	Comment string
	At      time.Time
}

// FeedbackFor summarises the feedback on the module slug over all its
// revisions, with the newest limit comments.
// FeedbackFor summarises the feedback on slug over every revision and
// returns a page of its non-empty comments, newest first. The figures
// cover every rating whatever the page; the comments continue after the
// cursor (the last comment's time and author, never shown).
func (s *Service) FeedbackFor(ctx context.Context, slug string, p page.Request) (FeedbackSummary, error) {
	p = p.OrDefault()
	if _, _, err := s.current(slug); err != nil {
		return FeedbackSummary{}, err
	}
	db := s.db.R.WithContext(ctx)
	var rows []struct {
		Rating int
		N      int
	}
	if err := db.Model(&Feedback{}).Select("rating, COUNT(*) AS n").Where("module = ?", slug).
		Group("rating").Scan(&rows).Error; err != nil {
		return FeedbackSummary{}, fault.Wrap(err, "could not read feedback on %q", slug)
	}
	out := FeedbackSummary{Distribution: map[int]int{1: 0, 2: 0, 3: 0, 4: 0, 5: 0}, Comments: []FeedbackComment{}}
	sum := 0
	for _, r := range rows {
		out.Distribution[r.Rating] = r.N
		out.Count += r.N
		sum += r.Rating * r.N
	}
	if out.Count > 0 {
		avg := math.Round(float64(sum)/float64(out.Count)*100) / 100
		out.AverageRating = &avg
	}
	q := db.Select("user_id", "rating", "comment", "updated_at").Where("module = ? AND comment <> ''", slug)
	if p.Cursor != "" {
		at, user, ok := strings.Cut(p.Cursor, "|")
		t, err := time.Parse(time.RFC3339Nano, at)
		if !ok || err != nil || !knownID(user) {
			return FeedbackSummary{}, page.ErrBadCursor
		}
		q = q.Where("updated_at < ? OR (updated_at = ? AND user_id > ?)", t, t, user)
	}
	var fs []Feedback
	if err := q.Order("updated_at DESC, user_id").Limit(p.Limit + 1).Find(&fs).Error; err != nil {
		return FeedbackSummary{}, fault.Wrap(err, "could not read feedback on %q", slug)
	}
	fs, out.Next = page.Trim(fs, p.Limit, func(f Feedback) string {
		return f.UpdatedAt.UTC().Format(time.RFC3339Nano) + "|" + f.UserID
	})
	for _, f := range fs {
		out.Comments = append(out.Comments, FeedbackComment{Rating: f.Rating, Comment: f.Comment, At: f.UpdatedAt})
	}
	return out, nil
}
