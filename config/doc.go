// Package config builds a whole handler tree from a JSON or YAML document:
// the backend factory of the jinpy-utils Python logger, for Go. It adds nothing the plain
// constructors (console.New, file.New, httpsink.New, wssink.New) cannot
// do; it lets the choice of sinks live in a file that operators edit.
//
//	h, err := config.LoadFile("multi.yaml")
//	if err != nil {
//		log.Fatal(err) // config: multi.yaml:7: sinks[2].max_size: "10XB" is not a size
//	}
//	defer multi.Shutdown(context.Background(), h)
//	slog.SetDefault(slog.New(h))
//
// # The document
//
// A document is an object with a list of sinks, and optionally a level:
//
//	level: debug                 # optional: a floor for every sink (see below)
//	sinks:
//	  - type: console            # console, file, http, websocket, otlp, syslog, journald, or a Register'ed type
//	    output: stderr           # console only: stdout or stderr (default stderr)
//	    level: trace
//	  - type: file
//	    path: logs/app-{date}.log
//	    max_size: 100MB
//	    max_backups: 10
//	    compression: zstd       # or gzip; compress: true is gzip
//	  - type: http
//	    url: https://logs.example.com/api/v1/logs
//	    level: error
//	    bearer_token: ${LOG_TOKEN}
//	  - type: websocket
//	    url: wss://logs.example.com/ws
//	    reconnect: {initial_interval: 5s}
//
// Each sink's keys, besides "type", "name" and the destination ("output",
// "path", "url", or a syslog sink's "address"), are the fields of that
// sink's Options struct (console.Options, file.Options, httpsink.Options,
// wssink.Options, otlpsink.Options, syslog.Options, journald.Options), by their Go name
// (MaxSize) or in snake_case (max_size); a nested struct is a nested map,
// so the network sinks' shared options read as queue: {size: 50000},
// retry: {max: 10, initial_interval: 1s} and spool: {dir: /var/spool/app}
// (see package delivery). Values are read by [Decode]:
// levels as names ("debug", "warning", "INFO+2"), durations as "5s", sizes
// as "100MB" or "64KiB" (KB, MB, GB, TB are powers of 1000; KiB, MiB, GiB,
// TiB powers of 1024; see [ParseSize]), formats and policies by name. A key
// that names no field, a value of the wrong kind and a field that only Go
// code can set (ErrorHandler, ReplaceAttr, TokenFunc, Client, OnRotate) are
// errors.
//
// The integer fields that take sizes are those whose names end in Bytes
// (BatchBytes; the queue's Bytes; the spool's MaxBytes) and these: file's
// MaxSize, MaxTotalSize and BufferSize, websocket's MaxMessageSize. A
// file's RotateEvery is a duration ("1h", "15m") and RotateAt a list of
// them, the times of day since midnight (["6h", "18h30m"]). Counts
// (BatchSize, the queue's Size,
// MaxBackups) take integers only. A file's Mode is an octal string ("0640"); an
// http sink's EncryptionKey is base64.
//
// The top-level "level" is a floor: each sink sees only records at that
// level or above, on top of its own level (it is applied with
// [multi.MinLevel]). It can quiet every sink at once; it never makes a sink
// more verbose than its own level, whose default is INFO.
//
// The order of the sinks is the order in which a record reaches them.
// Sinks are numbered from 0 in error messages: sinks[2] is the third, and
// package multi's errors call the same sink handler[2].
//
// # Steering a tree
//
// A sink may have a "name", unique in the document. It is the sink's own
// name, not the logger name of its lines (that is "logger"):
//
//	sinks:
//	  - type: console
//	    name: console
//	    level: info
//	  - type: http
//	    name: collector
//	    url: http://localhost:9428/insert/jsonline?_msg_field=msg&_time_field=time
//
// [Config.BuildTree] (and [LoadFileTree]) return, besides the handler, a
// *slog.LevelVar for each named sink, which the program can set while it
// runs, and take [BuildOptions] with what a document cannot hold: an
// ErrorHandler for every built-in sink, given each error as a [*SinkError]
// that names the sink. [multi.LevelHandler] serves the levels over HTTP:
//
//	tree, err := config.LoadFileTree("multi.yaml", &config.BuildOptions{ErrorHandler: report})
//	...
//	http.Handle("/debug/log-levels", multi.LevelHandler(tree.Levels))
//
// A named sink's LevelVar starts at its "level" (INFO without one).
// Setting it changes that sink alone, at once, from any goroutine. The
// top-level "level" stays a floor above it: with level: warn at the top,
// setting a sink's LevelVar to DEBUG lets it see WARN and above, no more;
// to let one sink go below the floor, leave the top-level level out and
// give each sink its own.
//
// # JSON and YAML
//
// A document whose first non-blank character is '{' or '[' is read as
// JSON (encoding/json, with the line of each value kept for errors);
// anything else as YAML. Both read into the same tree, so a YAML document
// and the JSON document with the same values give the same [Config].
//
// JSON is not read by the YAML parser, though YAML 1.2 is nearly a
// superset of it: go.yaml.in/yaml/v3 accepts what is not JSON (a trailing
// comma, a raw tab in a string) without an error, and refuses what is (an
// escaped surrogate pair such as "\ud83d\ude00", which many encoders
// write for an emoji) with an error that names no line. Sinks' Options,
// which a program may set in Go as JSON, are read by the same JSON parser.
//
// YAML is read with go.yaml.in/yaml/v3, the YAML organisation's maintained
// continuation of gopkg.in/yaml.v3 (same API and behaviour; the original
// is no longer maintained). It implements YAML 1.2's core schema, so yes,
// no, on and off are strings, not bools, and it bounds its own parser's
// nesting. This package reads its node tree, not Go values, and does the
// rest itself: it keeps line numbers, rejects duplicate keys, supports
// anchors, aliases and merge keys (<<) under a budget (see Limits), and
// refuses tags other than the standard ones. A YAML file must hold one
// document.
//
// # Environment variables
//
// String values may refer to environment variables, so that secrets and
// per-host settings stay out of the file: ${NAME} is replaced by the
// value of NAME, and is an error naming NAME and the place in the
// document if NAME is not set; ${NAME:-default} is replaced by default
// when NAME is unset or empty. $${ stands for a literal ${. A '$' not
// followed by '{' is kept as it is. References do not nest: a default
// holding ${ (${A:-${B}}) is an error. References are expanded in string
// values only: not in keys, not in "type", and not in numbers or bools
// (write "${N}" or ${N} where a number is wanted: numbers and bools are
// also read from strings). Variables are read by [Config.Build], not by
// [Parse]: a Config holds the references, not the values.
//
// No value of an environment variable appears in an error this package
// returns, whatever produced the message (this package, a sink's
// constructor, the standard library): every occurrence of the value of a
// variable the document used, and every run of 8 bytes or more that also
// occurs in such a value (a URL's port, a truncated token), raw or quoted
// or URL-escaped, is replaced by ${NAME} in the message. Such an error does
// not unwrap to the original, which still holds the value. Values shorter
// than three bytes (a port digit, "on") are left, as they are no secrets
// and replacing them would garble paths like sinks[1]. The price is that
// a message may show ${NAME} where it quoted text that merely resembles a
// variable's value.
//
// # Errors
//
// Every error is an [*Error] that names the file (LoadFile), the line, and
// the path of the value in the document:
//
//	config: multi.yaml:7: sinks[2].max_size: "10XB" is not a size
//	config: multi.yaml:4: sinks[0].level: "loud" is not a level (trace, debug, info, warn, error, critical, or an offset like INFO+2)
//	config: multi.yaml:12: sinks[3].headers.Authorization: environment variable LOG_TOKEN is not set
//	config: multi.yaml:2: sinks[0].type: unknown type "kafka" (known: console, file, http, websocket)
//
// A sink with a name is named after its place, in build errors and in the
// [*SinkError]s an ErrorHandler is given alike:
//
//	config: multi.yaml:9: sinks[2] (name "audit").max_size: "10XB" is not a size
//	sinks[2] (name "audit"): file: write logs/audit.log: no space left on device
//
// If a sink fails to build, Build first shuts down the sinks of the same
// document it already built, so that no file, connection or goroutine is
// left behind, waiting for them at most 5 seconds. A sink that fails to
// shut down is named in the error, after the one that stopped Build:
//
//	config: multi.yaml:14: sinks[3].url: missing: the collector's URL; and shut down sinks[1]: file: flush logs/app.log: write logs/app.log: input/output error
//
// # Limits
//
// A hostile or broken document costs bounded time and memory: at most
// [MaxDocumentSize] bytes (1 MiB) are read, objects and lists nest at most
// [MaxDepth] (32) levels, and YAML aliases and merge keys may expand the
// document to at most [MaxValues] (20,000) values and [MaxExpandedText]
// (4 MiB) of keys and strings; the "billion laughs" fails fast. The values
// of the ${VAR} references Build expands may add at most MaxExpandedText
// bytes more to a document, however often it repeats them. As the
// YAML parser holds all of a document's nodes at once, a YAML document
// with more than MaxValues line breaks, commas, brackets and "-", ":" or
// "?" characters in all is refused before it is parsed. Parsing the
// largest document these limits let through allocates less than 64 MiB
// (tested), most of it in the YAML parser. Each limit is an error, not a
// truncation; a configuration file comes nowhere near them.
//
// # Sampling, redaction, routing and failover
//
// Any sink may have a "sample" key, which wraps it in [multi.Sample], and
// a built-in sink a "redact" key, which gives it a [format.Redactor] as
// its ReplaceAttr (a Register'ed type takes one in Go; asking for it in
// the document is an error):
//
//	sinks:
//	  - type: http
//	    url: https://logs.example.com/api/v1/logs
//	    sample: {first: 100, thereafter: 100, tick: 1s, cap: 5000, floor: warn, key: message, summary: true}
//	    redact: {keys: [password, "*_token", req.headers.authorization], detectors: [bearer, jwt, cloud_key, pem], mask: "***"}
//
// The keys of "sample" are multi.SampleOptions' (key is message, source or
// attr:NAME); those of "redact" are format.RedactOptions' (hmac_key is
// base64; "redact: {}" is the defaults: DefaultRedactKeys and every
// detector).
//
// Two types hold other sinks, written as sinks are (a "type" and its
// keys, sample and redact included; no "name"):
//
//	sinks:
//	  - type: route              # multi.Route
//	    first_match: true        # optional: only the first rule that takes a record
//	    rules:
//	      - when: {level: error}                 # level, message (a substring), attrs: every one given must match
//	        sink: {type: http, url: https://pager.example.com/hook}
//	      - when: {attrs: {tenant: acme}}        # bound with With or the record's own; numbers and bools as logged
//	        sink: {type: file, path: logs/acme.log}
//	      - sink: {type: console}                # no when: every record
//	  - type: failover           # multi.Failover
//	    hold: 30s                # optional (default 10s)
//	    primary: {type: http, url: https://logs.example.com/api/v1/logs, spool: {dir: /var/spool/app}}
//	    secondaries:
//	      - {type: file, path: logs/fallback.log}
//
// A "redact" on a route or failover reaches every sink inside it that has
// none of its own. A route or failover may have a "level", a floor on
// the whole of it; a named one gets a LevelVar, starting at that level
// (TRACE without one), that is that floor. Errors inside name the path
// down to the value ("sinks[0].rules[1].sink.max_size").
//
// # Custom types
//
// [Register] adds a sink type, as BackendFactory.register_backend did:
//
//	func init() {
//		config.Register("kafka", func(raw json.RawMessage) (slog.Handler, error) {
//			var o struct {
//				Brokers []string
//				Topic   string
//				kafkasink.Options
//			}
//			if err := config.Decode(raw, &o); err != nil {
//				return nil, err
//			}
//			return kafkasink.New(o.Brokers, o.Topic, &o.Options)
//		})
//	}
//
// # Presets
//
// [Production] and [Development] return ready Configs, the jinpy-utils
// Python logger's create_production_config and create_development_config:
// JSON lines on stdout at INFO with the source position, and a coloured
// console on stderr at DEBUG. The LOG_LEVEL environment variable, when
// set and not empty, replaces the level of both; a LOG_LEVEL that is not a
// level is an error from Build, not silently ignored.
package config
