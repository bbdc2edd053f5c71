package buffer

// A Batch is a run of records, oldest first, handed to the writer (or to
// Overflow) as one unit. Its records are stored back to back in one
// contiguous arena with their end offsets beside it, and the Batch is
// recycled once the call it was handed to returns: neither the Batch nor
// any slice obtained from it may be kept or used after that call.
type Batch struct {
	arena []byte // the records, back to back
	ends  []int  // ends[i] is the end offset of record i in arena
	first int    // index of the first live record (DropOldest drops from the front)
	seq   uint64 // position in the stream of batches, from 1

	// The batch's span in the Buffer's Journal, if it has one (j set).
	j          Journal
	jfrom, jto uint64
}

// Len returns the number of records in the batch.
func (b *Batch) Len() int { return len(b.ends) - b.first }

// Bytes returns the total size of the records in bytes.
func (b *Batch) Bytes() int { return len(b.arena) - b.start(b.first) }

// Record returns record i (0 <= i < Len()), oldest first. The slice's
// capacity is clipped to its length, so appending to it cannot overwrite
// the next record; it is valid only during the write or Overflow call.
func (b *Batch) Record(i int) []byte {
	if i < 0 || i >= b.Len() {
		panic("buffer: Batch.Record: index out of range")
	}
	j := b.first + i
	lo, hi := b.start(j), b.ends[j]
	return b.arena[lo:hi:hi]
}

// Data returns every record of the batch, back to back, as one slice
// (Bytes() long). For records that each end in a newline, as the format
// package writes them, this is the batch as newline-delimited lines, ready
// to send without copying. It is valid only during the write or Overflow
// call, and must not be modified.
func (b *Batch) Data() []byte {
	lo := b.start(b.first)
	return b.arena[lo:len(b.arena):len(b.arena)]
}

// start returns the start offset of record j.
func (b *Batch) start(j int) int {
	if j == 0 {
		return 0
	}
	return b.ends[j-1]
}

// add appends a copy of rec.
func (b *Batch) add(rec []byte) {
	b.arena = append(b.arena, rec...)
	b.ends = append(b.ends, len(b.arena))
}

// reset empties the batch for reuse. An arena grown past maxArena (by a
// record larger than BatchBytes) is let go rather than pinned.
func (b *Batch) reset(maxArena int) {
	if cap(b.arena) > maxArena {
		b.arena = nil
	} else {
		b.arena = b.arena[:0]
	}
	b.ends = b.ends[:0]
	b.first = 0
	b.seq = 0
}

// ring is a FIFO of batches that grows as needed and never shrinks, so a
// steady stream of pushes and pops does not allocate.
type ring struct {
	buf  []*Batch
	head int
	n    int
}

func (r *ring) len() int { return r.n }

func (r *ring) push(b *Batch) {
	if r.n == len(r.buf) {
		nb := make([]*Batch, max(8, 2*len(r.buf)))
		for i := range r.n {
			nb[i] = r.buf[(r.head+i)%len(r.buf)]
		}
		r.buf, r.head = nb, 0
	}
	r.buf[(r.head+r.n)%len(r.buf)] = b
	r.n++
}

// peek returns the oldest batch, or nil.
func (r *ring) peek() *Batch {
	if r.n == 0 {
		return nil
	}
	return r.buf[r.head]
}

// at returns the i-th oldest batch.
func (r *ring) at(i int) *Batch { return r.buf[(r.head+i)%len(r.buf)] }

// pop removes and returns the oldest batch, or nil.
func (r *ring) pop() *Batch {
	if r.n == 0 {
		return nil
	}
	b := r.buf[r.head]
	r.buf[r.head] = nil
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	return b
}
