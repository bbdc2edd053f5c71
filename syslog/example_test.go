package syslog_test

import (
	"context"
	"fmt"
	"github.com/jinpy-utils/multi/delivery"
	"log/slog"
	"net"
	"strings"

	"github.com/jinpy-utils/multi/syslog"
)

// A receiver on loopback shows what goes over the wire: the level as the
// PRI, the attributes as STRUCTURED-DATA, groups joined with dots.
func Example() {
	rx, _ := net.ListenPacket("udp", "127.0.0.1:0")
	defer rx.Close()

	h, err := syslog.New("udp://"+rx.LocalAddr().String(), &syslog.Options{
		Facility: syslog.Local0, Hostname: "web1", AppName: "shop",
	})
	if err != nil {
		panic(err)
	}
	logger := slog.New(h)
	logger.Warn("cart abandoned", "user", "alice", slog.Group("cart", "items", 3, "note", `"gift" [wrapped]`))
	h.Shutdown(context.Background())

	buf := make([]byte, 2048)
	n, _, _ := rx.ReadFrom(buf)
	msg := string(buf[:n])
	// <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD MSG
	f := strings.SplitN(msg, " ", 7)
	fmt.Println(f[0], f[2], f[3], f[5])
	fmt.Println(strings.ReplaceAll(f[6], "\uFEFF", "<BOM>"))
	// Output:
	// <132>1 web1 shop -
	// [slog@32473 user="alice" cart.items="3" cart.note="\"gift\" [wrapped\]"] <BOM>cart abandoned
}

// With a spool, records written while the receiver is down wait on disk
// and are sent, oldest first, once it is back (by this process or the
// next).
func ExampleNew_spool() {
	h, err := syslog.New("tcp://127.0.0.1:514", &syslog.Options{
		Spool:        delivery.Spool{Dir: "/var/spool/myapp/syslog"},
		ErrorHandler: func(err error) { fmt.Println("syslog:", err) },
	})
	if err != nil {
		panic(err)
	}
	defer h.Shutdown(context.Background())
	slog.SetDefault(slog.New(h))
}
