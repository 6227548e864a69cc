package identity

import (
	"errors"

	"gorm.io/gorm"

	"github.com/upskill/upskill/internal/store"
)

// maxManagerChain bounds the walk up a reporting line. Real organisations
// are a few levels deep; a longer chain is refused rather than walked.
const maxManagerChain = 64

// checkManager refuses a manager who does not exist, the person themself,
// or one whose own line of managers leads back to the person: a loop
// would make "my team" contain its own manager.
func checkManager(tx *gorm.DB, userID string, managerID *string) error {
	if managerID == nil {
		return nil
	}
	if *managerID == userID {
		return fieldErr("manager_id", errors.New("a person cannot be their own manager"))
	}
	next := *managerID
	for range maxManagerChain {
		var m struct{ ManagerID *string }
		err := tx.Table("users").Select("manager_id").Where("id = ?", next).Take(&m).Error
		if store.IsNotFound(err) {
			if next == *managerID {
				return fieldErr("manager_id", errors.New("no user with that id"))
			}
			return nil
		}
		if err != nil {
			return err
		}
		if m.ManagerID == nil {
			return nil
		}
		if *m.ManagerID == userID {
			return fieldErr("manager_id", errors.New("that person reports to this one, directly or through others"))
		}
		next = *m.ManagerID
	}
	return fieldErr("manager_id", errors.New("the reporting line above that manager is too long"))
}
