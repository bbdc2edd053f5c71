package file

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readLink returns where link points, failing unless it is a symbolic
// link whose target reads as want.
func linkTo(t *testing.T, link, want string) {
	t.Helper()
	fi, err := os.Lstat(link)
	if err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Fatalf("Lstat(%s) = %v, %v: want a symbolic link", link, fi, err)
	}
	got, err := filepath.EvalSymlinks(link)
	if err != nil {
		t.Fatal(err)
	}
	if w, _ := filepath.EvalSymlinks(want); got != w {
		t.Fatalf("%s points to %s, want %s", link, got, w)
	}
}

// The link follows the live file from day to day, and is relative, so the
// directory can move.
func TestLinkFollowsTheLiveFile(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "app.current.log")
	clk := &clock{t: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
	o := &Options{Link: link}
	o.now = clk.Now
	h := open(t, filepath.Join(dir, "app-{date}.log"), o)
	linkTo(t, link, filepath.Join(dir, "app-2024-05-01.log"))
	if got, _ := os.Readlink(link); got != "app-2024-05-01.log" {
		t.Errorf("Readlink = %q, want a path relative to the link's directory", got)
	}
	write(t, h, "a")
	clk.Set(time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC))
	write(t, h, "b")
	linkTo(t, link, filepath.Join(dir, "app-2024-05-02.log"))
	shutdown(t, h)
	if got := content(t, link); got != lines("b") {
		t.Errorf("through the link: %q, want b", got)
	}
}

// Every rotation replaces the link by a rename of a new one: a link that
// was removed or replaced by another is made again, and no temporary name
// is left behind.
func TestLinkIsReplacedOnEveryRotation(t *testing.T) {
	dir := t.TempDir()
	link := filepath.Join(dir, "current")
	h := open(t, filepath.Join(dir, "app.log"), &Options{MaxSize: 1, Link: link})
	linkTo(t, link, filepath.Join(dir, "app.log"))
	before, _ := os.Lstat(link)
	if err := os.Remove(link); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("elsewhere", link); err != nil {
		t.Fatal(err)
	}
	write(t, h, "a", "b") // b rotates
	linkTo(t, link, filepath.Join(dir, "app.log"))
	after, _ := os.Lstat(link)
	if os.SameFile(before, after) {
		t.Error("the link was not replaced")
	}
	shutdown(t, h)
	// No temporary link is left: the directory holds the log, its backup
	// and the link (which reads as the live file).
	expect(t, dir, map[string][]string{"app.log.1": {"a"}, "app.log": {"b"}, "current": {"b"}})
}

func TestNewRefusesALinkThatIsNotALink(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "taken"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ link, want string }{
		{filepath.Join(dir, "taken"), "option Link " + filepath.Join(dir, "taken") + " is a regular file, not a symbolic link"},
		{dir, "is a directory, not a symbolic link"},
		{filepath.Join(dir, "app.log.1"), "bears the name of one of the log's own files"},
		{filepath.Join(dir, "app.log"), "is the log's own path: give the link another name, such as " + filepath.Join(dir, "app.current.log")},
	} {
		_, err := New(filepath.Join(dir, "app.log"), &Options{Link: c.link})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New(Link: %s) = %v, want an error with %q", c.link, err, c.want)
		}
	}
}
