package file

import (
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"slices"
	"time"
)

// Defaults applied when an Options field is zero.
const (
	DefaultMode          os.FileMode   = 0o600
	DefaultBufferSize                  = 64 << 10
	DefaultFlushInterval time.Duration = time.Second
	DefaultFlushLevel                  = slog.LevelError
)

// The smallest MaxSize and MaxAge other than 0. They are far below any
// sensible setting and far above the numbers lumberjack users write, whose
// MaxSize counts megabytes and MaxAge days: MaxSize: 100 would otherwise
// rotate at 100 bytes, and MaxAge: 28 remove every backup older than 28ns.
const (
	MinMaxSize int64         = 64 << 10
	MinMaxAge  time.Duration = time.Minute
)

// Compression is how rotated files are compressed; see
// [Options.Compression].
type Compression string

const (
	// Gzip writes NAME.N.gz, which gzip, zcat, zgrep and every log tool
	// read.
	Gzip Compression = "gzip"
	// Zstd writes NAME.N.zst (one zstd frame, with a checksum): about
	// gzip's size and several times faster (on 11 MB of JSON lines, zstd
	// -3 and gzip -6 left 10.4% and 9.9% of it, zstd in a quarter of the
	// time); zstd -d, zstdcat and zstdgrep read it.
	Zstd Compression = "zstd"
)

// ext is the extension of an archive, "" for no compression.
func (c Compression) ext() string {
	switch c {
	case Gzip:
		return gzExt
	case Zstd:
		return zstExt
	}
	return ""
}

