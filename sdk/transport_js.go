package sdk

import "context"

// The browser transport arrives with the browser build; until then every
// attempt fails with ErrNotImplemented, which the policy treats as final.
var platformDial dialer = func(ctx context.Context, url string, o *Options, s sink) (conn, error) {
	return nil, ErrNotImplemented
}
