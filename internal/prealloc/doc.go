// Package prealloc gives a file disk blocks for its first bytes before it
// is mapped, so that a store into the mapping can never fault (SIGBUS) on
// a full disk: the file sink's side buffer and the spool's journal use it.
package prealloc
