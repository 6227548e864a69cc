package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/upskill/upskill/internal/content"
)

// previewJSON is what learners will see of an uploaded module, plus the
// answers, for its author; nothing is published.
type previewJSON struct {
	validationJSON
	Module  previewModuleJSON   `json:"module"`
	Lessons []previewLessonJSON `json:"lessons"`
	Quiz    *previewQuizJSON    `json:"quiz"`
}

type previewModuleJSON struct {
	Title   string   `json:"title"`
	Summary string   `json:"summary"`
	Topics  []string `json:"topics"`
	Minutes int      `json:"minutes"`
}

type previewLessonJSON struct {
	Slug    string `json:"slug"`
	Title   string `json:"title"`
	HTML    string `json:"html"`
	Minutes int    `json:"minutes"`
}

type previewQuizJSON struct {
	Questions []previewQuestionJSON `json:"questions"`
}

type previewQuestionJSON struct {
	PromptHTML      string              `json:"prompt_html"`
	Kind            string              `json:"kind"`
	Choices         []previewChoiceJSON `json:"choices"`
	ExplanationHTML string              `json:"explanation_html"`
}

type previewChoiceJSON struct {
	TextHTML string `json:"text_html"`
	Correct  bool   `json:"correct"`
}

func (s *Server) previewContent(c *gin.Context) {
	if m, v, ok := s.checkBody(c); ok {
		c.JSON(http.StatusOK, toPreview(m, v))
	}
}

func toPreview(m *content.Module, v validationJSON) previewJSON {
	out := previewJSON{validationJSON: v, Lessons: []previewLessonJSON{},
		Module: previewModuleJSON{Title: m.Title, Summary: m.Summary, Topics: nonNil(m.Topics), Minutes: m.Minutes}}
	for _, l := range m.Lessons {
		out.Lessons = append(out.Lessons, previewLessonJSON{Slug: l.Slug, Title: l.Title, HTML: l.HTML, Minutes: l.Minutes})
	}
	if m.Quiz != nil {
		q := &previewQuizJSON{Questions: []previewQuestionJSON{}}
		for _, qu := range m.Quiz.Questions {
			pq := previewQuestionJSON{PromptHTML: qu.PromptHTML, Kind: qu.Kind, ExplanationHTML: qu.ExplanationHTML,
				Choices: []previewChoiceJSON{}}
			for _, ch := range qu.Choices {
				pq.Choices = append(pq.Choices, previewChoiceJSON{TextHTML: ch.TextHTML, Correct: ch.Correct})
			}
			q.Questions = append(q.Questions, pq)
		}
		out.Quiz = q
	}
	return out
}
