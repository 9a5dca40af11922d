//go:build !js

package sdk

import (
	"flag"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var updateJS = flag.Bool("update", false, "rewrite js/constants.mjs and internal/jsws/constants.js from jsTable")

// jsConst is a constant of jsabi.go as JavaScript names it, and which side
// of JavaScript reads it: the socket shim, the JavaScript API, or both.
type jsConst struct {
	name  string
	value any // int or string
	shim  bool
	api   bool
}

// jsTable lists what JavaScript reads of jsabi.go (and of the errors whose
// texts the JavaScript API throws), in the order the generated files give.
func jsTable() []jsConst {
	shim := func(name string, v any) jsConst { return jsConst{name, v, true, false} }
	api := func(name string, v any) jsConst { return jsConst{name, v, false, true} }
	return []jsConst{
		shim("ACT_NONE", actNone),
		api("ACT_EVENT", actEvent),
		api("ACT_REPLY", actReply),
		api("ACT_REQUEST", actRequest),
		api("ACT_RAW", actRaw),
		shim("ACT_PONG", actPong),
		shim("ACT_FULL", actFull),
		shim("ROUTE_ACT", routeAct),
		shim("ROUTE_YIELD", routeYield),
		shim("ROUTE_HEAD_ONLY", routeHeadOnly),
		shim("ROUTE_COMPLETE", routeComplete),
		shim("ROUTE_REEXAMINE", routeReexamine),
		shim("MSG_TEXT", int(MessageText)),
		shim("MSG_BINARY", int(MessageBinary)),
		shim("SOCK_OPEN", sockOpen),
		shim("SOCK_CLOSE", sockClose),
		shim("SOCK_MESSAGE", sockMessage),
		shim("SOCK_DRAINED", sockDrained),
		shim("HIGH_WATER", highWater),
		api("SEND_YIELD", sendYield),
		api("SEND_SOCKET", sendSocket),
		api("SEND_NUMBERED", sendNumbered),
		api("SEND_QUEUED", sendQueued),
		api("SEND_QUEUE_FULL", sendQueueFull),
		api("SEND_NO_QUEUE", sendNoQueue),
		api("SEND_DUPLICATE_ID", sendDuplicateID),
		api("SEND_TOO_LARGE", sendTooLarge),
		api("NAME_MALFORMED", nameMalformed),
		api("NAME_HANDLER", nameHandler),
		api("NAME_UNHANDLED_FRAME", nameUnhandledFrame),
		api("CODE_TIMEOUT", codeTimeout),
		api("CODE_CLOSED", codeClosed),
		api("CODE_QUEUE_FULL", codeQueueFull),
		api("CODE_NOT_CONNECTED", codeNotConnected),
		api("CODE_DUPLICATE_ID", codeDuplicateID),
		api("CODE_TOO_LARGE", codeTooLarge),
		api("TEXT_QUEUE_FULL", ErrQueueFull.Error()),
		api("TEXT_NOT_CONNECTED", ErrNotConnected.Error()+" (queueing is disabled)"),
		api("TEXT_DUPLICATE_ID", "steadyws: duplicate request id"),
	}
}

const jsGenerated = "// Code generated from sdk/jsabi.go by `go test ./sdk -run TestJSConstants -update`. DO NOT EDIT.\n"

func jsLiteral(v any) string {
	switch v := v.(type) {
	case int:
		return strconv.Itoa(v)
	case string:
		return strconv.Quote(v) // the texts are ASCII: a Go quote is a JavaScript one
	}
	panic("jsabi: a constant that is neither an int nor a string")
}

// renderJS renders the constants one side reads: an ES module for the
// JavaScript API, the prologue of the shim's function body for the shim
// (which sdk/internal/jsws evaluates as one with shim.js, in strict mode).
func renderJS(forShim bool) string {
	var b strings.Builder
	b.WriteString(jsGenerated)
	if forShim {
		b.WriteString("// The socket shim's numbers: sdk/internal/jsws evaluates this file and\n// shim.js as one function body, this file first.\n\"use strict\";\n")
	} else {
		b.WriteString("// The numbers and names the JavaScript API shares with the Go core.\n")
	}
	for _, c := range jsTable() {
		if forShim && !c.shim || !forShim && !c.api {
			continue
		}
		if !forShim {
			b.WriteString("export ")
		}
		b.WriteString("const " + c.name + " = " + jsLiteral(c.value) + ";\n")
	}
	return b.String()
}

// TestJSConstants fails when the generated JavaScript constants differ from
// jsabi.go, and when the JavaScript uses a bare number where a constant is
// meant.
func TestJSConstants(t *testing.T) {
	for _, f := range []struct {
		path   string
		isShim bool
	}{{"../js/constants.mjs", false}, {"internal/jsws/constants.js", true}} {
		want := renderJS(f.isShim)
		if *updateJS {
			if err := os.WriteFile(f.path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(f.path)
		if err != nil {
			t.Fatalf("%v: run go test ./sdk -run TestJSConstants -update", err)
		}
		if string(got) != want {
			t.Errorf("%s is out of date with sdk/jsabi.go: run go test ./sdk -run TestJSConstants -update", f.path)
		}
	}
	// The shapes the numbers had before they had names.
	for path, bare := range map[string][]string{
		"../js/steadyws.mjs":    {`act [!=]== \d`, `case -\d`, `sock [&=>]=* ?\d`, `1 << 30`},
		"internal/jsws/shim.js": {`r & 0x`, `act [!=]== \d`, `4 << 20`, `goEvent\(id, \d`, `steadyws_(route|frame)\(id, \d`},
	} {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, re := range bare {
			if m := regexp.MustCompile(re).Find(src); m != nil {
				t.Errorf("%s has %q: use the constant from jsabi.go", path, m)
			}
		}
	}
}
