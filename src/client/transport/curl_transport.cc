// The blocking HttpTransport, on libcurl.
//
// Each request runs on a "slot": one easy handle driven by its own multi handle. The multi
// handle keeps the slot's connection cache, so a slot reused for the next request reuses its
// open connection; idle slots wait in a small mutex-guarded pool (last in, first out, so a
// thread sending requests one after another keeps hitting the same warm connection). Slots
// share DNS and TLS sessions through one CURLSH. Connections themselves are not put in the
// share: libcurl documents CURL_LOCK_DATA_CONNECT as unsafe across concurrent threads.
//
// Driving the easy handle through a multi handle, rather than curl_easy_perform, is what makes
// cancellation prompt: the token's callback calls curl_multi_wakeup, which ends the wait in
// curl_multi_poll at once instead of at libcurl's next progress tick (up to a second later).
//
// How one request is set up on a handle and what its end means (headers, body cap, error
// names) is client/curl_request.h, shared with the engine.
#include "lro/curl_transport.h"

#include <curl/curl.h>

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "client/transport/curl_request.h"
#include "lro/http.h"
#include "wire/thread_safety.h"

namespace lro {
namespace {

using internal::CurlRequest;

// Wakes a slot's multi handle from a cancellation callback. The callback may run on another
// thread after the request is over, so it holds this by shared_ptr and Run detaches it
// (under the mutex) before the slot goes back to the pool.
struct Waker {
  explicit Waker(CURLM* m) : multi(m) {}
  Mutex mutex;
  CURLM* multi LRO_GUARDED_BY(mutex) = nullptr;
  void Wake() {
    MutexLock lock(mutex);
    if (multi != nullptr) curl_multi_wakeup(multi);
  }
  void Detach() {
    MutexLock lock(mutex);
    multi = nullptr;
  }
};

// One easy handle and the multi handle that drives it (and owns its connection cache).
class Slot {
 public:
  Slot(CURL* easy, CURLM* multi) : easy_(easy), multi_(multi) {}
  Slot(const Slot&) = delete;
  Slot& operator=(const Slot&) = delete;
  Slot(Slot&&) = delete;
  Slot& operator=(Slot&&) = delete;
  ~Slot() {
    curl_easy_cleanup(easy_);
    curl_multi_cleanup(multi_);
  }
  [[nodiscard]] CURL* easy() const { return easy_; }
  [[nodiscard]] CURLM* multi() const { return multi_; }

