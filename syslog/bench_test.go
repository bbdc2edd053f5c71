package syslog

import (
	"context"
	"github.com/jinpy-utils/multi/delivery"
	"io"
	"log/slog"
	stdsyslog "log/syslog"
	"net"
	"testing"

	"github.com/jinpy-utils/multi/buffer"
)

func BenchmarkHandle(b *testing.B) {
	for _, format := range []Format{RFC5424, RFC3164} {
		b.Run(format.String(), func(b *testing.B) {
			u := newUDPReceiver(b)
			go func() { // a receiver that keeps up, as far as UDP lets it
				buf := make([]byte, 64<<10)
				for {
					if _, _, err := u.c.ReadFrom(buf); err != nil {
						return
					}
				}
			}()
			h, err := New(u.addr(), &Options{Format: format, Queue: delivery.Queue{OnFull: buffer.DropOldest}, ErrorHandler: func(error) {}})
			if err != nil {
				b.Fatal(err)
			}
			defer h.Shutdown(context.Background()) //nolint:errcheck
			l := slog.New(h).With("service", "api")
			ctx := context.Background()
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				logOne(l, ctx, i)
			}
		})
	}
}

// BenchmarkSlogJSONDiscard is the baseline: the standard library's JSON
// handler writing the same record to io.Discard.
func BenchmarkSlogJSONDiscard(b *testing.B) {
	l := slog.New(slog.NewJSONHandler(io.Discard, nil)).With("service", "api")
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		logOne(l, ctx, i)
	}
}

func BenchmarkEncode(b *testing.B) {
	h := testHandler(b, "tcp://127.0.0.1:1", nil)
	r := slog.NewRecord(testTime, slog.LevelInfo, "request served", 0)
	r.AddAttrs(slog.Int("i", 1), slog.String("path", `/a"b]`), slog.Bool("ok", true))
	b.ReportAllocs()
	for b.Loop() {
		e := newEncoder(h.s.c)
		h.encode(e, r)
		e.free()
	}
}

func logOne(l *slog.Logger, ctx context.Context, i int) {
	l.LogAttrs(ctx, slog.LevelInfo, "request served", slog.Int("i", i), slog.String("path", `/a"b]`), slog.Bool("ok", true))
}

// BenchmarkHandleTCP is the caller's cost with a TCP receiver that keeps
// up: batches go out in 64 KiB writes.
func BenchmarkHandleTCP(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, c) //nolint:errcheck
		}
	}()
	h, err := New("tcp://"+ln.Addr().String(), &Options{ErrorHandler: func(error) {}})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Shutdown(context.Background()) //nolint:errcheck
	l := slog.New(h).With("service", "api")
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		logOne(l, ctx, i)
	}
}

// BenchmarkStdlibSyslogUDP is what a program gets from the standard
// library: slog.TextHandler over log/syslog's Writer, which writes each
// record on the caller's goroutine, its attributes flattened into the
// message. Compare with BenchmarkHandle/rfc5424.
func BenchmarkStdlibSyslogUDP(b *testing.B) {
	u := newUDPReceiver(b)
	go func() {
		buf := make([]byte, 64<<10)
		for {
			if _, _, err := u.c.ReadFrom(buf); err != nil {
				return
			}
		}
	}()
	w, err := stdsyslog.Dial("udp", u.c.LocalAddr().String(), stdsyslog.LOG_INFO|stdsyslog.LOG_USER, "app")
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	l := slog.New(slog.NewTextHandler(w, nil)).With("service", "api")
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		logOne(l, ctx, i)
	}
}
