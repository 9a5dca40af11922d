//go:build !js

package server

import "github.com/steadyws/steadyws/sdk/internal/serverhook"

// The test server's seam (see package serverhook): unexported, so no user
// of this package can reach it.
func init() {
	serverhook.Install = func(srv any, h serverhook.Hooks) { srv.(*Server).internal = h }
}
