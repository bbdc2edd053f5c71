module github.com/jinpy-utils/multi

go 1.26.0

require (
	github.com/cenkalti/backoff/v4 v4.3.0
	github.com/coder/websocket v1.8.15
	github.com/stretchr/testify v1.12.1
	go.yaml.in/yaml/v3 v3.0.6
	golang.org/x/sys v0.50.0
	golang.org/x/term v0.48.0
)

require google.golang.org/protobuf v1.36.10

require github.com/klauspost/compress v1.18.6 // indirect
