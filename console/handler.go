package console

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/format"
)

// Options configure a [Handler]. A nil *Options, and the zero value of every
// field, means the default.
type Options struct {
	// Level is the minimum level of records that are written. It is read
	// for every record, so a *slog.LevelVar changes it at run time.
	// Nil means slog.LevelInfo.
	Level slog.Leveler

	// Format selects the encoding: any of package format's formats. The
	// zero value, format.Default, means format.Console.
	Format format.Format

	// TimeFormat is a time.Time layout for the record's time. The empty
	// string means the format's default: "15:04:05.000" for Console, and
	// for the other formats what package format uses (slog's for JSON and
	// Text).
	TimeFormat string

	// AddSource adds the source position of the log call.
	AddSource bool

	// ReplaceAttr rewrites each non-group attribute before it is written,
	// as slog.HandlerOptions.ReplaceAttr does; see format.Options.
	ReplaceAttr func(groups []string, a slog.Attr) slog.Attr

	// Name is the logger name: "name: " before the message in the human
	// formats, a "logger" attribute in JSON and Text. Empty means none.
	Name string

	// Color says when the level of Console lines is coloured. The default
	// is ColorAuto. Other formats are never coloured.
	Color ColorMode

	// ErrorHandler, when not nil, is called with every error writing to
	// the destination (and flushing or syncing it), on the goroutine that
	// hit it, after the error is counted in Stats and with no lock held.
	// It may log, even through this same handler: an error that happens
	// while the ErrorHandler is running, on any goroutine, is counted in
	// Stats but not reported again, so that an ErrorHandler logging to a
	// destination that keeps failing does not recurse without end.
	ErrorHandler func(error)
}

// Handler writes records to one io.Writer, each as one line in one Write
// call. Build it with [New]. It implements [multi.Sink].
//
// Handlers derived with WithAttrs and WithGroup share their parent's
// destination: its lock, its counters and its shut-down state.
type Handler struct {
	core  *format.Handler
	s     *sink
	color bool
}

// New returns a Handler that writes to w. A nil opts means the defaults:
// the Console format at level INFO, the time as "15:04:05.000", colour when
// w is a terminal (see "Colour" in the package documentation).
//
// New panics if w is nil or opts.Format is not one of package format's
// formats: both are programming errors, reported at once rather than at the
// first record.
func New(w io.Writer, opts *Options) *Handler {
	if w == nil {
		panic("console.New: nil io.Writer")
	}
	if opts == nil {
		opts = &Options{}
	}
	f := opts.Format
	if f == format.Default {
		f = format.Console
	}
	color := f == format.Console &&
		useColor(opts.Color, func() bool { return isTerminal(w) }, os.Getenv)
	fo := &format.Options{
		Format:      f,
		Level:       opts.Level,
		AddSource:   opts.AddSource,
		ReplaceAttr: opts.ReplaceAttr,
		TimeFormat:  opts.TimeFormat,
		Name:        opts.Name,
		Color:       color,
	}
	if err := fo.Validate(); err != nil {
		panic(fmt.Sprintf("console.New: %v", err))
	}
	s := &sink{w: w, onError: opts.ErrorHandler}
	return &Handler{core: format.New(s, fo), s: s, color: color}
}

// Enabled reports whether l is at least the handler's level, before and
// after Shutdown alike.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.core.Enabled(ctx, l)
}

// Handle writes r as one line. It returns the write's error, which is also
// counted in Stats and given to the ErrorHandler. After Shutdown it writes
// r just the same (and flushes a writer that buffers): the console holds
// nothing to release, and a record logged while a program exits, after its
// deferred multi.Shutdown, is worth more on the terminal than as a counted
// drop.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	h.s.noteTime(r.Time)
	return h.core.Handle(ctx, r)
}

