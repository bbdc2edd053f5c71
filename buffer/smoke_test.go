package buffer

import (
	"context"
	"strconv"
	"sync"
	"testing"
)

func TestSmoke(t *testing.T) {
	var mu sync.Mutex
	var got []string
	b, err := New(func(ctx context.Context, bt *Batch) {
		mu.Lock()
		for i := range bt.Len() {
			got = append(got, string(bt.Record(i)))
		}
		mu.Unlock()
	}, &Options{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if err := b.Add([]byte(strconv.Itoa(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if len(got) != 10 {
		t.Fatalf("got %v", got)
	}
	mu.Unlock()
	if err := b.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	c := b.Stats()
	if c.Added != 10 || c.Written != 10 || c.Batches != 4 || c.Queued != 0 {
		t.Fatalf("%+v", c)
	}
	if err := b.Add(nil); err == nil {
		t.Fatal("add after shutdown")
	}
}
