package app

import (
	"fmt"

	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/evidence"
	"github.com/upskill/upskill/internal/keys"
	"github.com/upskill/upskill/internal/outbound"
)

// EvidenceOptions reads the outbound allow-list, the LRS and the badge key
// (created on first use) from cfg.
func EvidenceOptions(cfg config.Config) (evidence.Options, error) {
	policy, err := outbound.Parse(cfg.OutboundAllow)
	if err != nil {
		return evidence.Options{}, fmt.Errorf("UPSKILL_OUTBOUND_ALLOW: %w", err)
	}
	opt := evidence.Options{OrgName: cfg.OrgName, Policy: policy, GiveUp: cfg.OutboxGiveUp,
		XAPI: evidence.XAPI{Endpoint: cfg.XAPIEndpoint, Username: cfg.XAPIUsername, Password: cfg.XAPIPassword}}
	if cfg.XAPIEndpoint != "" {
		if _, err := policy.CheckURL(cfg.XAPIEndpoint); err != nil {
			return evidence.Options{}, fmt.Errorf("UPSKILL_XAPI_ENDPOINT: %w", err)
		}
	}
	if cfg.BadgeKeyFile != "" {
		k, err := keys.LoadOrCreateRSA(cfg.BadgeKeyFile)
		if err != nil {
			return evidence.Options{}, fmt.Errorf("badge key: %w", err)
		}
		opt.BadgeKey = k
	}
	return opt, nil
}

// wireEvidence registers the webhook and xAPI deliverers with the outbox.
func (a *App) wireEvidence() {
	a.Outbox.Register(evidence.TargetWebhook, a.Evidence.WebhookDeliverer())
	if a.Evidence.XAPIEnabled() {
		a.Outbox.Register(evidence.TargetXAPI, a.Evidence.XAPIDeliverer())
		a.Log.Info("xAPI statements go to the configured LRS")
	}
}
