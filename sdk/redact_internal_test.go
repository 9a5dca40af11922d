package sdk

import "testing"

func TestRedactURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"wss://example.com/ws", "wss://example.com/ws"},
		{"wss://example.com/ws?token=abc", "wss://example.com/ws?REDACTED"},
		{"wss://user:pass@example.com:8443/ws?token=abc#frag", "wss://***@example.com:8443/ws?REDACTED"},
		{"wss://tok@example.com/ws", "wss://***@example.com/ws"},
		{"ws://example.com/ws#access_token=abc", "ws://example.com/ws#REDACTED"},
		{"ws://example.com/a@b", "ws://example.com/a@b"}, // an '@' in the path is no userinfo
		{"/ws?token=abc", "/ws?REDACTED"},                // relative, as browsers allow
		{"user:pass@example.com/ws?t=1", "***@example.com/ws?REDACTED"},
		{"ws://ho st/?token=abc", "ws://ho st/?REDACTED"}, // does not parse, still redacted
		// A '?' inside a password: every reading of the URL is covered.
		{"wss://user:pa?ss@example.com/ws", "wss://***@?REDACTED"},
		{"wss://example.com?token=se@cret/x", "wss://***@?REDACTED"},
		{"", ""},
	} {
		if got := redactURL(tc.in); got != tc.want {
			t.Errorf("redactURL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedactScrub(t *testing.T) {
	raw := "wss://alice:hunter2-pw@example.com/ws?token=tok-123456&x=1"
	header := []string{"Bearer bearer-abcdef", "no"}
	msg := `Get "https://alice:***@example.com/ws?token=tok-123456&x=1": tok-123456 bearer-abcdef ` + raw + " no"
	got := scrub(msg, raw, header)
	want := `Get "https://alice:***@example.com/ws?REDACTED": REDACTED REDACTED wss://***@example.com/ws?REDACTED no`
	if got != want {
		t.Fatalf("scrub:\n got  %s\n want %s", got, want)
	}
	if err := redactErr(errString(msg), raw, header); err.Error() != want {
		t.Fatalf("redactErr: %v", err)
	} else if u, ok := err.(interface{ Unwrap() error }); !ok || u.Unwrap() != nil {
		t.Fatal("a redacted error must not unwrap to the text it redacted")
	}
	clean := errString("connection refused")
	if redactErr(clean, raw, header) != clean {
		t.Fatal("an error with no secret in it was replaced")
	}
}

type errString string

func (e errString) Error() string { return string(e) }
