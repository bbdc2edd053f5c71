package buffer

// A Journal keeps a copy of the records a [Buffer] holds outside the
// process's memory, so that they outlive it (the network sinks' spool
// journal: a memory-mapped file). The Buffer calls Append for every record
// it accepts and Release for every batch once it has left the queue:
// written (when write returns, unless write held it: see [Batch.Hold]),
// diverted, or dropped.
type Journal interface {
	// Append keeps rec and returns its span [from, to). Append is called
	// under the Buffer's lock, in the queue's order; first says rec is
	// the first record of a batch, and the spans of one batch's records
	// must be adjacent (the batch's span runs from its first record's from
	// to its last one's to). ok false means it did not keep rec: the
	// record is then in memory only.
	Append(rec []byte, first bool) (from, to uint64, ok bool)
	// Release says that the records in [from, to) have left the queue.
	// Spans may be released out of order; each is released once.
	Release(from, to uint64)
}

// A Span is the records of a batch in the Buffer's [Journal], held by the
// writer past its write call (see [Batch.Hold]).
type Span struct {
	j        Journal
	from, to uint64
}

// Release tells the journal that the span's records have left memory:
// delivered, spooled or dropped. Call it once; the zero Span's does
// nothing.
func (s Span) Release() {
	if s.j != nil && s.to != 0 {
		s.j.Release(s.from, s.to)
	}
}

// Hold keeps the batch's records in the journal after the write call it
// was handed to returns, for a writer that keeps them in memory longer (a
// WebSocket window waiting for its acknowledgements); the writer releases
// the Span once they have left it. Without a journal the Span is zero.
func (b *Batch) Hold() Span {
	s := Span{b.j, b.jfrom, b.jto}
	b.j, b.jfrom, b.jto = nil, 0, 0
	return s
}

// journal notes that rec, just added, is kept in j at [from, to).
func (b *Batch) journal(j Journal, rec []byte) {
	from, to, ok := j.Append(rec, len(b.ends) == 1)
	if !ok {
		return
	}
	if b.jto == 0 {
		b.j, b.jfrom = j, from
	}
	b.jto = to
}

// release tells the journal the batch has left the queue.
func (b *Batch) release() {
	if b.j != nil {
		b.j.Release(b.jfrom, b.jto)
		b.j, b.jfrom, b.jto = nil, 0, 0
	}
}
