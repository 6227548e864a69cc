// Package api embeds the HTTP contract, api/openapi.yaml, so the binary can
// serve it and tests can hold every response against it.
package api

import _ "embed"

// OpenAPI is the contract in YAML.
//
//go:embed openapi.yaml
var OpenAPI []byte
