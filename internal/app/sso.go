package app

import (
	"fmt"
	"os"
	"strings"

	"github.com/upskill/upskill/internal/config"
	"github.com/upskill/upskill/internal/httpapi"
)

// OIDCOptions reads single sign-on from the configuration: a zero value
// (off) when no issuer is set. The client secret may come from a file.
func OIDCOptions(cfg config.Config) (httpapi.OIDCOptions, error) {
	if !cfg.PasswordLogin && cfg.OIDCIssuer == "" {
		return httpapi.OIDCOptions{}, fmt.Errorf("UPSKILL_PASSWORD_LOGIN=false needs single sign-on: set UPSKILL_OIDC_ISSUER")
	}
	if cfg.OIDCIssuer == "" {
		return httpapi.OIDCOptions{}, nil
	}
	secret := cfg.OIDCClientSecret
	if cfg.OIDCClientSecretFile != "" {
		if secret != "" {
			return httpapi.OIDCOptions{}, fmt.Errorf("UPSKILL_OIDC_CLIENT_SECRET and UPSKILL_OIDC_CLIENT_SECRET_FILE are both set; keep one")
		}
		b, err := os.ReadFile(cfg.OIDCClientSecretFile)
		if err != nil {
			return httpapi.OIDCOptions{}, fmt.Errorf("UPSKILL_OIDC_CLIENT_SECRET_FILE: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	if cfg.OIDCClientID == "" || secret == "" {
		return httpapi.OIDCOptions{}, fmt.Errorf("UPSKILL_OIDC_ISSUER needs UPSKILL_OIDC_CLIENT_ID and UPSKILL_OIDC_CLIENT_SECRET (or _FILE)")
	}
	return httpapi.OIDCOptions{Issuer: cfg.OIDCIssuer, ClientID: cfg.OIDCClientID, ClientSecret: secret,
		Name: cfg.OIDCName, DepartmentClaim: cfg.OIDCDepartmentClaim, EmailDomains: cfg.OIDCEmailDomains,
		TrustEmail: cfg.OIDCTrustEmail}, nil
}
