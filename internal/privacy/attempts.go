package privacy

import (
	"context"
	"encoding/json"
	"time"

	"gorm.io/gorm"
)

// exportAttempts lists the person's quiz attempts with the questions each
// showed and the answers given. It never says which choices were correct:
// only, when the quiz reveals it, whether each question was answered
// right, as the submit answer did. An attempt still open is listed
// without its questions.
func exportAttempts(ctx context.Context, db *gorm.DB, sub Subject) (Table, error) {
	type shownChoice struct {
		ID       string `json:"id"`
		TextHTML string `json:"text_html"`
		Correct  bool   `json:"correct"`
	}
	type shownQuestion struct {
		ID         string        `json:"id"`
		Kind       string        `json:"kind"`
		PromptHTML string        `json:"prompt_html"`
		Choices    []shownChoice `json:"choices"`
	}
	type row struct {
		ID          string
		Module      string
		Revision    int
		Number      int
		Questions   string
		Reveal      string
		Answers     *string
		StartedAt   time.Time
		SubmittedAt *time.Time
		Score       *int
		Passed      *bool
	}
	var rows []row
	if err := db.WithContext(ctx).Table("attempts").Where("user_id = ?", sub.UserID).
		Order("started_at, id").Find(&rows).Error; err != nil {
		return Table{}, err
	}
	type choiceOut struct {
		ID       string `json:"id"`
		TextHTML string `json:"text_html"`
	}
	type questionOut struct {
		ID         string      `json:"id"`
		Kind       string      `json:"kind"`
		PromptHTML string      `json:"prompt_html"`
		Choices    []choiceOut `json:"choices"`
		Answer     []string    `json:"answer"`
		Correct    *bool       `json:"correct,omitempty"`
	}
	t := Table{Columns: []string{"id", "module", "revision", "number", "started_at", "submitted_at", "score", "passed", "questions"},
		Rows: [][]any{}}
	for _, r := range rows {
		var questions any
		if r.SubmittedAt != nil {
			var shown []shownQuestion
			_ = json.Unmarshal([]byte(r.Questions), &shown)
			answers := map[string][]string{}
			if r.Answers != nil {
				_ = json.Unmarshal([]byte(*r.Answers), &answers)
			}
			qs := make([]questionOut, 0, len(shown))
			for _, q := range shown {
				o := questionOut{ID: q.ID, Kind: q.Kind, PromptHTML: q.PromptHTML, Answer: answers[q.ID], Choices: []choiceOut{}}
				if o.Answer == nil {
					o.Answer = []string{}
				}
				for _, c := range q.Choices {
					o.Choices = append(o.Choices, choiceOut{ID: c.ID, TextHTML: c.TextHTML})
				}
				if r.Reveal != "never" && r.Answers != nil {
					ok := rightAnswer(q.Choices, answers[q.ID], func(c shownChoice) (string, bool) { return c.ID, c.Correct })
					o.Correct = &ok
				}
				qs = append(qs, o)
			}
			b, _ := json.Marshal(qs)
			questions = json.RawMessage(b)
		}
		var submitted any
		if r.SubmittedAt != nil {
			submitted = r.SubmittedAt.UTC()
		}
		t.Rows = append(t.Rows, []any{r.ID, r.Module, r.Revision, r.Number, r.StartedAt.UTC(), submitted,
			intOrNil(r.Score), boolOrNil(r.Passed), questions})
	}
	return t, nil
}

// rightAnswer: exactly the correct choices were picked.
func rightAnswer[C any](choices []C, picked []string, of func(C) (string, bool)) bool {
	want := map[string]bool{}
	for _, c := range choices {
		if id, ok := of(c); ok {
			want[id] = true
		}
	}
	if len(picked) != len(want) {
		return false
	}
	for _, p := range picked {
		if !want[p] {
			return false
		}
	}
	return true
}

func intOrNil(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func boolOrNil(p *bool) any {
	if p == nil {
		return nil
	}
	return *p
}
