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
	gzExt           = ".gz"
	tmpExt          = ".gz.tmp"
)

// naming knows the names of a log's files: the live file, its numbered
// backups NAME.1, NAME.2 …, their compressed forms NAME.N.gz, and for a
// path with {date}, the files of earlier days. It recognises nothing else:
// a file in the directory that does not parse is never touched.
type naming struct {
	dir     string // absolute
	prefix  string // base name before {date}, or the whole base name
	suffix  string // base name after {date}
	hasDate bool
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

// base returns the live file's base name for a date ("" without {date}).
func (n naming) base(date string) string {
	if !n.hasDate {
		return n.prefix
	}
	return n.prefix + date + n.suffix
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
	date  string // "" without {date}
	index int    // 0 for a day's main file, N for NAME.N
	gz    bool
}

// newer orders backups newest first: later date, then lower index.
func (b backup) newer(o backup) bool {
	if b.date != o.date {
		return b.date > o.date
	}
	return b.index < o.index
}

// parse recognises one of our file names. It accepts exactly
// BASE, BASE.N, BASE.gz and BASE.N.gz, where N is a decimal without leading
// zeros and, with {date}, BASE holds a valid YYYY-MM-DD date.
func (n naming) parse(name string) (backup, bool) {
	b := backup{name: name}
	rest := name
	if strings.HasSuffix(rest, gzExt) {
		rest, b.gz = rest[:len(rest)-len(gzExt)], true
	}
	if date, ok := n.parseBase(rest); ok {
		// Without {date}, BASE.gz is no name of ours: only earlier days'
		// main files are compressed whole.
		b.date = date
		return b, n.hasDate || !b.gz
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
	b.date, b.index = date, idx
	return b, true
}

func (n naming) parseBase(s string) (string, bool) {
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

// tmpPattern is the os.CreateTemp pattern for the archive of a backup:
// hidden, and not ending in .gz, so that nobody picks it up half written.
func tmpPattern(src string) string { return "." + src + ".*" + tmpExt }

// isTemp recognises an archive left half written by a crash:
// "." + the name of a backup we compress + "." + digits + ".gz.tmp".
func (n naming) isTemp(name string) bool {
	if !strings.HasPrefix(name, ".") || !strings.HasSuffix(name, tmpExt) {
		return false
	}
	rest := name[1 : len(name)-len(tmpExt)]
	i := strings.LastIndexByte(rest, '.')
	if i < 0 || rest[i+1:] == "" || strings.Trim(rest[i+1:], "0123456789") != "" {
		return false
	}
	b, ok := n.parse(rest[:i])
	return ok && !b.gz && (n.hasDate || b.index > 0)
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
