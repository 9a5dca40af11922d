// Package web holds the demo page: plain HTML, CSS and JavaScript that use
// only the public steadyws JavaScript API, embedded so that the server is
// one binary.
package web

import "embed"

// Files holds index.html, app.js and style.css.
//
//go:embed index.html app.js style.css
var Files embed.FS
