//go:build !js

package main

import "testing"

// TestToReply checks the raw echo's in-place rewrite, on which every
// client's id check depends.
func TestToReply(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"type":"echo","id":7,"data":{"seq":7,"pad":"ab"}}`, `{"type":"echo","re":7,"data":{"seq":7,"pad":"ab"}}`},
		{`{"data":{"id":1,"s":"\"id\":"},"type":"echo","id":12}`, `{"data":{"id":1,"s":"\"id\":"},"type":"echo","re":12}`},
		{` { "type" : "echo" , "id" : 3 }`, ` { "type" : "echo" , "re" : 3 }`},
		{`{"type":"mark","data":{"k":2}}`, `{"type":"mark","data":{"k":2}}`},
		{`{"type":"ping"}`, `{"type":"pong"}`},
		{`{"type":"echo","data":[1,{"a":"]"}],"id":5}`, `{"type":"echo","data":[1,{"a":"]"}],"re":5}`},
		{`not json`, `not json`},
		{`{"type":"echo","data":"unterminated`, `{"type":"echo","data":"unterminated`},
	} {
		b := []byte(tc.in)
		toReply(b)
		if string(b) != tc.want {
			t.Errorf("toReply(%s) = %s, want %s", tc.in, b, tc.want)
		}
	}
}
