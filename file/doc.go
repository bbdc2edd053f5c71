// Package file is a log/slog handler that writes one line per record to a
// file, rotating it by size, by date or on the clock, keeping backups,
// compressing them in the background and removing old ones.
//
//	h, err := file.New("logs/app-{date}.log", &file.Options{
//		MaxSize:     100 << 20, // rotate at 100 MiB
//		MaxBackups:  10,
//		Compression: file.Zstd,
//	})
//	if err != nil { ... }
//	defer h.Shutdown(context.Background())
//	logger := slog.New(h)
//
// Lines are encoded by package format (JSON by default, byte for byte what
// slog.JSONHandler writes; also Text, Plain, Structured, Console).
//
// # Defaults
//
// A nil *Options means: JSON, level INFO, no rotation, files created with
// mode 0600 (directories 0755, umask applies), existing files appended to,
// a 64 KiB buffer written out at least every second, no fsync.
//
// # Writing
//
// Handle encodes the record into a pooled buffer and appends it, under a
// mutex, to the file's own buffer: no system call and no allocation per
// record. The buffer is written to the file in one write when the next
// record does not fit (BufferSize), every FlushInterval (one background
// goroutine per file), on Flush, before a rotation, and on Shutdown. A
// record larger than the buffer is written straight through.
//
// A record at or above FlushLevel (ERROR by default) is written, with
// everything buffered before it, before Handle returns: the record that
// explains an exit reaches the file even if os.Exit or log.Fatal follows.
//
// # What survives a kill, and a crash of the machine
//
// The buffer is not ordinary memory: it is a memory-mapped side file,
// .NAME.buf next to the log (NAME with {date} unexpanded; BufferSize plus
// 64 bytes, its blocks allocated up front; removed by Shutdown). A record
// is copied into it before Handle returns, so it is in the kernel's page
// cache, which outlives the process:
//
//   - A kill of the process (SIGKILL, the OOM killer, a panic, os.Exit)
//     loses no record whose Handle returned. The next New on the same path
//     writes what the side file holds to the log, in order and after what
//     the log already holds, before it writes anything new. No line is
//     torn or written twice: a record counts in the side file only once it
//     is whole, and a write of the buffer the kill cut short is found in
//     the log and not repeated. Readers that tail the live log never see
//     the side file, nor padding or NUL bytes. Recovered records count in
//     the new handler's Stats.Written; into a {date} path they go to the
//     file of the day New runs. A kill cut short by a second kill during
//     recovery may write a record twice, never lose one.
//   - A crash of the machine (power, kernel panic) loses what the page
//     cache had not written to the disk: the side file is not synced, nor,
//     without Sync, the log. With Sync, every write of the buffer to the
//     log is followed by fsync, so a crash loses only the records still in
//     the buffer (at most FlushInterval's worth, at most BufferSize bytes)
//     and never one at or above FlushLevel.
//   - If the side file cannot be made (a full or read-only disk), the
//     buffer lives on the heap, which a kill loses; New says so once
//     (ErrorHandler, or standard error) and goes on.
//   - If the side file is cut short while the process runs (by another
//     process, or a copy-on-write file system such as btrfs or ZFS that
//     has no room for a page's new copy), a store into its mapping
//     faults. That fault never kills the process (SIGBUS): the handler
//     gives the side file up, counts the records it held as dropped, says
//     so once, and goes on with the buffer on the heap.
//
// Two processes must not write the same log: the second would take over
// the first one's side file.
//
// # Rotation and naming
//
// With MaxSize set, a record that would take the file past MaxSize goes to
// a fresh file: the live file NAME is renamed NAME.1, and the backups shift
// up (NAME.1 to NAME.2 and so on; NAME.N.gz or .zst when compressed), as the
// jinpy-utils Python logger and logrotate do. A record is never split
// across two files; a record larger than MaxSize is written whole, alone
// in its file. Rotate rotates on demand.
//
// A {date} placeholder in the file name (logs/app-{date}.log) is replaced
// by the date, YYYY-MM-DD, in UTC or, with LocalTime, in local time. When
// the day changes, the first record of the new day, or the flush goroutine
// within FlushInterval, starts that day's file. A record goes to the file
// of the day it was handed to Handle (not of its own time).
// Size rotation within a day numbers that day's backups
// (app-2024-05-01.log.1). Earlier days' files are backups too.
//
// RotateEvery rotates on an interval aligned to the clock, counted from
// midnight: time.Hour at every full hour, 15*time.Minute at :00, :15, :30
// and :45, 24*time.Hour at midnight; RotateAt at fixed times of day
// ([]time.Duration{6 * time.Hour} for 06:00). The clock is UTC, or the
// local time zone with LocalTime. The live file keeps its name; when a
// period ends, the first record of the next one, or the flush goroutine
// within FlushInterval, renames it NAME.STAMP, STAMP being the time the
// period began on that clock with its offset from UTC, layout
// 2006-01-02T15-04Z0700: app.log.2024-05-01T13-00Z in UTC,
// app.log.2024-10-27T02-00+0200 in Berlin's summer time. A period with no
// record leaves no file. Size rotation within a period numbers the
// period's earlier files NAME.STAMP.1 (the newer), NAME.STAMP.2 …; NAME.N
// stays the naming of rotation by size alone. Periods follow the wall
// clock across daylight saving time: on the night the clocks go back, a
// time of day that comes twice starts a period the first time only (with
// hourly rotation in Berlin, 02:00 CEST to 03:00 CET is one period of two
// hours, named 02-00+0200); on the night they go forward, a skipped start
// starts no period (02:00 becomes 03:00). A live file left by an earlier run belongs to the period of its
// last write. {date} and RotateEvery/RotateAt are two ways to say the
// same thing and are refused together.
//
// MaxBackups counts backups, newest first (a later date or period, then a
// lower number), and removes the rest; MaxAge removes backups last modified
// longer ago. Both apply when the file rotates and when it is opened, and
// MaxAge also in a background sweep every MaxAge/10 (between a minute and
// an hour), so that a quiet file does not keep old backups forever.
// MaxTotalSize caps the bytes on disk of the live file and its backups
// together, a backup counted at its compressed size once compressed: the
// oldest backups are removed first, until the rest fit. It applies when
// the file rotates, after each compression, when the file is opened and
// closed, and every minute (the live file grows between rotations). The
// live file itself is never cut and a record is never refused to make
// room: a live file above the cap on its own leaves no backup, so between
// two sweeps the total may pass the cap by what the live file grew.
// Only files named exactly like our backups are ever renamed or removed
// (NAME.N, NAME.N.gz and NAME.N.zst with N a plain decimal, for {date}, NAME with a
// valid date, and with RotateEvery or RotateAt, NAME.STAMP and
// NAME.STAMP.N with a STAMP exactly as we write it): anything else in the
// directory is left alone.
//
// With Link, a symbolic link at that path points to the live file, made
// when the file is opened and replaced on every rotation by a new link
// made under a temporary name (.LINK.link.tmp) and renamed over it: a
// reader of the link always finds one, pointing at the live file (for
// {date}, today's). The target is relative to the link's directory.
//
// # Compression
//
// With Compression, rotated files are compressed by one background
// goroutine per file (the mill), never on the logging path: Gzip writes
// NAME.N.gz (the standard library's gzip, default level), Zstd writes
// NAME.N.zst (klauspost/compress's zstd, default level, one frame with a
// checksum, on the mill's goroutine alone), about gzip's size and several
// times faster to write and to read; both pass gzip -t and zstd -t. Compress: true, the
// earlier spelling, is Compression: Gzip. Archives of either kind are
// backups of ours, so a change of Compression goes on counting, shifting
// and removing the old ones. An archive is written to a hidden temporary
// file (.NAME.N.<random>.gz.tmp or .zst.tmp), synced, and renamed to its
// final name only when complete, so a crash never leaves a truncated
// archive under the final name; leftovers of a crash are cleaned up the
// next time the file is opened. A backup shifted up while it was being
// compressed gets its archive under its new name. Shutdown waits for
// compression in flight, until its context ends.
//
// # After rotation: OnRotate
//
// OnRotate is called with the path of each finished backup, once it is
// compressed (without Compression, once rotated), to upload or archive
// it. It runs on a goroutine of its own, one call at a time: Handle, the
// rotation and the mill only append to its queue (1024 backups at most;
// more are reported and not handed to it), so a slow hook delays only the
// next calls of the hook. A panic is recovered and reported to
// ErrorHandler; a call still running after a minute is reported once.
// Shutdown waits for the calls queued until its context ends, then
// returns an error that says how many backups the hook did not get. A
// numbered backup (NAME.1) is renamed by the next rotation; clock
// backups (NAME.STAMP) keep their name.
//
// # Sharing a path
//
// Handlers opened with New on the same path in one process (whatever the
// spelling of the path) share one writer: one buffer, one lock, one file
// descriptor, one rotation. The last Shutdown closes it. They must agree on
// the file options (MaxSize, MaxBackups, MaxTotalSize, MaxAge,
// Compression, LocalTime, RotateEvery, RotateAt, Mode, BufferSize,
// FlushInterval, Sync); New returns an error otherwise.
// Two processes must not write the same file.
//
// # Coming from lumberjack or timberjack
//
// gopkg.in/natefinch/lumberjack.v2 and github.com/DeRuina/timberjack count
// MaxSize in megabytes and MaxAge in days; here MaxSize (and
// MaxTotalSize) is bytes and MaxAge a time.Duration. New refuses a
// MaxSize below 64 KiB or a MaxAge below a minute, with the translation,
// so that a lumberjack number is never read in the wrong unit.
//
//	lumberjack / timberjack           file
//	Filename: "app.log"               file.New("app.log", ...)
//	MaxSize: 100                      MaxSize: 100 << 20
//	MaxAge: 28                        MaxAge: 28 * 24 * time.Hour
//	MaxBackups: 3                     MaxBackups: 3
//	Compress: true                    Compression: file.Gzip (Compress: true still works)
//	Compression: "zstd" (timberjack)  Compression: file.Zstd
//	LocalTime: true                   LocalTime: true (the {date}, RotateEvery, RotateAt)
//	RotationInterval: 24 * time.Hour  RotateEvery: 24 * time.Hour (at midnight, not
//	                                  24h after the last rotation)
//	RotateAtMinutes: []int{0, 30}     RotateEvery: 30 * time.Minute
//	RotateAt: []string{"06:00"}       RotateAt: []time.Duration{6 * time.Hour}
//	BackupTimeFormat                  none: NAME.STAMP, STAMP 2006-01-02T15-04Z0700,
//	                                  the period's start (lumberjack: NAME-TIME.ext)
//	(none)                            MaxTotalSize, Link, OnRotate
//	Rotate()                          Rotate(); Reopen() for logrotate
//	Close()                           Shutdown(ctx), which waits for compression
//
// Unlike lumberjack, a rotation never splits a record, the mill never
// compresses the live file, size backups are numbered (NAME.1 is the
// newest), clock backups are named by the start of their period rather
// than the moment of the rotation, and records reach the file in one write
// per buffer, not one per record.
//
// # Faults
//
// The application never blocks on a broken disk and Handle never panics.
// When a write fails (disk full, I/O error), the error goes to Stats and
// to ErrorHandler, or without one to standard error, at most a line every
// few seconds ("file: write logs/app.log: no space left on device"),
// Healthy turns false, and the records stay in the buffer; the file is cut
// back to its last whole line if the write stopped part way. While the
// file cannot be written, the logging path makes no system call: the flush
// goroutine retries every FlushInterval. During the outage at most
// BufferSize bytes of records (the oldest ones) are held; later records are
// dropped, counted in Stats.Dropped, and Handle returns an error for them.
// When a write succeeds again the held records are written, in order, and
// Healthy turns true.
//
// Before each write of the buffer the handler checks that the path still
// names its file. A file moved away or removed (logrotate without
// copytruncate) is reopened, creating a new file; a removed directory is
// recreated, and that is reported as an error, since the records in it
// are gone. Reopen does the same at once, for SIGHUP. A rotation that fails
// (a read-only directory) is reported, Healthy is false, records keep going
// to the live file, and rotation is tried again after FlushInterval.
//
// # Stats
//
// Stats.Written and Bytes count records and bytes written to the file,
// Queued the records in the buffer, Dropped the records lost (after
// Shutdown, the first of them reported; or while the file could not be
// written), Failed the failed
// writes. Handlers sharing a path report the same counters.
package file
