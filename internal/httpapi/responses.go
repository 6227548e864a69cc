package httpapi

import (
	"time"
)

// Response bodies that used to be built as maps. Their fields are in
// key order, as the maps were encoded, so the bytes on the wire did not
// change when they became types.

// statusJSON answers the health probes.
type statusJSON struct {
	Status string `json:"status"`
}

// jwksJSON is a JSON Web Key Set.
type jwksJSON struct {
	// Keys are keys.JWK (Ed25519: records) and keys.RSAJWK (Open Badges).
	Keys []any `json:"keys"`
}

// summaryJSON answers the progress summary report.
type summaryJSON struct {
	Groups []summaryGroupJSON `json:"groups"`
}

// submissionJSON is a graded quiz attempt.
type submissionJSON struct {
	Completion *recordJSON  `json:"completion"`
	ID         string       `json:"id"`
	PassMark   int          `json:"pass_mark"`
	Passed     bool         `json:"passed"`
	Results    []resultJSON `json:"results"`
	Score      int          `json:"score"`
}

// resultJSON says whether one question of a submission was answered right.
type resultJSON struct {
	QuestionID      string `json:"question_id"`
	Correct         bool   `json:"correct"`
	ExplanationHTML string `json:"explanation_html"`
}

// feedbackJSON is one learner's feedback on a module.
type feedbackJSON struct {
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"created_at"`
	Module    string    `json:"module"`
	Rating    int       `json:"rating"`
	Revision  int       `json:"revision"`
	UpdatedAt time.Time `json:"updated_at"`
}

// feedbackSummaryJSON is what trainers see of a module's feedback.
type feedbackSummaryJSON struct {
	AverageRating *float64              `json:"average_rating"`
	Comments      []feedbackCommentJSON `json:"comments"`
	Count         int                   `json:"count"`
	Distribution  map[string]int        `json:"distribution"`
	NextCursor    string                `json:"next_cursor"`
}

// feedbackCommentJSON is one non-empty comment of a summary.
type feedbackCommentJSON struct {
	Comment   string    `json:"comment"`
	CreatedAt time.Time `json:"created_at"`
	Rating    int       `json:"rating"`
}

// verifyJSON answers both verify routes.
type verifyJSON struct {
	Record *verifiedJSON `json:"record"` // null when the credential is not genuine
	Status string        `json:"status"`
	Valid  bool          `json:"valid"`
}

// verifiedJSON names the holder of a record but carries no email and no
// user id.
type verifiedJSON struct {
	ExpiresAt   *time.Time `json:"expires_at"`
	HolderName  string     `json:"holder_name"`
	ID          string     `json:"id"`
	IssuedAt    time.Time  `json:"issued_at"`
	Kind        string     `json:"kind"`
	Module      *string    `json:"module"`
	ModuleTitle string     `json:"module_title"`
	Path        *string    `json:"path"`
	Revision    *int       `json:"revision"`
}
