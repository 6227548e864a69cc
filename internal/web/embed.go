// Package web serves upskill's browser app: the Svelte build in dist/,
// embedded in the binary. It only serves files; the app talks to the
// server through the public REST API like any other client. The source
// lives in ui/ and `npm run build` there rewrites dist/, which is
// committed so that building the binary needs no Node.js.
package web

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist is the built app: index.html at its root, hashed files in assets/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}
