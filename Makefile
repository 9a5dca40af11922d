# steadyws — see README.md. Targets stay thin; logic lives in scripts.
GO ?= go

.PHONY: test test-native test-race vet demo wasm bench

## test: every test — vet for both builds, native with the race detector, browser.
test: vet test-race

vet:
	$(GO) vet ./...
	GOOS=js GOARCH=wasm $(GO) vet ./sdk/...

test-race:
	$(GO) test -race -count=1 ./...
