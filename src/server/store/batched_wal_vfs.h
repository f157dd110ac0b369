// A SQLite VFS that writes a transaction's WAL frames with one system call instead of two per
// frame. Internal to the SQLite store.
#pragma once

namespace lro::server::internal {

// Registers (once per process) and returns the name of a VFS that wraps the default one. Every
// file but a WAL is the default VFS's own. A WAL's writes that continue one another are kept in
// memory and written with one pwrite when SQLite syncs, reads, sizes, truncates or closes the
// file, or writes elsewhere in it — so what is on disk at every xSync, and everything SQLite
// reads back, is byte for byte what the default VFS would have written.
//
// Only for a connection with synchronous=FULL, whose commits always end with xSync: with
// NORMAL, a commit publishes its frames to other connections without syncing the WAL, so they
// must not wait in memory. Returns nullptr when the default VFS cannot be wrapped.
const char* BatchedWalVfsName();

}  // namespace lro::server::internal
