package sdk

// Error messages end up in logs, so no error the client produces may carry
// the credentials a URL or a handshake header holds: the userinfo
// (user:password@), the query string (?token=...), the fragment, and the
// values of Options.Header (Authorization, Cookie, API keys). The transports
// pass every dial error through here before the core sees it.
//
// This file is shared by both builds and does without package strings,
// which the browser build does not otherwise link.

const redacted = "REDACTED"

// minSecret is the shortest piece of a URL or header that is scrubbed
// wherever it appears in an error's text, and minWord the shortest word of
// one: shorter ones are not credentials, and removing them would garble
// the message.
const (
	minSecret = 4
	minWord   = 6
)

// urlParts locates the secrets of a URL by hand, so that it also works on
// strings that do not parse as URLs, which are what bad-URL errors quote.
// host is where the authority starts, user where a userinfo ends with '@'
// (-1: none), and tail where the query or fragment starts: raw[tail:] is
// secret, marker included ('?' or '#'), and empty when there is none. An '@'
// before the first '/' of the authority ends a userinfo even after a '?',
// so that a password holding a '?' is never shown; all that follows the '@'
// is then secret too.
func urlParts(raw string) (host, user, tail int) {
	tail = len(raw)
	for i := 0; i < len(raw); i++ {
		if raw[i] == '?' || raw[i] == '#' {
			tail = i
			break
		}
	}
	if i := index(raw[:tail], "//"); i >= 0 {
		host = i + 2
	}
	end := len(raw)
	for i := host; i < len(raw); i++ {
		if raw[i] == '/' {
			end = i
			break
		}
	}
	user = -1
	for i := end - 1; i >= host; i-- {
		if raw[i] == '@' {
			user = i
			break
		}
	}
	if user >= 0 && tail < user {
		tail = user + 1
	}
	return host, user, tail
}

// secretTail splits the query or fragment of raw into its marker ("?" or
// "#") and the secret after it.
func secretTail(raw string, tail int) (mark, secret string) {
	if tail < len(raw) && (raw[tail] == '?' || raw[tail] == '#') {
		return raw[tail : tail+1], raw[tail+1:]
	}
	return "?", raw[tail:]
}

// redactURL returns raw with its userinfo replaced by "***" and its query
// and fragment by "REDACTED", as in "wss://***@example.com/ws?REDACTED".
func redactURL(raw string) string {
	host, user, tail := urlParts(raw)
	out := raw[:host]
	from := host
	if user >= 0 {
		out += "***@"
		from = user + 1
	}
	out += raw[from:max(from, tail)]
	if tail < len(raw) {
		mark, _ := secretTail(raw, tail)
		out += mark + redacted
	}
	return out
}

// secretsOf lists what must not appear in an error's text: the userinfo
// and the query and fragment of raw, and the other secrets given (handshake
// header values), each with its words (split at & = # ; , : and spaces)
// of at least minWord bytes, since messages quote parts too ("The URL
// contains a fragment identifier ('...')").
func secretsOf(raw string, more []string) []string {
	host, user, tail := urlParts(raw)
	_, secret := secretTail(raw, tail)
	pieces := append([]string{secret}, more...)
	if user >= 0 {
		pieces = append(pieces, raw[host:user])
	}
	var s []string
	for _, p := range pieces {
		s = append(s, p)
		start := 0
		for i := 0; i <= len(p); i++ {
			if i == len(p) || isSeparator(p[i]) {
				if i-start >= minWord && i-start < len(p) {
					s = append(s, p[start:i])
				}
				start = i + 1
			}
		}
	}
	return s
}

func isSeparator(b byte) bool {
	switch b {
	case '&', '=', '#', ';', ',', ':', ' ':
		return true
	}
	return false
}

// scrub takes the secrets of raw, and the others given, out of msg: raw
// itself becomes its redacted form, then every remaining secret piece
// becomes "REDACTED".
func scrub(msg, raw string, more []string) string {
	if raw != "" {
		msg = replaceAll(msg, raw, redactURL(raw))
	}
	for _, s := range secretsOf(raw, more) {
		if len(s) >= minSecret {
			msg = replaceAll(msg, s, redacted)
		}
	}
	return msg
}

// redactedError is an error whose text had secrets taken out. It unwraps
// to err, an error whose own text is clean (nil if there was none), so that
// errors.Is and errors.As keep finding the cause.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactErr returns err if its text holds no secret of raw or of more, and
// otherwise an error with the secrets taken out. Its chain is cut there:
// the texts of the errors err wraps would hold the secrets too.
func redactErr(err error, raw string, more []string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := scrub(msg, raw, more); clean != msg {
		return &redactedError{msg: clean}
	}
	return err
}

func index(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func replaceAll(s, old, repl string) string {
	if old == "" {
		return s
	}
	var out string
	for {
		i := index(s, old)
		if i < 0 {
			return out + s
		}
		out += s[:i] + repl
		s = s[i+len(old):]
	}
}
