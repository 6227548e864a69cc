package notify

import (
	"context"
	"time"

	"gorm.io/gorm/clause"

	"github.com/upskill/upskill/internal/fault"
	"github.com/upskill/upskill/internal/store"
)

type prefRow struct {
	UserID    string `gorm:"primaryKey"`
	Reminders bool
	UpdatedAt time.Time
}

func (prefRow) TableName() string { return "notification_prefs" }

// Prefs are a person's notification choices.
type Prefs struct {
	// Reminders turns the optional reminders (new assignments, due soon,
	// expiring records) on or off; overdue notices always go.
	Reminders bool `json:"reminders"`
}

// Prefs returns userID's choices: reminders on unless turned off.
func (s *Service) Prefs(ctx context.Context, userID string) (Prefs, error) {
	var rows []prefRow
	if err := s.db.R.WithContext(ctx).Where("user_id = ?", userID).Limit(1).Find(&rows).Error; err != nil {
		return Prefs{}, fault.Wrap(err, "could not read notification settings")
	}
	if len(rows) == 0 {
		return Prefs{Reminders: true}, nil
	}
	return Prefs{Reminders: rows[0].Reminders}, nil
}

// SetPrefs stores userID's choices.
func (s *Service) SetPrefs(ctx context.Context, userID string, p Prefs, now time.Time) (Prefs, error) {
	row := prefRow{UserID: userID, Reminders: p.Reminders, UpdatedAt: store.Timestamp(now)}
	err := s.db.W.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "user_id"}}, DoUpdates: clause.AssignmentColumns([]string{"reminders", "updated_at"}),
	}).Create(&row).Error
	if err != nil {
		return Prefs{}, fault.Wrap(err, "could not store notification settings")
	}
	return p, nil
}
