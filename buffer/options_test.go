package buffer

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
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
		want := Options{BatchSize: 512, BatchBytes: 1 << 20, FlushInterval: time.Second, QueueSize: 10000, QueueBytes: 64 << 20, OnFull: Block}
		got := b.opt
		if got.BatchSize != want.BatchSize || got.BatchBytes != want.BatchBytes || got.FlushInterval != want.FlushInterval ||
			got.QueueSize != want.QueueSize || got.QueueBytes != want.QueueBytes || got.OnFull != want.OnFull {
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
	for _, p := range []Policy{Block, DropNewest, DropOldest, Divert} {
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
	if got := []string{Block.String(), DropNewest.String(), DropOldest.String(), Divert.String(), Policy(-1).String()}; strings.Join(got, ",") != "block,drop-newest,drop-oldest,divert,Policy(-1)" {
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
	if err := p.UnmarshalText([]byte("sometimes")); err == nil || p != Block {
		t.Errorf("UnmarshalText(sometimes) = %v, left %v", err, p)
	}
}
