package file

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// datePlaceholder in a file name is replaced by the current date.
const (
	datePlaceholder = "{date}"
	dateLayout      = "2006-01-02"
	// stampLayout names a clock period's backups: the local (or UTC)
	// time the period began and its offset, Z for UTC.
	stampLayout = "2006-01-02T15-04Z0700"
	gzExt       = ".gz"
	zstExt      = ".zst"
	tmpExt      = ".tmp"
)

// naming knows the names of a log's files: the live file, its numbered
// backups NAME.1, NAME.2 …, their compressed forms NAME.N.gz, for a path
// with {date}, the files of earlier days, and with clock rotation, the
// backups of earlier periods, NAME.STAMP and NAME.STAMP.N. It recognises
// nothing else: a file in the directory that does not parse is never
// touched.
type naming struct {
	dir     string // absolute
	prefix  string // base name before {date}, or the whole base name
	suffix  string // base name after {date}
	hasDate bool
	stamped bool // clock rotation: backups NAME.STAMP
}

func newNaming(abs string) (naming, error) {
	dir, base := filepath.Split(abs)
	if strings.Contains(dir, datePlaceholder) {
		return naming{}, fmt.Errorf("file: path %s: %s is allowed in the file name only, not in a directory", abs, datePlaceholder)
	}
	n := naming{dir: filepath.Clean(dir), prefix: base}
	if i := strings.Index(base, datePlaceholder); i >= 0 {
		n.prefix, n.suffix, n.hasDate = base[:i], base[i+len(datePlaceholder):], true
		if strings.Contains(n.suffix, datePlaceholder) {
			return naming{}, fmt.Errorf("file: path %s: %s may appear once", abs, datePlaceholder)
		}
	}
	if base == "" || base == "." || base == ".." {
		return naming{}, fmt.Errorf("file: path %s names no file", abs)
	}
	return n, nil
}

// base returns the base name of a date's live file, or of a clock
// period's latest backup (NAME.STAMP); "" is the live file without
// {date}.
func (n naming) base(date string) string {
	switch {
	case n.hasDate:
		return n.prefix + date + n.suffix
	case date != "":
		return n.prefix + "." + date
	}
	return n.prefix
}

// live returns the live file's absolute path for a date.
func (n naming) live(date string) string { return filepath.Join(n.dir, n.base(date)) }

// date formats t as the {date} of the file it belongs to.
func (n naming) date(t time.Time) string {
	if !n.hasDate {
		return ""
	}
	return t.Format(dateLayout)
}

// backup is one of our files found in the directory.
type backup struct {
	name  string // base name
	date  string // the {date} or the period's STAMP; "" for neither
	order string // date, or STAMP's time in UTC: sorts as time does
	index int    // 0 for a day's or period's main file, N for NAME.N
	gz    bool   // compressed, with ext
	ext   string // "", gzExt or zstExt
}

// archiveExts are the extensions of compressed backups, whichever
// Compression made them: a change of Compression prunes the old archives
// too.
var archiveExts = [...]string{gzExt, zstExt}

// newer orders backups newest first: later date or period, then lower
// index.
func (b backup) newer(o backup) bool {
	if b.order != o.order {
		return b.order > o.order
	}
	return b.index < o.index
}

// isLive reports whether b is the live file without {date}.
func (n naming) isLive(b backup) bool { return !n.hasDate && b.date == "" && b.index == 0 }

// parse recognises one of our file names. It accepts exactly
// BASE, BASE.N, BASE.gz and BASE.N.gz (or .zst), where N is a decimal
// without leading zeros and, with {date}, BASE holds a valid YYYY-MM-DD
// date.
func (n naming) parse(name string) (backup, bool) {
	b := backup{name: name}
	rest := name
	for _, ext := range archiveExts {
		if strings.HasSuffix(rest, ext) {
			rest, b.gz, b.ext = rest[:len(rest)-len(ext)], true, ext
			break
		}
	}
	if date, ok := n.parseBase(rest); ok {
		// The live file's BASE.gz is no name of ours: only earlier days'
		// and periods' main files are compressed whole.
		b.date, b.order = date, n.order(date)
		return b, !n.isLive(b) || !b.gz
	}
	i := strings.LastIndexByte(rest, '.')
	if i < 0 {
		return b, false
	}
	idx, ok := parseIndex(rest[i+1:])
	if !ok {
		return b, false
	}
	date, ok := n.parseBase(rest[:i])
	if !ok {
		return b, false
	}
	b.date, b.order, b.index = date, n.order(date), idx
	return b, true
}

// order is the sort key of a date or STAMP.
func (n naming) order(date string) string {
	if !n.stamped || date == "" {
		return date
	}
	t, _ := time.Parse(stampLayout, date)
	return t.UTC().Format("2006-01-02T15:04")
}

func (n naming) parseBase(s string) (string, bool) {
	if n.stamped {
		if s == n.prefix {
			return "", true
		}
		stamp, ok := strings.CutPrefix(s, n.prefix+".")
		if !ok {
			return "", false
		}
		// Exactly as we write it: Z, never +0000.
		if t, err := time.Parse(stampLayout, stamp); err != nil || t.Format(stampLayout) != stamp {
			return "", false
		}
		return stamp, true
	}
	if !n.hasDate {
		return "", s == n.prefix
	}
	if len(s) != len(n.prefix)+len(dateLayout)+len(n.suffix) || !strings.HasPrefix(s, n.prefix) || !strings.HasSuffix(s, n.suffix) {
		return "", false
	}
	date := s[len(n.prefix) : len(n.prefix)+len(dateLayout)]
	if _, err := time.Parse(dateLayout, date); err != nil {
		return "", false
	}
	return date, true
}

// parseIndex accepts 1, 2, … 999999999 written without sign or leading zeros.
func parseIndex(s string) (int, bool) {
	if s == "" || len(s) > 9 || s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, _ := strconv.Atoi(s)
	return n, true
}

// tmpPattern is the os.CreateTemp pattern for the archive (extension ext)
// of a backup: hidden, and not ending in ext, so that nobody picks it up
// half written.
func tmpPattern(src, ext string) string { return "." + src + ".*" + ext + tmpExt }

// isTemp recognises an archive left half written by a crash:
// "." + the name of a backup we compress + "." + digits + ".gz.tmp" (or
// ".zst.tmp").
func (n naming) isTemp(name string) bool {
	if !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, tmpExt) {
		return false
	}
	rest := name[1 : len(name)-len(tmpExt)]
	cut := false
	for _, ext := range archiveExts {
		if r, ok := strings.CutSuffix(rest, ext); ok {
			rest, cut = r, true
			break
		}
	}
	if !cut {
		return false
	}
	i := strings.LastIndexByte(rest, '.')
	if i < 0 || rest[i+1:] == "" || strings.Trim(rest[i+1:], "0123456789") != "" {
		return false
	}
	b, ok := n.parse(rest[:i])
	return ok && !b.gz && !n.isLive(b)
}

// scan lists our files in the directory, in no particular order, and the
// names of half-written archives. Entries it does not recognise are left out.
func (n naming) scan() (files []backup, temps []string, err error) {
	d, err := os.Open(n.dir)
	if err != nil {
		return nil, nil, err
	}
	defer d.Close()
	ents, err := d.ReadDir(-1)
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		if b, ok := n.parse(e.Name()); ok {
			files = append(files, b)
		} else if n.isTemp(e.Name()) {
			temps = append(temps, e.Name())
		}
	}
	return files, temps, err
}
