package buffer_test

import (
	"context"
	"fmt"
	"log"

	"github.com/jinpy-utils/multi/buffer"
)

// A sink builds a Buffer around the function that sends a batch, Adds
// encoded lines from its Handle, and shuts the buffer down on exit.
func Example() {
	send := func(ctx context.Context, b *buffer.Batch) {
		// Data is the batch's records back to back: for JSON lines, a
		// ready request body. It is valid only during this call.
		fmt.Printf("send %d records, %d bytes:\n%s", b.Len(), b.Bytes(), b.Data())
	}
	b, err := buffer.New(send, &buffer.Options{BatchSize: 2, OnFull: buffer.DropOldest})
	if err != nil {
		log.Fatal(err)
	}
	for _, line := range []string{`{"msg":"one"}`, `{"msg":"two"}`, `{"msg":"three"}`} {
		if err := b.Add([]byte(line + "\n")); err != nil {
			log.Print(err)
		}
	}
	if err := b.Shutdown(context.Background()); err != nil {
		log.Print(err)
	}
	fmt.Printf("%+v\n", b.Stats())
	// Output:
	// send 2 records, 28 bytes:
	// {"msg":"one"}
	// {"msg":"two"}
	// send 1 records, 16 bytes:
	// {"msg":"three"}
	// {Added:3 Written:3 Dropped:0 Diverted:0 Queued:0 Batches:2 QueuedBytes:0}
}
