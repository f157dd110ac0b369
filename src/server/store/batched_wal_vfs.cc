#include "store/batched_wal_vfs.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <mutex>

namespace lro::server::internal {
namespace {

// SQLite writes each WAL frame as a 24-byte header and then the page: with 1 KiB pages and a
// hundred creates per commit, several hundred pwrite(2) calls per commit. They all continue one
// another, so they are gathered here and written at once.
constexpr sqlite3_int64 kMaxBuffered =
    sqlite3_int64{8} * 1024 * 1024;  // larger runs are written through
// The unix VFS writes at most 128 KiB - 1 bytes per call (it masks the length), so a flush is
// written in pieces of this size, and a single larger write is passed on as it is.
constexpr sqlite3_int64 kMaxWrite = sqlite3_int64{64} * 1024;

struct WalFile {
  sqlite3_file base;    // base.pMethods = &kWalMethods; must come first
  sqlite3_file* real;   // the default VFS's file, in the same allocation, after this struct
  char* data;           // bytes not written yet, destined for [start, start + size)
  sqlite3_int64 start;  // file offset of data[0]
  sqlite3_int64 size;
  sqlite3_int64 capacity;
};

constexpr std::size_t kRealOffset = (sizeof(WalFile) + 15) & ~std::size_t{15};

sqlite3_vfs g_vfs;
sqlite3_vfs* g_default = nullptr;

WalFile* Wal(sqlite3_file* file) { return reinterpret_cast<WalFile*>(file); }

// Writes what is gathered. Afterwards nothing is held, even on failure (SQLite then fails the
// transaction, and frames past the last commit are never read).
int Flush(WalFile* f) {
  int rc = SQLITE_OK;
  for (sqlite3_int64 done = 0; done < f->size && rc == SQLITE_OK; done += kMaxWrite) {
    const sqlite3_int64 piece = std::min(kMaxWrite, f->size - done);
    rc = f->real->pMethods->xWrite(f->real, f->data + done, static_cast<int>(piece),
                                   f->start + done);
  }
  f->size = 0;
  return rc;
}

bool Overlaps(const WalFile* f, sqlite3_int64 offset, sqlite3_int64 amount) {
  return f->size > 0 && offset < f->start + f->size && f->start < offset + amount;
}

int Reserve(WalFile* f, sqlite3_int64 needed) {
  if (needed <= f->capacity) return SQLITE_OK;
  sqlite3_int64 capacity = f->capacity == 0 ? sqlite3_int64{64} * 1024 : f->capacity;
  while (capacity < needed) capacity *= 2;
  void* grown = sqlite3_realloc64(f->data, static_cast<sqlite3_uint64>(capacity));
  if (grown == nullptr) return SQLITE_NOMEM;
  f->data = static_cast<char*>(grown);
  f->capacity = capacity;
  return SQLITE_OK;
}

int WalWrite(sqlite3_file* file, const void* bytes, int amount, sqlite3_int64 offset) {
  WalFile* f = Wal(file);
  const bool continues = f->size > 0 && offset == f->start + f->size;
  if (!continues || f->size + amount > kMaxBuffered) {
    if (const int rc = Flush(f); rc != SQLITE_OK) return rc;
    if (amount > kMaxWrite) return f->real->pMethods->xWrite(f->real, bytes, amount, offset);
    f->start = offset;
  }
  if (Reserve(f, f->size + amount) != SQLITE_OK) {
    // Out of memory: write what we have and this one directly.
    if (const int rc = Flush(f); rc != SQLITE_OK) return rc;
    return f->real->pMethods->xWrite(f->real, bytes, amount, offset);
  }
  std::memcpy(f->data + f->size, bytes, static_cast<std::size_t>(amount));
  f->size += amount;
  return SQLITE_OK;
}

int WalRead(sqlite3_file* file, void* out, int amount, sqlite3_int64 offset) {
  WalFile* f = Wal(file);
  if (Overlaps(f, offset, amount)) {
    if (const int rc = Flush(f); rc != SQLITE_OK) return rc;
  }
  return f->real->pMethods->xRead(f->real, out, amount, offset);
}

int WalClose(sqlite3_file* file) {
  WalFile* f = Wal(file);
  const int flushed = Flush(f);
  sqlite3_free(f->data);
  f->data = nullptr;
  f->capacity = 0;
  const int closed = f->real->pMethods->xClose(f->real);
  return flushed != SQLITE_OK ? flushed : closed;
}

// The other methods write what is gathered first, then do what the default VFS does.
int WalTruncate(sqlite3_file* file, sqlite3_int64 size) {
  WalFile* f = Wal(file);
  if (const int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xTruncate(f->real, size);
}
int WalSync(sqlite3_file* file, int flags) {
  WalFile* f = Wal(file);
  if (const int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xSync(f->real, flags);
}
int WalFileSize(sqlite3_file* file, sqlite3_int64* size) {
  WalFile* f = Wal(file);
  if (const int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileSize(f->real, size);
}
int WalFileControl(sqlite3_file* file, int op, void* arg) {
  WalFile* f = Wal(file);
  if (const int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFileControl(f->real, op, arg);
}
int WalLock(sqlite3_file* file, int level) {
  return Wal(file)->real->pMethods->xLock(Wal(file)->real, level);
}
int WalUnlock(sqlite3_file* file, int level) {
  WalFile* f = Wal(file);
  if (const int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xUnlock(f->real, level);
}
int WalCheckReservedLock(sqlite3_file* file, int* out) {
  return Wal(file)->real->pMethods->xCheckReservedLock(Wal(file)->real, out);
}
int WalSectorSize(sqlite3_file* file) {
  return Wal(file)->real->pMethods->xSectorSize(Wal(file)->real);
}
int WalDeviceCharacteristics(sqlite3_file* file) {
  return Wal(file)->real->pMethods->xDeviceCharacteristics(Wal(file)->real);
}
int WalShmMap(sqlite3_file* file, int page, int size, int extend, void volatile** out) {
  return Wal(file)->real->pMethods->xShmMap(Wal(file)->real, page, size, extend, out);
}
int WalShmLock(sqlite3_file* file, int offset, int n, int flags) {
  return Wal(file)->real->pMethods->xShmLock(Wal(file)->real, offset, n, flags);
}
void WalShmBarrier(sqlite3_file* file) { Wal(file)->real->pMethods->xShmBarrier(Wal(file)->real); }
int WalShmUnmap(sqlite3_file* file, int delete_flag) {
  return Wal(file)->real->pMethods->xShmUnmap(Wal(file)->real, delete_flag);
}
int WalFetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  WalFile* f = Wal(file);
  if (const int rc = Flush(f); rc != SQLITE_OK) return rc;
  return f->real->pMethods->xFetch(f->real, offset, amount, out);
}
int WalUnfetch(sqlite3_file* file, sqlite3_int64 offset, void* page) {
  return Wal(file)->real->pMethods->xUnfetch(Wal(file)->real, offset, page);
}

const sqlite3_io_methods kWalMethods = {
    3,
    WalClose,
    WalRead,
    WalWrite,
    WalTruncate,
    WalSync,
    WalFileSize,
    WalLock,
    WalUnlock,
    WalCheckReservedLock,
    WalFileControl,
    WalSectorSize,
    WalDeviceCharacteristics,
    WalShmMap,
    WalShmLock,
    WalShmBarrier,
    WalShmUnmap,
    WalFetch,
    WalUnfetch,
};

int Open(sqlite3_vfs* /*vfs*/, const char* name, sqlite3_file* file, int flags, int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    // Not a WAL: the default VFS's file as it is (our allocation is large enough for it).
    return g_default->xOpen(g_default, name, file, flags, out_flags);
  }
  WalFile* f = Wal(file);
  std::memset(f, 0, sizeof(WalFile));
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + kRealOffset);
  std::memset(f->real, 0, static_cast<std::size_t>(g_default->szOsFile));
  const int rc = g_default->xOpen(g_default, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    if (f->real->pMethods != nullptr) f->real->pMethods->xClose(f->real);
    f->base.pMethods = nullptr;
    return rc;
  }
  if (f->real->pMethods->iVersion < 3) {
    // Cannot forward every method: use the default file as it is.
    f->real->pMethods->xClose(f->real);
    return g_default->xOpen(g_default, name, file, flags, out_flags);
  }
  f->base.pMethods = &kWalMethods;
  return SQLITE_OK;
}

}  // namespace

const char* BatchedWalVfsName() {
  static std::once_flag once;
  static bool registered = false;
  std::call_once(once, [] {
    g_default = sqlite3_vfs_find(nullptr);
    if (g_default == nullptr || g_default->iVersion < 1) return;
    g_vfs = *g_default;
    g_vfs.pNext = nullptr;
    g_vfs.zName = "lrod-batched-wal";
    g_vfs.szOsFile = static_cast<int>(kRealOffset) + g_default->szOsFile;
    g_vfs.xOpen = Open;
    // The default VFS's other methods do not look at their vfs argument beyond pAppData (the
    // unix VFS's is its locking-style finder), which is copied along with them.
    g_vfs.pAppData = g_default->pAppData;
    registered = sqlite3_vfs_register(&g_vfs, 0) == SQLITE_OK;
  });
  return registered ? g_vfs.zName : nullptr;
}

}  // namespace lro::server::internal
