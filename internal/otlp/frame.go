package otlp

import (
	"log/slog"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers from opentelemetry-proto (collector/logs/v1, logs/v1,
// resource/v1, common/v1).
const (
	fieldResourceLogs = 1 // ExportLogsServiceRequest.resource_logs
	fieldResource     = 1 // ResourceLogs.resource
	fieldScopeLogs    = 2 // ResourceLogs.scope_logs
	fieldAttributes   = 1 // Resource.attributes
	fieldScope        = 1 // ScopeLogs.scope
	fieldLogRecords   = 2 // ScopeLogs.log_records
	fieldScopeName    = 1 // InstrumentationScope.name
	fieldKey          = 1 // KeyValue.key
	fieldValue        = 2 // KeyValue.value
	fieldStringValue  = 1 // AnyValue.string_value
)

// Severity returns the OTLP SeverityNumber for a slog level: level + 9, so
// TRACE (-8) is 1, DEBUG 5, INFO 9, WARN 13, ERROR 17, CRITICAL (12) 21,
// clamped to 1..24.
func Severity(l slog.Level) int32 {
	n := int64(l) + 9
	return int32(min(max(n, 1), 24))
}

// AppendRequest appends to dst one protobuf ExportLogsServiceRequest with a
// single ResourceLogs (resource attributes as strings) holding a single
// ScopeLogs (scope named scope; none when empty) whose log_records are the
// already-encoded LogRecord messages in records, copied as they are.
func AppendRequest(dst []byte, resource []KeyValue, scope string, records [][]byte) []byte {
	res := resourceSize(resource)
	sl := scopeLogsSize(scope, records)
	rl := protowire.SizeTag(fieldResource) + protowire.SizeBytes(res) +
		protowire.SizeTag(fieldScopeLogs) + protowire.SizeBytes(sl)

	dst = protowire.AppendTag(dst, fieldResourceLogs, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(rl))

	dst = protowire.AppendTag(dst, fieldResource, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(res))
	for _, kv := range resource {
		dst = protowire.AppendTag(dst, fieldAttributes, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(keyValueSize(kv)))
		dst = protowire.AppendTag(dst, fieldKey, protowire.BytesType)
		dst = protowire.AppendString(dst, kv.Key)
		dst = protowire.AppendTag(dst, fieldValue, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(anyStringSize(kv.Value)))
		dst = protowire.AppendTag(dst, fieldStringValue, protowire.BytesType)
		dst = protowire.AppendString(dst, kv.Value)
	}

	dst = protowire.AppendTag(dst, fieldScopeLogs, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(sl))
	if scope != "" {
		dst = protowire.AppendTag(dst, fieldScope, protowire.BytesType)
		dst = protowire.AppendVarint(dst, uint64(protowire.SizeTag(fieldScopeName)+protowire.SizeBytes(len(scope))))
		dst = protowire.AppendTag(dst, fieldScopeName, protowire.BytesType)
		dst = protowire.AppendString(dst, scope)
	}
	for _, r := range records {
		dst = protowire.AppendTag(dst, fieldLogRecords, protowire.BytesType)
		dst = protowire.AppendBytes(dst, r)
	}
	return dst
}

func anyStringSize(s string) int {
	return protowire.SizeTag(fieldStringValue) + protowire.SizeBytes(len(s))
}

func keyValueSize(kv KeyValue) int {
	return protowire.SizeTag(fieldKey) + protowire.SizeBytes(len(kv.Key)) +
		protowire.SizeTag(fieldValue) + protowire.SizeBytes(anyStringSize(kv.Value))
}

func resourceSize(attrs []KeyValue) int {
	n := 0
	for _, kv := range attrs {
		n += protowire.SizeTag(fieldAttributes) + protowire.SizeBytes(keyValueSize(kv))
	}
	return n
}

func scopeLogsSize(scope string, records [][]byte) int {
	n := 0
	if scope != "" {
		n += protowire.SizeTag(fieldScope) + protowire.SizeBytes(protowire.SizeTag(fieldScopeName)+protowire.SizeBytes(len(scope)))
	}
	for _, r := range records {
		n += protowire.SizeTag(fieldLogRecords) + protowire.SizeBytes(len(r))
	}
	return n
}
