package sdk

import "github.com/steadyws/steadyws/sdk/internal/jsws"

// BrowserResources counts what the browser build holds on behalf of
// clients, for tests that check that nothing is left behind: js.Func
// values, the shim's sockets, held strings, timers and JavaScript clients,
// and the Go side's socket table and page-signal subscriptions.
func BrowserResources() map[string]int {
	live := shimValue().Call("live")
	browser.mu.Lock()
	goSockets := len(browser.socks)
	browser.mu.Unlock()
	pageClients.mu.Lock()
	running := len(pageClients.running)
	pageClients.mu.Unlock()
	return map[string]int{
		"js.Func":      jsws.LiveFuncs(),
		"shim sockets": live.Get("sockets").Int(),
		"shim refs":    live.Get("refs").Int(),
		"shim timers":  live.Get("timers").Int(),
		"shim clients": live.Get("clients").Int(),
		"Go sockets":   goSockets,
		"page clients": running,
	}
}
