package file_test

import (
	"bufio"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/jinpy-utils/multi"
	"github.com/jinpy-utils/multi/file"
)

// A log rotating at 100 MiB, keeping two compressed backups; Rotate stands
// in for the 100 MiB here.
func Example() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	h, err := file.New(filepath.Join(dir, "logs", "app.log"), &file.Options{
		MaxSize:    100 << 20, // bytes: lumberjack's MaxSize: 100 (megabytes)
		MaxBackups: 2,
		Compress:   true,
		// Drop the time, so that the output below is always the same.
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey && len(groups) == 0 {
				return slog.Attr{}
			}
			return a
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	logger := slog.New(h)
	for i := range 7 {
		logger.Info("request", "n", i)
		if i%2 == 1 {
			h.Rotate() // two lines a file
		}
	}
	// At exit: write out the buffer, wait for compression, close the file.
	if err := multi.Shutdown(context.Background(), logger.Handler()); err != nil {
		fmt.Println(err)
	}

	for _, name := range []string{"app.log.2.gz", "app.log.1.gz", "app.log"} {
		f, err := os.Open(filepath.Join(dir, "logs", name))
		if err != nil {
			fmt.Println(err)
			return
		}
		var r io.Reader = f
		if strings.HasSuffix(name, ".gz") {
			if r, err = gzip.NewReader(f); err != nil {
				fmt.Println(err)
				return
			}
		}
		for sc := bufio.NewScanner(r); sc.Scan(); {
			fmt.Printf("%-12s %s\n", name, sc.Text())
		}
		f.Close()
	}
	// Output:
	// app.log.2.gz {"level":"INFO","msg":"request","n":2}
	// app.log.2.gz {"level":"INFO","msg":"request","n":3}
	// app.log.1.gz {"level":"INFO","msg":"request","n":4}
	// app.log.1.gz {"level":"INFO","msg":"request","n":5}
	// app.log      {"level":"INFO","msg":"request","n":6}
}

// Reopen the file when logrotate (or an operator) sends SIGHUP after moving
// it away.
func ExampleHandler_Reopen() {
	h, err := file.New("logs/app-{date}.log", &file.Options{MaxSize: 100 << 20, MaxBackups: 10, Compress: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer h.Shutdown(context.Background())
	slog.SetDefault(slog.New(h))

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for range hup {
			if err := h.Reopen(); err != nil {
				fmt.Fprintln(os.Stderr, err)
			}
		}
	}()

	slog.Info("writing to", "path", h.Path())
}

// A lumberjack setting, whose MaxSize counts megabytes and MaxAge days, is
// refused with the translation rather than read as 100 bytes and 28ns.
func ExampleNew_lumberjackUnits() {
	_, err := file.New(filepath.Join(os.TempDir(), "app.log"), &file.Options{MaxSize: 100, MaxAge: 28})
	fmt.Println(err)
	// Output:
	// file: option MaxSize is 100 bytes, below the minimum of 64 KiB: MaxSize counts bytes, not megabytes as in lumberjack; for 100 MB write MaxSize: 100 << 20
}
