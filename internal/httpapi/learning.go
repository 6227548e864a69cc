package httpapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/catalog"
	"github.com/upskill/upskill/internal/learning"
)

// progressJSON is the ModuleProgress of the contract.
type progressJSON struct {
	Module           string            `json:"module"`
	Revision         int               `json:"revision"`
	Status           string            `json:"status"`
	LessonsCompleted int               `json:"lessons_completed"`
	LessonCount      int               `json:"lesson_count"`
	Percent          int               `json:"percent"`
	QuizPassed       bool              `json:"quiz_passed"`
	BestScore        *int              `json:"best_score"`
	AttemptsUsed     int               `json:"attempts_used"`
	AttemptsLeft     *int              `json:"attempts_left"`
	Completion       *recordJSON       `json:"completion"`
	Lessons          []lessonStateJSON `json:"lessons"`
	Next             nextStepJSON      `json:"next"`
	Locked           bool              `json:"locked"`
	MissingPrereqs   []string          `json:"missing_prerequisites"`
	DueAt            *time.Time        `json:"due_at"`
	// Paths are the learning paths that include the module; set in
	// /me/enrollments only.
	Paths []string `json:"paths,omitempty"`
}

type lessonStateJSON struct {
	Slug        string     `json:"slug"`
	Completed   bool       `json:"completed"`
	CompletedAt *time.Time `json:"completed_at"`
}

type nextStepJSON struct {
	Kind   string  `json:"kind"`
	Lesson *string `json:"lesson"`
}

func toProgressJSON(p learning.ModuleProgress) progressJSON {
	out := progressJSON{Module: p.Module, Revision: p.Revision, Status: p.Status, LessonsCompleted: p.LessonsCompleted,
		LessonCount: p.LessonCount, Percent: p.Percent, QuizPassed: p.QuizPassed, BestScore: p.BestScore,
		AttemptsUsed: p.AttemptsUsed, AttemptsLeft: p.AttemptsLeft}
	if p.Completion != nil {
		r := toRecordJSON(*p.Completion)
		out.Completion = &r
	}
	out.Lessons = make([]lessonStateJSON, len(p.Lessons))
	for i, l := range p.Lessons {
		out.Lessons[i] = lessonStateJSON{Slug: l.Slug, Completed: l.CompletedAt != nil, CompletedAt: utc(l.CompletedAt)}
	}
	out.Locked, out.MissingPrereqs, out.DueAt = p.Locked, p.MissingPrerequisites, utc(p.DueAt)
	if out.MissingPrereqs == nil {
		out.MissingPrereqs = []string{}
	}
	out.Next.Kind = p.Next.Kind
	if p.Next.Lesson != "" {
		out.Next.Lesson = &p.Next.Lesson
	}
	return out
}