// Options configure a file handler. A nil *Options means all defaults: JSON
// lines at level INFO, no rotation, new files with mode 0600, a 64 KiB
// buffer flushed at least once a second.
type Options struct {
	// Level is the minimum level written; nil means slog.LevelInfo.
	Level slog.Leveler
	// Format is the line format; the zero value is JSON.
	Format Format
	// AddSource adds the caller's file and line to every record.
	AddSource bool
	// ReplaceAttr rewrites or drops attributes, as in slog.HandlerOptions.
	ReplaceAttr func(groups []string, a slog.Attr) slog.Attr
	// TimeFormat is a time layout; "" means the format's default.
	TimeFormat string
	// Name is the logger name written by the formats that have one.
	Name string

	// MaxSize is the size in bytes at which the file is rotated: a record
	// that would take the file past MaxSize goes to a fresh file instead.
	// 0 means no rotation by size; otherwise it is at least [MinMaxSize]
	// (64 KiB), so that lumberjack's MaxSize: 100 (megabytes) is refused
	// rather than read as 100 bytes: write 100 << 20. A single record
	// larger than MaxSize is written whole, alone in its file.
	MaxSize int64
	// MaxBackups is how many rotated files are kept; older ones are
	// removed. 0 keeps them all (MaxAge may still remove them).
	MaxBackups int
	// MaxTotalSize caps the bytes on disk of the live file and its
	// backups together, each backup counted at its size on disk
	// (compressed, with Compress): the oldest backups are removed first,
	// until the rest fit. The live file is never cut, nor a record refused
	// to make room: a live file alone above the cap leaves no backup. It
	// applies when the file rotates, once a backup is compressed, when the
	// file is opened, and every minute. 0 means no cap; otherwise it is at
	// least [MinMaxSize] and MaxSize, in bytes as MaxSize is: for 1 GiB
	// write 1 << 30.
	MaxTotalSize int64
	// MaxAge removes rotated files last written more than MaxAge ago:
	// when the file rotates, when it is opened, and in a sweep every
	// MaxAge/10 (at least a minute, at most an hour apart), so a file that
	// stops rotating still loses its old backups. 0 keeps them regardless
	// of age; otherwise it is at least [MinMaxAge] (a minute), so that
	// lumberjack's MaxAge: 28 (days) is refused rather than read as 28ns:
	// write 28 * 24 * time.Hour.
	MaxAge time.Duration
	// Compression compresses rotated files in the background, with
	// [Gzip] (NAME.1.gz) or [Zstd] (NAME.1.zst); "" (or "none") keeps
	// them as they are.
	Compression Compression
	// Compress is the earlier spelling of Compression: Gzip, kept so that
	// Compress: true goes on working. With Compression set it must be
	// false or agree (Gzip).
	Compress bool
	// LocalTime makes {date} in the path, RotateEvery and RotateAt follow
	// the local time zone rather than UTC.
	LocalTime bool

	// RotateEvery rotates the file on an interval aligned to the clock,
	// counted from midnight (UTC, or local time with LocalTime): time.Hour
	// rotates at every full hour, 15*time.Minute at :00, :15, :30 and :45,
	// 24*time.Hour at midnight. It must be whole minutes and divide a day.
	// Each backup is named by the time its period began (NAME.STAMP, see
	// the package doc). 0 means no rotation on the clock. A path with
	// {date} rotates daily already and takes neither RotateEvery nor
	// RotateAt.
	RotateEvery time.Duration
	// RotateAt rotates the file at fixed times of day, each written as the
	// time since midnight on the clock (UTC, or local time with
	// LocalTime): []time.Duration{0, 12 * time.Hour} rotates at midnight
	// and noon. Whole minutes, below 24h, no time twice; not together with
	// RotateEvery. Backups are named as with RotateEvery.
	RotateAt []time.Duration
	// Link, if set, is the path of a symbolic link to the live file, made
	// when the file is opened and replaced on every rotation atomically
	// (made under a temporary name, then renamed over the old link), so
	// that a reader of Link always finds a link, never none. It points
	// relative to its own directory when it can. It must not be the log's
	// path, nor name anything but a symbolic link already; "" means none.
	Link string
	// Mode is the permission of files this handler creates; 0 means 0600.
	// The process umask applies. Existing files keep their mode.
	Mode os.FileMode

	// BufferSize is how many bytes of records are held before they are
	// written out in one system call; 0 means 64 KiB. It is also the most
	// that is held while the file cannot be written. The buffer is a
	// memory-mapped side file that survives a kill of the process (see
	// the package doc).
	BufferSize int
	// FlushInterval is the longest a record waits in memory before it is
	// written to the file; 0 means one second.
	FlushInterval time.Duration
	// FlushLevel is the level from which a record is written to the file
	// before Handle returns, with the records buffered before it, instead
	// of waiting for the buffer to fill or FlushInterval: nil means ERROR
	// ([DefaultFlushLevel]). So the record that explains an exit reaches
	// the file (the kernel's page cache, which survives the process) even
	// when os.Exit or log.Fatal follows at once. It costs one write(2) per
	// such record; with Sync, an fsync as well.
	FlushLevel slog.Leveler
	// Sync calls fsync after every write of the buffer, so that written
	// records survive a crash of the machine; without it they survive a
	// kill of the process (see the package doc).
	Sync bool

	// OnRotate, if set, is called with the path of each finished backup
	// (the directory as the path was given), once it is compressed with
	// Compression, or once rotated without: to upload or archive it. It
	// runs on a goroutine of its own, one call at a time (when several
	// backups wait for compression, the newest is done first), and never
	// blocks Handle or a rotation. A panic in it, or a call still
	// running after a minute, is reported to ErrorHandler; later backups
	// wait for it (up to 1024; more are reported and not handed to it).
	// Numbered backups (NAME.1) are renamed by the next rotation: open the
	// file at once, or rotate with RotateEvery, whose names never change.
	// Shutdown waits for the calls queued, until its context ends.
	OnRotate func(path string)

	// ErrorHandler is told about every runtime error: failed writes,
	// failed rotations and compressions, records dropped, the first record
	// refused after Shutdown. It is called as the module's one contract
	// says (see "Errors" in package multi): with no lock held, never twice
	// at once, and it may log through this handler. It must not call
	// Shutdown. Nil means standard error, at most a line every few
	// seconds; a function that does nothing silences them.
	ErrorHandler func(error)

	// now replaces time.Now and zone replaces time.Local in tests;
	// pruneEvery replaces the interval of the MaxAge sweep.
	now        func() time.Time
	zone       *time.Location
	pruneEvery time.Duration
	// tiny lifts MinMaxSize and MinMaxAge, for tests that rotate at a few
	// bytes.
	tiny       bool
	hookSlow   time.Duration // replaces the minute after which OnRotate is slow
	heapBuffer bool          // benchmarks: the buffer on the heap, as before the side file
}

const day = 24 * time.Hour