 private:
  CURL* easy_;
  CURLM* multi_;
};

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(CurlTransportOptions options) : options_(std::move(options)) {
    internal::CurlGlobalInitOnce();
    share_ = curl_share_init();
    if (share_ != nullptr) {
      curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &CurlTransport::Lock);
      curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &CurlTransport::Unlock);
      curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
      curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
      curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
    }
  }

  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;
  CurlTransport(CurlTransport&&) = delete;
  CurlTransport& operator=(CurlTransport&&) = delete;

  ~CurlTransport() override {
    idle_.clear();  // every handle leaves the share before the share goes
    if (share_ != nullptr) curl_share_cleanup(share_);
  }

  StatusOr<HttpResponse> Send(const HttpRequest& request,
                              const CancellationToken& cancel) override {
    CurlRequest call(options_, proxies_, request, cancel);
    if (cancel.cancelled()) return call.Cancelled();
    std::unique_ptr<Slot> slot = Acquire();
    if (slot == nullptr) {
      return Status(StatusCode::kInternal, "libcurl could not allocate a handle");
    }
    StatusOr<HttpResponse> result = Run(*slot, call);
    Release(std::move(slot));
    return result;
  }

 private:
  // Idle slots kept for reuse; more are closed when released.
  static constexpr std::size_t kMaxIdleSlots = 16;

  static void Lock(CURL* /*handle*/, curl_lock_data data, curl_lock_access /*access*/, void* user) {
    static_cast<CurlTransport*>(user)->share_locks_[LockIndex(data)].lock();
  }
  static void Unlock(CURL* /*handle*/, curl_lock_data data, void* user) {
    static_cast<CurlTransport*>(user)->share_locks_[LockIndex(data)].unlock();
  }
  static std::size_t LockIndex(curl_lock_data data) {
    const auto index = static_cast<std::size_t>(data);
    return index < kLockCount ? index : 0;
  }

  std::unique_ptr<Slot> Acquire() {
    {
      MutexLock lock(pool_mutex_);
      if (!idle_.empty()) {
        std::unique_ptr<Slot> slot = std::move(idle_.back());
        idle_.pop_back();
        return slot;
      }
    }
    CURL* easy = curl_easy_init();
    CURLM* multi = curl_multi_init();
    if (easy == nullptr || multi == nullptr) {
      if (easy != nullptr) curl_easy_cleanup(easy);
      if (multi != nullptr) curl_multi_cleanup(multi);
      return nullptr;
    }
    if (share_ != nullptr) curl_easy_setopt(easy, CURLOPT_SHARE, share_);
    return std::make_unique<Slot>(easy, multi);
  }

  void Release(std::unique_ptr<Slot> slot) {
    MutexLock lock(pool_mutex_);
    if (idle_.size() < kMaxIdleSlots) idle_.push_back(std::move(slot));
    // else: the slot closes its connection as it goes out of scope
  }

  // Runs `call` on `slot` until it ends, fails, or its token fires.
  static StatusOr<HttpResponse> Run(Slot& slot, CurlRequest& call) {
    CURL* easy = slot.easy();
    CURLM* multi = slot.multi();
    curl_easy_reset(easy);  // keeps the connections, DNS cache, TLS sessions and share
    if (Status configured = call.Configure(easy, /*fresh=*/true); !configured.ok()) {
      curl_easy_reset(easy);  // nothing of `call` may stay pointed to by the pooled handle
      return configured;
    }

    auto waker = std::make_shared<Waker>(multi);
    CancellationToken::Registration registration =
        call.cancel().OnCancel([waker] { waker->Wake(); });

    if (curl_multi_add_handle(multi, easy) != CURLM_OK) {
      waker->Detach();
      curl_easy_reset(easy);
      return Status(StatusCode::kInternal, "libcurl refused the request");
    }
    CURLcode code = CURLE_OK;
    bool finished = false;
    bool cancelled = false;
    while (!finished) {
      if (call.cancel().cancelled()) {
        cancelled = true;
        break;
      }
      int running = 0;
      if (curl_multi_perform(multi, &running) != CURLM_OK) {
        code = CURLE_FAILED_INIT;
        break;
      }
      int queued = 0;
      while (CURLMsg* message = curl_multi_info_read(multi, &queued)) {
        if (message->msg == CURLMSG_DONE && message->easy_handle == easy) {
          code = message->data.result;
          finished = true;
        }
      }
      if (finished || running == 0) break;
      // libcurl shortens the wait to its own next timeout; the wakeup ends it on cancel.
      if (curl_multi_poll(multi, nullptr, 0, 1000, nullptr) != CURLM_OK) {
        code = CURLE_FAILED_INIT;
        break;
      }
    }
    waker->Detach();
    // Removing an unfinished transfer closes its connection; a finished one stays cached.
    curl_multi_remove_handle(multi, easy);
    if (cancelled) code = CURLE_ABORTED_BY_CALLBACK;
    if (!finished && code == CURLE_OK) code = CURLE_GOT_NOTHING;
    return call.Finish(easy, code);
  }

  static constexpr std::size_t kLockCount = static_cast<std::size_t>(CURL_LOCK_DATA_LAST);

  CurlTransportOptions options_;
  const internal::EnvironmentProxies proxies_ = internal::EnvironmentProxies::Read();
  CURLSH* share_ = nullptr;
  // Locked and unlocked by libcurl through Lock and Unlock, for the share's own data: std::mutex,
  // outside the analysis.
  std::array<std::mutex, kLockCount> share_locks_;
  Mutex pool_mutex_;
  std::vector<std::unique_ptr<Slot>> idle_ LRO_GUARDED_BY(pool_mutex_);
};

}  // namespace

std::shared_ptr<HttpTransport> MakeCurlTransport(CurlTransportOptions options) {
  return std::make_shared<CurlTransport>(std::move(options));
}

}  // namespace lro
