package format

import "time"

// Layouts of appendRFC3339.
const (
	fracNano  = iota // time.RFC3339Nano: trailing zeros trimmed, "Z" for UTC (slog's JSON)
	fracMilli        // three digits, "Z" for UTC (slog's Text)
	fracMicro        // six digits, "+00:00" for UTC (Python's isoformat)
)

// layoutMicro is the layout fracMicro writes.
const layoutMicro = "2006-01-02T15:04:05.000000-07:00"

// Unix seconds of 0000-01-01T00:00:00 and 10000-01-01T00:00:00.
const (
	minSec = -62167219200
	maxSec = 253402300800
)

// appendRFC3339 appends t in RFC 3339 form, exactly as time.Time.AppendFormat
// (and, for fracMilli, slog) would, without their general machinery.
func appendRFC3339(b []byte, t time.Time, layout int) []byte {
	_, off := t.Zone()
	u := t.Unix()
	sec := u + int64(off)
	if u < minSec-86400 || u > maxSec+86400 || sec < minSec || sec >= maxSec {
		return appendRFC3339Slow(b, t, layout)
	}
	// Count from year 0 so that the division is of positive numbers.
	since0 := uint64(sec - minSec)
	days := int64(since0/86400) + minSec/86400
	sod := since0 % 86400
	y, m, d := civil(days)
	b = append4(b, y)
	b = append(b, '-')
	b = append2(b, m)
	b = append(b, '-')
	b = append2(b, d)
	b = append(b, 'T')
	b = appendClock(b, int(sod))
	ns := t.Nanosecond()
	switch layout {
	case fracNano:
		if ns != 0 {
			var d [10]byte
			d[0] = '.'
			copy(d[1:3], digits2[ns/1e7*2:])
			copy(d[3:5], digits2[ns/1e5%100*2:])
			copy(d[5:7], digits2[ns/1e3%100*2:])
			copy(d[7:9], digits2[ns/10%100*2:])
			d[9] = byte('0' + ns%10)
			end := 10
			for d[end-1] == '0' {
				end--
			}
			b = append(b, d[:end]...)
		}
	case fracMilli:
		b = append(b, '.')
		b = append3(b, ns/1e6)
	case fracMicro:
		b = append(b, '.')
		b = append3(b, ns/1e6)
		b = append3(b, ns/1e3%1000)
	}
	zone := off / 60 // minutes; seconds of the offset are not written
	if zone == 0 && off == 0 && layout != fracMicro {
		return append(b, 'Z')
	}
	if zone < 0 {
		b = append(b, '-')
		zone = -zone
	} else {
		b = append(b, '+')
	}
	b = append2(b, zone/60)
	b = append(b, ':')
	return append2(b, zone%60)
}

// appendRFC3339Slow handles years outside [0, 9999] the way the standard
// library and slog do.
func appendRFC3339Slow(b []byte, t time.Time, layout int) []byte {
	switch layout {
	case fracNano:
		return t.AppendFormat(b, time.RFC3339Nano)
	case fracMilli:
		// slog's appendRFC3339Millis, which assumes a four-digit year.
		const prefixLen = len("2006-01-02T15:04:05.000")
		n := len(b)
		t = t.Truncate(time.Millisecond).Add(time.Millisecond / 10)
		b = t.AppendFormat(b, time.RFC3339Nano)
		return append(b[:n+prefixLen], b[n+prefixLen+1:]...)
	default:
		return t.AppendFormat(b, layoutMicro)
	}
}

// appendClockMillis appends t as "15:04:05.000", the seconds from the
// encoder's cache when the second is the one it wrote last.
func (e *encoder) appendClockMillis(t time.Time) {
	// One Unix second in one location is always the same wall-clock second.
	if sec, loc := t.Unix(), t.Location(); sec != e.clockSec || loc != e.clockLoc {
		_, off := t.Zone()
		sod := (sec + int64(off)) % 86400
		if sod < 0 {
			sod += 86400
		}
		appendClock(e.clock[:0], int(sod)) // exactly 8 bytes: fills e.clock in place
		e.clockSec, e.clockLoc = sec, loc
	}
	e.buf = append(e.buf, e.clock[:]...)
	e.buf = append(e.buf, '.')
	e.buf = append3(e.buf, t.Nanosecond()/1e6)
}

// appendClockMillis appends t as "15:04:05.000".
func appendClockMillis(b []byte, t time.Time) []byte {
	_, off := t.Zone()
	sod := (t.Unix() + int64(off)) % 86400
	if sod < 0 {
		sod += 86400
	}
	b = appendClock(b, int(sod))
	b = append(b, '.')
	return append3(b, t.Nanosecond()/1e6)
}

func appendClock(b []byte, sod int) []byte {
	b = append2(b, sod/3600)
	b = append(b, ':')
	b = append2(b, sod/60%60)
	b = append(b, ':')
	return append2(b, sod%60)
}

// civil returns the proleptic Gregorian date of a day counted from
// 1970-01-01 (Howard Hinnant's civil_from_days), for years 0 to 9999.
func civil(days int64) (year, month, day int) {
	const shift = 5 // eras of 400 years added to keep z positive
	z := uint64(days + 719468 + shift*146097)
	era := z / 146097
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	y := int(yoe) + (int(era)-shift)*400
	doy := doe - (365*yoe + yoe/4 - yoe/100) // [0, 365]
	mp := (5*doy + 2) / 153                  // [0, 11]
	d := doy - (153*mp+2)/5 + 1              // [1, 31]
	m := int(mp) + 3
	if m > 12 {
		m -= 12
	}
	if m <= 2 {
		y++
	}
	return y, m, int(d)
}

// digits2 holds the two-digit decimals 00 to 99.
const digits2 = "00010203040506070809101112131415161718192021222324252627282930313233343536373839" +
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879" +
	"8081828384858687888990919293949596979899"

func append2(b []byte, n int) []byte {
	return append(b, digits2[2*n], digits2[2*n+1])
}

func append3(b []byte, n int) []byte {
	return append(b, byte('0'+n/100), byte('0'+n/10%10), byte('0'+n%10))
}

func append4(b []byte, n int) []byte {
	hi, lo := 2*(n/100), 2*(n%100)
	return append(b, digits2[hi], digits2[hi+1], digits2[lo], digits2[lo+1])
}
