package wssink

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"

	"github.com/coder/websocket"
)

// ReceiverOptions configure [NewReceiver]. A nil *ReceiverOptions means the
// defaults.
type ReceiverOptions struct {
	// MaxMessageSize is the largest message accepted, in bytes; a larger one
	// closes the connection with StatusMessageTooBig. Default 1 MiB, the
	// sender's default. Keep it at least the sender's MaxMessageSize.
	MaxMessageSize int64

	// Compress accepts permessage-deflate when the client offers it.
	Compress bool

	// Subprotocols are the subprotocols the receiver speaks, in order of
	// preference.
	Subprotocols []string

	// OriginPatterns lists host patterns (path.Match syntax) whose browser
	// Origin header is accepted besides the request's own host. Clients that
	// send no Origin (such as wssink) are always accepted.
	OriginPatterns []string

	// ErrorHandler, when set, is told about connections that end with an
	// error and about messages that break the protocol.
	ErrorHandler func(error)
}

// NewReceiver returns an http.Handler that accepts WebSocket connections and
// speaks the protocol described in the package documentation: for every
// message it calls handle with the records the message carries, and when
// handle returns nil and the message has a sequence number it answers
// {"type":"ack","seq":N}. When handle returns an error the message is not
// acknowledged and the connection is closed with StatusInternalError, so the
// sender reconnects and sends it again.
//
// handle is called on the connection's goroutine, one message at a time and
// in order; the record slices are only valid during the call. ctx is the
// request's context. handle must be safe for concurrent use by several
// connections.
func NewReceiver(handle func(ctx context.Context, records [][]byte) error, opts *ReceiverOptions) http.Handler {
	var o ReceiverOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = defaultMaxMessageSize
	}
	return &receiver{handle: handle, opts: o}
}

type receiver struct {
	handle func(context.Context, [][]byte) error
	opts   ReceiverOptions
}

func (rv *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ao := &websocket.AcceptOptions{
		Subprotocols:   rv.opts.Subprotocols,
		OriginPatterns: rv.opts.OriginPatterns,
	}
	if rv.opts.Compress {
		ao.CompressionMode = websocket.CompressionContextTakeover
	}
	c, err := websocket.Accept(w, r, ao)
	if err != nil {
		rv.report(fmt.Errorf("wssink: receiver: accept: %w", err))
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(rv.opts.MaxMessageSize)
	ctx := r.Context()
	var recs [][]byte
	var ack []byte
	var in bytes.Buffer // reused: a steady stream of messages allocates nothing
	// Do not keep a buffer much larger than a message for good (and never
	// overflow computing the bound: MaxMessageSize may be huge).
	keep := math.MaxInt
	if m := rv.opts.MaxMessageSize; m <= (math.MaxInt-(64<<10))/4 {
		keep = 4*int(m) + 64<<10
	}
	for {
		in.Reset()
		_, r, err := c.Reader(ctx)
		if err == nil {
			_, err = in.ReadFrom(r)
		}
		msg := in.Bytes() // stays valid when in lets its buffer go
		if in.Cap() > keep {
			in = bytes.Buffer{}
		}
		if err != nil {
			if s := websocket.CloseStatus(err); s != websocket.StatusNormalClosure && s != websocket.StatusGoingAway &&
				!errors.Is(err, context.Canceled) {
				rv.report(fmt.Errorf("wssink: receiver: read: %w", err))
			}
			return
		}
		var seq uint64
		var hasSeq bool
		recs, seq, hasSeq, err = parseMessage(recs[:0], msg)
		if err != nil {
			rv.report(fmt.Errorf("wssink: receiver: %w", err))
			c.Close(websocket.StatusInvalidFramePayloadData, "not a log message")
			return
		}
		if err := rv.handle(ctx, recs); err != nil {
			rv.report(fmt.Errorf("wssink: receiver: handle %d records: %w", len(recs), err))
			c.Close(websocket.StatusInternalError, "records not accepted")
			return
		}
		clear(recs)
		if hasSeq {
			ack = appendAck(ack[:0], seq)
			if err := c.Write(ctx, websocket.MessageText, ack); err != nil {
				rv.report(fmt.Errorf("wssink: receiver: acknowledge %d: %w", seq, err))
				return
			}
		}
	}
}

func (rv *receiver) report(err error) {
	if rv.opts.ErrorHandler != nil {
		rv.opts.ErrorHandler(err)
	}
}