// config is the part of Options that belongs to the shared writer of a path.
// Two handlers on one path must agree on it.
type config struct {
	maxSize       int64
	maxBackups    int
	maxTotalSize  int64
	maxAge        time.Duration
	compress      bool
	compression   Compression // "", Gzip or Zstd
	localTime     bool
	link          string
	rotateEvery   time.Duration
	rotateAt      []time.Duration // sorted
	slots         []time.Duration // the times of day a period starts, sorted; nil: no clock rotation
	mode          os.FileMode
	bufferSize    int
	flushInterval time.Duration
	sync          bool
	now           func() time.Time
	loc           *time.Location // of {date}
	pruneEvery    time.Duration  // how often the mill sweeps for MaxAge; 0 = never
	heapBuffer    bool
	onRotate      func(string)
	hookSlow      time.Duration
}

func (o *Options) config() (config, error) {
	c := config{
		maxSize:       o.MaxSize,
		maxBackups:    o.MaxBackups,
		maxTotalSize:  o.MaxTotalSize,
		maxAge:        o.MaxAge,
		compress:      o.Compress || (o.Compression != "" && o.Compression != "none"),
		compression:   o.Compression,
		localTime:     o.LocalTime,
		link:          o.Link,
		rotateEvery:   o.RotateEvery,
		rotateAt:      slices.Sorted(slices.Values(o.RotateAt)),
		mode:          o.Mode,
		bufferSize:    o.BufferSize,
		flushInterval: o.FlushInterval,
		sync:          o.Sync,
		now:           o.now,
		pruneEvery:    o.pruneEvery,
		heapBuffer:    o.heapBuffer,
		onRotate:      o.OnRotate,
		hookSlow:      o.hookSlow,
	}
	switch {
	case c.maxSize < 0:
		return c, fmt.Errorf("file: option MaxSize is %d: must be 0 (no size rotation) or more", c.maxSize)
	case c.maxBackups < 0:
		return c, fmt.Errorf("file: option MaxBackups is %d: must be 0 (keep all) or more", c.maxBackups)
	case c.maxTotalSize < 0:
		return c, fmt.Errorf("file: option MaxTotalSize is %d: must be 0 (no cap) or more", c.maxTotalSize)
	case !o.tiny && c.maxTotalSize > 0 && c.maxTotalSize < MinMaxSize:
		return c, fmt.Errorf("file: option MaxTotalSize is %d bytes, below the minimum of 64 KiB: MaxTotalSize counts bytes; for %d MB write MaxTotalSize: %d << 20", c.maxTotalSize, c.maxTotalSize, c.maxTotalSize)
	case c.maxTotalSize > 0 && c.maxTotalSize < c.maxSize:
		return c, fmt.Errorf("file: option MaxTotalSize is %d, below MaxSize %d: the live file alone may reach MaxSize; write a MaxTotalSize of at least MaxSize, such as %d", c.maxTotalSize, c.maxSize, 10*c.maxSize)
	case c.maxAge < 0:
		return c, fmt.Errorf("file: option MaxAge is %v: must be 0 (no age limit) or more", c.maxAge)
	case !o.tiny && c.maxSize > 0 && c.maxSize < MinMaxSize:
		return c, fmt.Errorf("file: option MaxSize is %d bytes, below the minimum of 64 KiB: MaxSize counts bytes, not megabytes as in lumberjack; for %d MB write MaxSize: %d << 20", c.maxSize, c.maxSize, c.maxSize)
	case !o.tiny && c.maxAge > 0 && c.maxAge < MinMaxAge:
		return c, fmt.Errorf("file: option MaxAge is %v, below the minimum of 1m: MaxAge is a time.Duration, not days as in lumberjack; for %d days write MaxAge: %d * 24 * time.Hour", c.maxAge, int64(c.maxAge), int64(c.maxAge))
	case c.rotateEvery < 0:
		return c, fmt.Errorf("file: option RotateEvery is %v: must be 0 (no clock rotation) or more", c.rotateEvery)
	case c.rotateEvery > 0 && (c.rotateEvery%time.Minute != 0 || day%c.rotateEvery != 0):
		return c, fmt.Errorf("file: option RotateEvery is %v: must be whole minutes that divide a day, such as 15 * time.Minute, time.Hour or 24 * time.Hour; for other times of day write RotateAt", c.rotateEvery)
	case c.rotateEvery > 0 && len(c.rotateAt) > 0:
		return c, fmt.Errorf("file: options RotateEvery and RotateAt are both set: write one of them (RotateAt: []time.Duration{0} is RotateEvery: 24 * time.Hour)")
	case c.compression != "" && c.compression != "none" && c.compression != Gzip && c.compression != Zstd:
		return c, fmt.Errorf("file: option Compression is %q: write %q, %q or \"\" (none)", c.compression, Gzip, Zstd)
	case o.Compress && c.compression != "" && c.compression != Gzip:
		return c, fmt.Errorf("file: options Compress (gzip) and Compression %q disagree: write Compression alone, and leave Compress out", c.compression)
	case c.bufferSize < 0:
		return c, fmt.Errorf("file: option BufferSize is %d: must be 0 (default %d) or more", c.bufferSize, DefaultBufferSize)
	case c.flushInterval < 0:
		return c, fmt.Errorf("file: option FlushInterval is %v: must be 0 (default %v) or more", c.flushInterval, DefaultFlushInterval)
	case c.mode&^os.ModePerm != 0:
		return c, fmt.Errorf("file: option Mode is %v: only permission bits are allowed", c.mode)
	}
	for i, a := range c.rotateAt {
		switch {
		case a < 0 || a >= day || a%time.Minute != 0:
			return c, fmt.Errorf("file: option RotateAt holds %v: each time of day must be whole minutes from 0 to 23h59m, such as 3*time.Hour + 30*time.Minute for 03:30", a)
		case i > 0 && a == c.rotateAt[i-1]:
			return c, fmt.Errorf("file: option RotateAt holds %v twice: write each time of day once", a)
		}
	}
	c.slots = c.rotateAt
	if c.rotateEvery > 0 {
		for a := time.Duration(0); a < day; a += c.rotateEvery {
			c.slots = append(c.slots, a)
		}
	}
	if len(c.slots) == 0 {
		c.rotateAt, c.slots = nil, nil
	}
	switch {
	case c.compression == "none":
		c.compression = ""
	case o.Compress:
		c.compression = Gzip
	}
	if c.mode == 0 {
		c.mode = DefaultMode
	}
	if c.bufferSize == 0 {
		c.bufferSize = DefaultBufferSize
	}
	if c.flushInterval == 0 {
		c.flushInterval = DefaultFlushInterval
	}
	if c.now == nil {
		c.now = time.Now
	}
	c.loc = time.UTC
	if c.localTime {
		c.loc = time.Local
		if o.zone != nil {
			c.loc = o.zone
		}
	}
	return c, nil
}

