//go:build unix

package syslog

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/internal/spooltest"
)

// killSync is the message of the frame killReceiver.Arrivals sends itself
// on a trial's listener: once it has been read, every connection made
// before it has been accepted.
const killSync = "spooltest sync"

// killReceiver is a TCP server on loopback that reads octet-counted RFC
// 5424 frames and counts the records of each trial by their SD-PARAM n;
// each trial has a listener of its own, started by URL.
type killReceiver struct {
	t     testing.TB
	tally spooltest.Tally
	conns spooltest.Conns

	mu     sync.Mutex
	trials map[int]*killTrial
}

// killTrial is one trial's listener and the connections it has accepted.
type killTrial struct {
	ln     net.Listener
	synced chan struct{} // closed when the killSync frame has been read
}

func newKillReceiver(t testing.TB) spooltest.Receiver {
	kr := &killReceiver{t: t, trials: map[int]*killTrial{}}
	t.Cleanup(func() {
		kr.mu.Lock()
		defer kr.mu.Unlock()
		for _, tr := range kr.trials {
			tr.ln.Close()
		}
	})
	return kr
}

// URL starts the trial's listener the first time it is asked for.
func (kr *killReceiver) URL(trial int) string {
	kr.mu.Lock()
	defer kr.mu.Unlock()
	if tr := kr.trials[trial]; tr != nil {
		return "tcp://" + tr.ln.Addr().String()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		kr.t.Fatal(err)
	}
	tr := &killTrial{ln: ln, synced: make(chan struct{})}
	kr.trials[trial] = tr
	go kr.accept(trial, tr)
	return "tcp://" + ln.Addr().String()
}

func (kr *killReceiver) accept(trial int, tr *killTrial) {
	for {
		c, err := tr.ln.Accept()
		if err != nil {
			return
		}
		// Counted open here, in accept order, so that the sync frame's
		// connection is counted after every earlier one.
		kr.conns.Add(trial)
		go func() {
			defer func() {
				c.Close()
				kr.conns.Done(trial)
			}()
			if err := kr.read(trial, tr, c); err != nil {
				kr.t.Errorf("trial %d: %v", trial, err)
			}
		}()
	}
}

// read counts the records of one connection until it ends.
func (kr *killReceiver) read(trial int, tr *killTrial, c net.Conn) error {
	br := bufio.NewReaderSize(c, 64<<10)
	var msg []byte
	for {
		var err error
		msg, err = readFrame(br, msg)
		// The end of the connection, or a frame it cut: the killed
		// child's last partial write, which it did not count as
		// written (a record lost so is counted lost).
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if string(msg) == killSync {
			close(tr.synced)
			continue
		}
		n, err := killNumber(msg)
		if err != nil {
			return err
		}
		kr.tally.Add(trial, n)
	}
}

// killNumber returns the SD-PARAM n of an RFC 5424 message written for
// spooltest.LogNumbered: [slog@32473 g="0" i="7" n="7" ...].
func killNumber(msg []byte) (int, error) {
	_, rest, ok := bytes.Cut(msg, []byte(` n="`))
	if ok {
		if v, _, ok := bytes.Cut(rest, []byte(`"`)); ok {
			if n, err := strconv.Atoi(string(v)); err == nil {
				return n, nil
			}
		}
	}
	return 0, fmt.Errorf("message %.200q has no SD-PARAM n", msg)
}

// Arrivals waits until every connection made to the trial's listener
// before the call has been read to its end (a killed child's kernel goes
// on sending what its socket held), then closes the listener.
func (kr *killReceiver) Arrivals(t testing.TB, trial int) spooltest.Arrivals {
	kr.mu.Lock()
	tr := kr.trials[trial]
	kr.mu.Unlock()
	if tr == nil {
		return spooltest.Arrivals{}
	}
	defer tr.ln.Close()
	// A connection the sink made may still wait in the listen queue:
	// one made now is accepted after it.
	c, err := net.Dial("tcp", tr.ln.Addr().String())
	if err != nil {
		t.Fatalf("trial %d: %v", trial, err)
	}
	fmt.Fprintf(c, "%d %s", len(killSync), killSync)
	c.Close()
	deadline := time.After(time.Minute)
	select {
	case <-tr.synced:
	case <-deadline:
		t.Errorf("trial %d: the sync frame not read in a minute", trial)
		return kr.tally.Arrivals(trial)
	}
	kr.conns.Wait(t, trial)
	return kr.tally.Arrivals(trial)
}

// Records whose Handle returned before a SIGKILL, with the receiver down,
// are delivered over TCP by the next sink on the same spool (see package
// spooltest): none lost, duplicates counted.
func TestSIGKILLLosesNoAcceptedRecord(t *testing.T) {
	spooltest.Kill(t, killConfig(false))
}

// Records whose Handle returned before a SIGKILL, with the receiver up,
// are delivered by the child or by the next sink on the same spool: none
// lost, duplicates counted. A message leaves the journal once written to
// the socket; the killed child's kernel still sends what the socket held
// (the receiver sends nothing back, so the close is a FIN, not a reset),
// and the receiver reads it. A batch written but not yet off the journal
// at the kill is replayed: the duplicates, about one batch of 512.
func TestSIGKILLWithTheReceiverUpLosesNoAcceptedRecord(t *testing.T) {
	c := killConfig(true)
	c.SeedEnv = "SYSLOG_KILL_UP_SEED"
	spooltest.Kill(t, c)
}

func killConfig(up bool) spooltest.Config {
	return spooltest.Config{
		Up:      up,
		SeedEnv: "SYSLOG_KILL_SEED",
		// RFC 5424 over TCP, octet counting; the rest are the defaults.
		Open: func(url, dir string) (spooltest.Handler, error) {
			return New(url, &Options{Spool: delivery.Spool{Dir: dir}})
		},
		// No Rate: as fast as the sink takes records (about 600,000 a
		// second, 80,000 under the race detector, where 30 trials take
		// about 45 s with the receiver down, 30 s with it up).
		Spooled:  func(h spooltest.Handler) int { return h.(*Handler).s.Spool.Len() },
		DownURL:  func(addr string) string { return "tcp://" + addr },
		Receiver: newKillReceiver,
	}
}
