module github.com/steadyws/steadyws

go 1.26

require (
	github.com/agnivade/levenshtein v1.2.2
	github.com/coder/websocket v1.8.15
	go.uber.org/goleak v1.3.0
)
