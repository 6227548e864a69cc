package mail

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/upskill/upskill/internal/identity"
	"github.com/upskill/upskill/internal/outbox"
)

// TokenMinter mints one-time tokens: identity.Service.
type TokenMinter interface {
	MintToken(ctx context.Context, userID, purpose string) (identity.Minted, error)
}

// TokenLetter composes an invitation or a reset. It mints the token as the
// message goes out, so the outbox row holds only the user's id and a retry
// carries a new token that voids the last.
func TokenLetter(m TokenMinter, link func(purpose, token string) string, purpose string) ComposeFunc {
	return func(ctx context.Context, payload json.RawMessage) (Letter, error) {
		var p struct {
			UserID string `json:"user_id"`
		}
		if err := json.Unmarshal(payload, &p); err != nil || p.UserID == "" {
			return Letter{}, outbox.Permanent(errors.New("payload has no user_id"))
		}
		t, err := m.MintToken(ctx, p.UserID, purpose)
		if err != nil {
			return Letter{}, err
		}
		return Letter{ToName: t.User.Name, ToEmail: t.User.Email, Data: TokenData{
			Link: link(purpose, t.Token), ExpiresAt: t.ExpiresAt.UTC().Format("2 January 2006, 15:04 UTC")}}, nil
	}
}