// conflict names the first setting in which c and o differ, for the error
// returned when a second handler opens a path with other settings.
func (c config) conflict(o config) string {
	switch {
	case c.maxSize != o.maxSize:
		return fmt.Sprintf("MaxSize %d, not %d", c.maxSize, o.maxSize)
	case c.maxBackups != o.maxBackups:
		return fmt.Sprintf("MaxBackups %d, not %d", c.maxBackups, o.maxBackups)
	case c.maxTotalSize != o.maxTotalSize:
		return fmt.Sprintf("MaxTotalSize %d, not %d", c.maxTotalSize, o.maxTotalSize)
	case c.maxAge != o.maxAge:
		return fmt.Sprintf("MaxAge %v, not %v", c.maxAge, o.maxAge)
	case c.compression != o.compression:
		return fmt.Sprintf("Compression %q, not %q", c.compression, o.compression)
	case c.localTime != o.localTime:
		return fmt.Sprintf("LocalTime %v, not %v", c.localTime, o.localTime)
	case c.link != o.link:
		return fmt.Sprintf("Link %q, not %q", c.link, o.link)
	case c.rotateEvery != o.rotateEvery:
		return fmt.Sprintf("RotateEvery %v, not %v", c.rotateEvery, o.rotateEvery)
	case !slices.Equal(c.rotateAt, o.rotateAt):
		return fmt.Sprintf("RotateAt %v, not %v", c.rotateAt, o.rotateAt)
	case c.mode != o.mode:
		return fmt.Sprintf("Mode %v, not %v", c.mode, o.mode)
	case c.bufferSize != o.bufferSize:
		return fmt.Sprintf("BufferSize %d, not %d", c.bufferSize, o.bufferSize)
	case c.flushInterval != o.flushInterval:
		return fmt.Sprintf("FlushInterval %v, not %v", c.flushInterval, o.flushInterval)
	case (c.onRotate == nil) != (o.onRotate == nil) || (c.onRotate != nil && reflect.ValueOf(c.onRotate).Pointer() != reflect.ValueOf(o.onRotate).Pointer()):
		return "another OnRotate"
	case c.sync != o.sync:
		return fmt.Sprintf("Sync %v, not %v", c.sync, o.sync)
	}
	return ""
}
