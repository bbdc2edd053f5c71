package file_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jinpy-utils/multi/file"
)

// A log for a retention policy: a file an hour, compressed with zstd, at
// most 10 GiB on disk with its backups, a link that always names the live
// file, and each finished backup handed to an uploader. Rotate stands in
// for the end of the hour here.
func Example_rotateEvery() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	uploaded := make(chan string, 1)
	h, err := file.New(filepath.Join(dir, "app.log"), &file.Options{
		RotateEvery:  time.Hour, // backups app.log.2024-05-01T13-00Z.zst
		Compression:  file.Zstd,
		MaxTotalSize: 10 << 30,
		Link:         filepath.Join(dir, "current.log"),
		OnRotate:     func(path string) { uploaded <- path },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	slog.New(h).Info("hello")
	if err := h.Rotate(); err != nil {
		fmt.Println(err)
	}
	p := <-uploaded
	// Rotate within the hour numbers the hour's backups: .1 is the newer.
	fmt.Println(strings.HasPrefix(filepath.Base(p), "app.log.") && strings.HasSuffix(p, ".1.zst"))
	target, _ := os.Readlink(filepath.Join(dir, "current.log"))
	fmt.Println(target)
	if err := h.Shutdown(context.Background()); err != nil {
		fmt.Println(err)
	}
	// Output:
	// true
	// app.log
}