// EnabledCannotPanic reports whether Enabled never panics: the level is
// a slog.Level or a *slog.LevelVar. It implements multi.SafeEnabler.
func (h *Handler) EnabledCannotPanic() bool { return h.core.EnabledCannotPanic() }

// WithAttrs returns a Handler whose records carry attrs after those of h,
// writing to the same destination.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return h.derive(h.core.WithAttrs(attrs))
}

// WithGroup returns a Handler whose later attributes are qualified by the
// group name, writing to the same destination.
func (h *Handler) WithGroup(name string) slog.Handler {
	return h.derive(h.core.WithGroup(name))
}

func (h *Handler) derive(c slog.Handler) *Handler {
	core := c.(*format.Handler)
	if core == h.core {
		return h
	}
	return &Handler{core: core, s: h.s, color: h.color}
}

// Flush waits for a write in progress to finish and, if the writer buffers
// (it has a Flush() error method, as *bufio.Writer does), flushes it. Every
// record whose Handle returned before the call is then in the writer. It
// returns early with ctx's error if ctx ends first. It works after
// Shutdown as before it.
func (h *Handler) Flush(ctx context.Context) error {
	return h.s.flush(ctx)
}

// Shutdown waits for a write in progress (or for ctx to end), flushes the
// writer if it buffers and calls its Sync method if it has one (an error
// meaning that the descriptor cannot be synced, as for a terminal or a
// pipe, is not reported). It never closes the writer: os.Stdout and
// os.Stderr stay open for the rest of the program, and so does the
// handler: unlike the other sinks of this module, which refuse records
// after Shutdown with [multi.ErrClosed], the console keeps writing them,
// flushing a writer that buffers after each. If ctx ends while a write is
// stuck, Shutdown returns ctx's error without flushing or syncing. Only
// the first call does anything;
// a later call waits for it and returns nil, or returns an error wrapping
// its own ctx's error if that ends first.
func (h *Handler) Shutdown(ctx context.Context) error {
	return h.s.shutdown(ctx)
}

// Stats reports what the destination has done: records and bytes written,
// records dropped (a failed write), failed
// attempts, the time of the last write and the last error. LastWrite is
// the time of the newest record written, to the millisecond (a slog.Logger
// stamps a record when the log call is made), not a clock read per write.
// Queued, Retries, Spooled and Replayed are always 0: nothing is queued.
// With a writer that buffers, such as *bufio.Writer, a record counts as
// written when it is in the buffer; a failed Flush counts one failed
// attempt, since the writer does not say how many records it lost.
//
// Stats never waits behind a write in progress, which may be stuck in the
// kernel (a terminal paused with Ctrl-S, a pipe nobody reads). Written
// records are counted under the write lock and published every 64 records
// or millisecond of record time, and Stats takes the lock to add the rest;
// if a write holds the lock for more than a millisecond, Stats answers
// without the (at most 64) records written since the last publish.
func (h *Handler) Stats() multi.Stats {
	return h.s.snapshot()
}

// Healthy reports whether the last write succeeded (true before the first
// one). It turns false at a failed write, or a failed flush or sync of the
// writer, and true again at the next write that succeeds.
func (h *Handler) Healthy() bool {
	return h.s.stats.Healthy()
}

// Color reports whether the handler colours its lines: the decision New
// made from Options.Color, the writer and the environment.
func (h *Handler) Color() bool {
	return h.color
}

// BorrowsRecords marks the Handler as a [multi.RecordBorrower]: it reads
// each record only during Handle, so [multi.New] passes records without
// cloning them.
func (h *Handler) BorrowsRecords() {}

// Destination identifies the writer shared by the handler from New and
// those derived from it, so that [multi.Handler.Stats] counts it once (see
// [multi.Sharer]).
func (h *Handler) Destination() any { return h.s }

var (
	_ multi.Sink           = (*Handler)(nil)
	_ multi.RecordBorrower = (*Handler)(nil)
	_ multi.Sharer         = (*Handler)(nil)
)