func (s *Server) putLessonProgress(c *gin.Context) {
	var in struct {
		Completed    bool     `json:"completed"`
		SecondsSpent *float64 `json:"seconds_spent"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	u := learning.ProgressUpdate{Completed: in.Completed}
	if in.SecondsSpent != nil {
		n, err := learning.SecondsSpent(*in.SecondsSpent)
		if err != nil {
			fail(c, err)
			return
		}
		u.SecondsSpent = n
	}
	p, err := s.Learning.RecordProgress(c.Request.Context(), principal(c).UserID, c.Param("slug"), c.Param("lesson"), u)
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toProgressJSON(p))
}

func (s *Server) getModuleProgress(c *gin.Context) {
	p, err := s.Learning.Progress(c.Request.Context(), principal(c).UserID, c.Param("slug"))
	if err != nil {
		fail(c, err)
		return
	}
	c.JSON(http.StatusOK, toProgressJSON(p))
}

func (s *Server) myEnrollments(c *gin.Context) {
	p, err := pageOf(c)
	if err != nil {
		fail(c, err)
		return
	}
	ps, next, err := s.Learning.Enrollments(c.Request.Context(), principal(c).UserID, p)
	if err != nil {
		fail(c, err)
		return
	}
	paths, err := s.Catalog.Paths(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	out := listOf(ps, next, toProgressJSON)
	for i := range out.Items {
		out.Items[i].Paths = []string{}
		for _, pp := range catalog.PathsWith(paths, out.Items[i].Module) {
			out.Items[i].Paths = append(out.Items[i].Paths, pp.Slug)
		}
	}
	c.JSON(http.StatusOK, out)
}

// attemptJSON is an Attempt of the contract: never a correct choice.
type attemptJSON struct {
	ID        string                `json:"id"`
	Module    string                `json:"module"`
	Revision  int                   `json:"revision"`
	Questions []attemptQuestionJSON `json:"questions"`
	StartedAt time.Time             `json:"started_at"`
}

type attemptQuestionJSON struct {
	ID         string              `json:"id"`
	Kind       string              `json:"kind"`
	PromptHTML string              `json:"prompt_html"`
	Choices    []attemptChoiceJSON `json:"choices"`
}

type attemptChoiceJSON struct {
	ID       string `json:"id"`
	TextHTML string `json:"text_html"`
}

func toAttemptJSON(a learning.Attempt) attemptJSON {
	out := attemptJSON{ID: a.ID, Module: a.Module, Revision: a.Revision, StartedAt: a.StartedAt.UTC(),
		Questions: make([]attemptQuestionJSON, len(a.Questions))}
	for i, q := range a.Questions {
		qj := attemptQuestionJSON{ID: q.ID, Kind: q.Kind, PromptHTML: q.PromptHTML, Choices: make([]attemptChoiceJSON, len(q.Choices))}
		for j, ch := range q.Choices {
			qj.Choices[j] = attemptChoiceJSON{ID: ch.ID, TextHTML: ch.TextHTML}
		}
		out.Questions[i] = qj
	}
	return out
}

func (s *Server) startAttempt(c *gin.Context) {
	a, created, err := s.Learning.StartAttempt(c.Request.Context(), principal(c).UserID, c.Param("slug"))
	if err != nil {
		fail(c, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.JSON(status, toAttemptJSON(a))
}

func (s *Server) submitAttempt(c *gin.Context) {
	var in struct {
		Answers map[string][]string `json:"answers"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	r, err := s.Learning.SubmitAttempt(c.Request.Context(), principal(c).UserID, c.Param("id"), in.Answers)
	if err != nil {
		fail(c, err)
		return
	}
	results := make([]resultJSON, len(r.Results))
	for i, q := range r.Results {
		results[i] = resultJSON{QuestionID: q.QuestionID, Correct: q.Correct, ExplanationHTML: q.ExplanationHTML}
	}
	var completion *recordJSON
	if r.Completion != nil {
		rj := toRecordJSON(*r.Completion)
		completion = &rj
	}
	c.JSON(http.StatusOK, submissionJSON{ID: r.ID, Score: r.Score, Passed: r.Passed, PassMark: r.PassMark,
		Results: results, Completion: completion})
}

func (s *Server) postFeedback(c *gin.Context) {
	var in struct {
		Rating  int    `json:"rating"`
		Comment string `json:"comment"`
	}
	if err := decodeJSON(c, &in); err != nil {
		fail(c, err)
		return
	}
	f, replaced, err := s.Learning.GiveFeedback(c.Request.Context(), principal(c).UserID, c.Param("slug"), in.Rating, in.Comment)
	if err != nil {
		fail(c, err)
		return
	}
	status := http.StatusCreated
	if replaced {
		status = http.StatusOK
	}
	c.JSON(status, feedbackJSON{Module: f.Module, Revision: f.Revision, Rating: f.Rating, Comment: f.Comment,
		CreatedAt: f.CreatedAt.UTC(), UpdatedAt: f.UpdatedAt.UTC()})
}

func (s *Server) getFeedback(c *gin.Context) {
	p, err := pageOf(c)
	if err != nil {
		fail(c, err)
		return
	}
	sum, err := s.Learning.FeedbackFor(c.Request.Context(), c.Param("slug"), p)
	if err != nil {
		fail(c, err)
		return
	}
	dist := make(map[string]int, len(sum.Distribution))
	for rating, n := range sum.Distribution {
		dist[strconv.Itoa(rating)] = n
	}
	comments := make([]feedbackCommentJSON, len(sum.Comments))
	for i, cm := range sum.Comments {
		comments[i] = feedbackCommentJSON{Rating: cm.Rating, Comment: cm.Comment, CreatedAt: cm.At.UTC()}
	}
	c.JSON(http.StatusOK, feedbackSummaryJSON{Count: sum.Count, AverageRating: sum.AverageRating, Distribution: dist,
		Comments: comments, NextCursor: sum.Next})
}
