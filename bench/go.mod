module github.com/jinpy-utils/multi/bench

go 1.26.0

require (
	github.com/jinpy-utils/multi v0.0.0
	github.com/lmittmann/tint v1.2.1
	go.uber.org/zap v1.27.0
	gopkg.in/natefinch/lumberjack.v2 v2.2.1
)

require (
	github.com/klauspost/compress v1.18.6 // indirect
	go.uber.org/multierr v1.10.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/term v0.48.0 // indirect
)

replace github.com/jinpy-utils/multi => ../
