package delivery_test

import (
	"fmt"
	"time"

	"github.com/jinpy-utils/multi/buffer"
	"github.com/jinpy-utils/multi/delivery"
	"github.com/jinpy-utils/multi/httpsink"
)

// The shared options of a network sink: a bigger queue that keeps the
// newest records when full, ten retries starting at a second, and a spool.
// A mistake in any of them is refused by New, by its full name.
func Example() {
	_, err := httpsink.New("http://127.0.0.1:9428/insert/jsonline?_msg_field=msg&_time_field=time", &httpsink.Options{
		Queue: delivery.Queue{Size: 50_000, OnFull: buffer.DropOldest, FlushInterval: -time.Second},
		Retry: delivery.Retry{Max: 10, Backoff: delivery.Backoff{InitialInterval: time.Second}},
		Spool: delivery.Spool{Dir: "/var/spool/app/logs"},
	})
	fmt.Println(err)
	// Output: httpsink: Options.Queue.FlushInterval is -1s: must not be negative (0 means 1s)
}
