//go:build steadyws_nojson

package sdk

// The JavaScript API's build starts no request from Go (gorequest.go).

type goReq struct{}

type goRequests struct{}

func (*goRequests) stopped() {}

func (p *pending) settleStarted(reply) bool { return false }
