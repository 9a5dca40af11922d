package chat

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
)

// The demo has no login. Its stand-in is a visitor cookie: the page sets
// one (an unguessable random id) the first time it is loaded, the browser
// sends it with every WebSocket handshake to /ws, and authorize makes it
// the connection's principal. sdk/server binds each reliable-mode session
// to the principal it began with and refuses to resume it for another
// (1008), so a stolen session id is no use from another browser. A real
// service returns its logged-in user here instead.
//
// Clients that send no cookie (the terminal client, the README's examples)
// connect as principal "", and their sessions are bound to that.
const visitorCookie = "steadyws-demo-visitor"

// authorize is the /ws server's Options.Authorize: it never refuses.
func authorize(r *http.Request) (string, error) {
	if v := visitor(r); v != "" {
		return "visitor:" + v, nil
	}
	return "", nil
}

// visitor returns the request's visitor id, or "" if it has none (or a
// malformed one).
func visitor(r *http.Request) string {
	c, err := r.Cookie(visitorCookie)
	if err != nil || len(c.Value) != 22 {
		return ""
	}
	if _, err := base64.RawURLEncoding.DecodeString(c.Value); err != nil {
		return ""
	}
	return c.Value
}

// withVisitor gives a browser that loads the page without a visitor
// cookie a new one.
func withVisitor(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (r.URL.Path == "/" || r.URL.Path == "/index.html") && visitor(r) == "" {
			id := make([]byte, 16)
			_, _ = rand.Read(id) // never fails (crypto/rand)
			http.SetCookie(w, &http.Cookie{
				Name:     visitorCookie,
				Value:    base64.RawURLEncoding.EncodeToString(id),
				Path:     "/",
				HttpOnly: true,
				SameSite: http.SameSiteLaxMode,
			})
		}
		h.ServeHTTP(w, r)
	})
}
