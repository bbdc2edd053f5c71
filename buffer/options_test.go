package buffer

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

func TestNewRejectsInvalidOptionsNamingTheField(t *testing.T) {
	overflow := func(*Batch) error { return nil }
	for _, tc := range []struct {
		o    Options
		want []string // every one must be in the error
	}{
		{Options{BatchSize: -1}, []string{"Options.BatchSize is -1"}},
		{Options{BatchBytes: -5}, []string{"Options.BatchBytes is -5"}},
		{Options{FlushInterval: -time.Second}, []string{"Options.FlushInterval is -1s"}},
		{Options{QueueSize: -10}, []string{"Options.QueueSize is -10"}},
		{Options{QueueBytes: -1}, []string{"Options.QueueBytes is -1", "64 MiB"}},
		{Options{OnFull: Policy(9)}, []string{"Options.OnFull is Policy(9)"}},
		{Options{OnFull: Divert}, []string{"Options.Overflow is nil", "divert"}},
		{Options{OnFull: DropOldest, Overflow: overflow}, []string{"Options.Overflow is set", "drop-oldest"}},
		{Options{BatchSize: -1, QueueSize: -1}, []string{"Options.BatchSize", "Options.QueueSize"}},
	} {
		b, err := New(func(context.Context, *Batch) {}, &tc.o)
		if err == nil {
			b.Shutdown(context.Background())
			t.Errorf("New(%+v) succeeded, want an error", tc.o)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("New(%+v) = %q, want it to mention %q", tc.o, err, w)
			}
		}
		if !strings.HasPrefix(err.Error(), "buffer: ") {
			t.Errorf("error %q does not start with \"buffer: \"", err)
		}
	}
	if _, err := New(nil, nil); err == nil || !strings.Contains(err.Error(), "write is nil") {
		t.Errorf("New(nil write) = %v, want an error saying write is nil", err)
	}
}

func TestNewFillsDefaults(t *testing.T) {
	for _, o := range []*Options{nil, {}} {
		b := newBuffer(t, func(context.Context, *Batch) {}, o)
		want := Options{BatchSize: 512, BatchBytes: 1 << 20, FlushInterval: time.Second, QueueSize: DefaultQueueSize, QueueBytes: 64 << 20, OnFull: DropNewest, BlockTimeout: time.Second}
		got := b.opt
		if got.BatchSize != want.BatchSize || got.BatchBytes != want.BatchBytes || got.FlushInterval != want.FlushInterval ||
			got.QueueSize != want.QueueSize || got.QueueBytes != want.QueueBytes || got.OnFull != want.OnFull || got.BlockTimeout != want.BlockTimeout {
			t.Fatalf("defaults = %+v, want %+v", got, want)
		}
	}
	b := newBuffer(t, func(context.Context, *Batch) {}, &Options{BatchSize: 100, QueueSize: 30})
	if b.opt.BatchSize != 30 {
		t.Fatalf("BatchSize with QueueSize 30 = %d, want it lowered to 30", b.opt.BatchSize)
	}
	b = newBuffer(t, func(context.Context, *Batch) {}, &Options{QueueBytes: 4096})
	if b.opt.BatchBytes != 4096 {
		t.Fatalf("BatchBytes with QueueBytes 4096 = %d, want it lowered to 4096", b.opt.BatchBytes)
	}
}

func TestPolicyNames(t *testing.T) {
	for _, p := range []Policy{Auto, Block, DropNewest, DropOldest, Divert} {
		for _, s := range []string{p.String(), strings.ToUpper(p.String()), " " + strings.ReplaceAll(p.String(), "-", "_") + " "} {
			got, err := ParsePolicy(s)
			if err != nil || got != p {
				t.Errorf("ParsePolicy(%q) = %v, %v, want %v", s, got, err, p)
			}
		}
		text, err := json.Marshal(struct{ P Policy }{p})
		if err != nil || string(text) != `{"P":"`+p.String()+`"}` {
			t.Errorf("json.Marshal(%v) = %s, %v", p, text, err)
		}
		var back struct{ P Policy }
		if err := json.Unmarshal(text, &back); err != nil || back.P != p {
			t.Errorf("json.Unmarshal(%s) = %v, %v", text, back.P, err)
		}
	}
	if got := []string{Auto.String(), Block.String(), DropNewest.String(), DropOldest.String(), Divert.String(), Policy(-1).String()}; strings.Join(got, ",") != "auto,block,drop-newest,drop-oldest,divert,Policy(-1)" {
		t.Errorf("names = %v", got)
	}
	_, err := ParsePolicy("spool")
	if err == nil || !strings.Contains(err.Error(), `"spool"`) {
		t.Errorf(`ParsePolicy("spool") = %v, want an error quoting the input`, err)
	}
	if _, err := Policy(7).MarshalText(); err == nil {
		t.Error("Policy(7).MarshalText succeeded")
	}
	var p Policy
	if err := p.UnmarshalText([]byte("sometimes")); err == nil || p != Auto {
		t.Errorf("UnmarshalText(sometimes) = %v, left %v", err, p)
	}
}

func TestAutoPolicy(t *testing.T) {
	b := newBuffer(t, func(context.Context, *Batch) {}, nil)
	if b.opt.OnFull != DropNewest {
		t.Errorf("Auto without an Overflow = %v, want drop-newest", b.opt.OnFull)
	}
	b = newBuffer(t, func(context.Context, *Batch) {}, &Options{Overflow: func(*Batch) error { return nil }})
	if b.opt.OnFull != Divert {
		t.Errorf("Auto with an Overflow = %v, want divert", b.opt.OnFull)
	}
}

// TestBlockWaitsAtMostBlockTimeout: under Block, an Add that finds the
// queue full and the writer stuck waits BlockTimeout, then drops and counts
// its record, so a dead destination cannot stall the program.
func TestBlockWaitsAtMostBlockTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		b := newBuffer(t, func(ctx context.Context, _ *Batch) {
			select {
			case <-gate:
			case <-ctx.Done():
			}
		}, &Options{OnFull: Block, QueueSize: 2, BatchSize: 1, BlockTimeout: 3 * time.Second})
		for _, r := range []string{"a", "b", "c"} {
			if err := b.Add([]byte(r)); err != nil {
				t.Fatalf("Add(%s): %v", r, err)
			}
			synctest.Wait()
		}
		start := time.Now()
		err := b.Add([]byte("d"))
		if waited := time.Since(start); waited != 3*time.Second {
			t.Errorf("Add waited %v, want BlockTimeout 3s", waited)
		}
		if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "after waiting 3s") {
			t.Errorf("Add after the wait = %v, want ErrFull saying it waited", err)
		}
		if d := b.Stats().Dropped; d != 1 {
			t.Errorf("Dropped = %d, want 1", d)
		}
		close(gate)
	})
}

func TestPolicyResolve(t *testing.T) {
	for _, tc := range []struct {
		p         Policy
		canDivert bool
		want      Policy
	}{
		{Auto, false, DropNewest}, {Auto, true, Divert},
		{Block, true, Block}, {DropOldest, false, DropOldest}, {Divert, false, Divert},
	} {
		if got := tc.p.Resolve(tc.canDivert); got != tc.want {
			t.Errorf("%v.Resolve(%v) = %v, want %v", tc.p, tc.canDivert, got, tc.want)
		}
	}
}
