package multi

import "log/slog"

// SetFailoverClock makes the Failover h read the time from now
// (nanoseconds), for tests of Hold without waiting.
func SetFailoverClock(h slog.Handler, now func() int64) { h.(*failover).st.now = now }

// EnabledIsUnguarded reports whether the fan-out h calls its children's
// Enabled without a deferred recover.
func EnabledIsUnguarded(h *Handler) bool {
	if len(h.enablers) == 0 {
		return true
	}
	_, guarded := h.enablers[0].(guard)
	return !guarded
}
