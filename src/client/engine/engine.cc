// The engine: one Asio io_context running libcurl's multi socket interface and one heap of
// operation timers, on one thread.
//
// libcurl tells the engine which sockets to watch (CURLMOPT_SOCKETFUNCTION) and when to call
// it back (CURLMOPT_TIMERFUNCTION); Asio waits on those sockets and that timer and hands the
// events back to curl_multi_socket_action. Operations waiting for their next poll sit in a
// min-heap behind a single Asio timer: they hold no curl handle and no socket. Requests beyond
// max_requests_in_flight wait in a queue, so the sockets in use stay bounded however many
// operations run.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <future>
#include <queue>
#include <thread>
#include <vector>

#include "client/engine/engine_operation.h"
#include "client/protocol/url.h"
#include "client/transport/curl_request.h"
#include "wire/thread_safety.h"

namespace lro::internal {

namespace asio = boost::asio;
using SteadyTime = std::chrono::steady_clock::time_point;

class EngineImpl {
 public:
  // Gets the answer by reference: the engine takes the response back afterwards, to lend its
  // room to a later request's (an answer that wants to keep it moves it out).
  using Answer = std::function<void(StatusOr<HttpResponse>&)>;

  explicit EngineImpl(const EngineOptions& options);
  ~EngineImpl();
  EngineImpl(const EngineImpl&) = delete;
  EngineImpl& operator=(const EngineImpl&) = delete;
  EngineImpl(EngineImpl&&) = delete;
  EngineImpl& operator=(EngineImpl&&) = delete;

  template <typename Task>
  void Post(Task&& task) {
    asio::post(io_, std::forward<Task>(task));
  }
  void Shutdown();

  // Engine thread only, below.
  // An id for the next Send: taken first, so a caller knows it even if the answer comes at once.
  std::uint64_t ReserveId() { return next_transfer_id_++; }
  // Queues request `id`. `answer` runs on the engine thread, once (maybe before Send returns).
  // `owner`, when given, is kept alive until `answer` has run: an answer that names its
  // operation by a plain pointer then fits std::function's inline storage (no allocation).
  void Send(std::uint64_t id, HttpRequest request, Answer answer,
            std::shared_ptr<EngineOperation> owner = nullptr);
  // Ends a queued or in-flight request: its answer gets kCancelled.
  void Abort(std::uint64_t id);
  void Schedule(std::shared_ptr<EngineOperation> operation, SteadyTime at,
                std::uint64_t generation);
  // Sends `operation`'s pending request as soon as a request slot is free: operations waiting
  // for one hold a place in a queue, not a built request, a curl handle or a socket.
  void Admit(std::shared_ptr<EngineOperation> operation);
  // Like Admit, but ahead of the queue: for an operation whose answer has just freed a slot.
  void Continue(std::shared_ptr<EngineOperation> operation);
  // A slot for a poll that asks to be held (EngineOptions::max_held_polls): true when one was
  // free and is now taken; ReleaseHeldPoll gives it back.
  bool TakeHeldPoll() {
    if (held_polls_ >= options_.max_held_polls) return false;
    ++held_polls_;
    return true;
  }
  void ReleaseHeldPoll() { --held_polls_; }
  void Track(EngineOperation* operation) {
    operation->running_slot = running_.size();
    running_.push_back(operation);
  }
  // (A no-op for an operation not tracked.)
  void Untrack(EngineOperation* operation) {
    const std::size_t slot = std::exchange(operation->running_slot, kNotRunning);
    if (slot == kNotRunning) return;
    running_[slot] = running_.back();
    running_[slot]->running_slot = slot;
    running_.pop_back();
  }
  [[nodiscard]] bool shut_down() const { return shut_down_; }

  // A consistent snapshot, taken on the loop thread (from another thread: waits for it).
  Engine::Stats stats();
  void set_record_lateness(bool on) { record_lateness_.store(on, std::memory_order_relaxed); }
  std::vector<std::int64_t> lateness() const {
    MutexLock lock(stats_mutex_);
    return lateness_;
  }

 private:
  // One request, from Send() to its answer; the curl request lives inside (one allocation).
  // Once answered it waits in idle_transfers_ with its curl handle for the next request, so
  // that the handle keeps every option that points into it (one allocation and a handful of
  // curl_easy_setopt fewer a request).
  struct Transfer {
    Transfer(std::uint64_t transfer_id, const CurlTransportOptions& options,
             const EnvironmentProxies& proxies, HttpRequest http, Answer on_answer,
             std::shared_ptr<EngineOperation> answer_owner)
        : id(transfer_id),
          request(options, proxies, std::move(http), CancellationToken()),
          answer(std::move(on_answer)),
          owner(std::move(answer_owner)) {}
    Transfer(const Transfer&) = delete;
    Transfer& operator=(const Transfer&) = delete;
    Transfer(Transfer&&) = delete;
    Transfer& operator=(Transfer&&) = delete;
    ~Transfer() {
      if (easy != nullptr) curl_easy_cleanup(easy);  // never in the multi handle by now
    }
    std::uint64_t id;
    CurlRequest request;
    Answer answer;
    std::shared_ptr<EngineOperation> owner;  // kept alive until the answer has run
    CURL* easy = nullptr;                    // its own handle, from its first start on
    bool configured_before = false;          // `easy` last carried this transfer's previous request
    std::size_t slot = 0;                    // its index in in_flight_, while in flight
  };
  struct Socket {
    Socket(asio::io_context& io, curl_socket_t fd) : descriptor(io, fd) {}
    asio::posix::stream_descriptor descriptor;
    int want = 0;  // what libcurl watches it for; 0 while it sits idle in libcurl's pool
    bool reading = false;
    bool writing = false;
    bool closed = false;
  };
  struct Due {
    SteadyTime at;
    std::uint64_t generation;
    std::shared_ptr<EngineOperation> operation;
    bool operator>(const Due& other) const { return at > other.at; }
  };

  static int OnSocket(CURL* easy, curl_socket_t fd, int what, void* self, void* socket_data);
  // libcurl opens and closes every connection's socket through these (CURLOPT_OPENSOCKETFUNCTION,
  // CURLOPT_CLOSESOCKETFUNCTION), so the loop learns when a socket number is given up: a later
  // socket under the same number never meets the closed one's registration with the loop.
  // (Telling them apart by inode instead took an fstat a request.)
  static curl_socket_t OnOpenSocket(void* self, curlsocktype purpose, curl_sockaddr* address);
  static int OnCloseSocket(void* self, curl_socket_t fd);
  // Ends the loop's registration of socket `fd`, if it has one.
  void Unregister(curl_socket_t fd);
  static int OnCurlTimer(CURLM* multi, long timeout_ms, void* self);
  // Waits for each direction libcurl wants the socket for (one pending wait per direction).
  void Watch(const std::shared_ptr<Socket>& socket, curl_socket_t fd);
  // One direction of Watch: `poll` is CURL_POLL_IN or _OUT, `pending` the flag of its wait,
  // `select` what to tell libcurl when the socket is ready (then it watches again).
  void WaitFor(const std::shared_ptr<Socket>& socket, curl_socket_t fd, int poll,
               bool Socket::*pending, asio::posix::stream_descriptor::wait_type wait, int select);
  // Ends the socket's registration with the loop; the file descriptor stays libcurl's.
  static void Forget(Socket& socket);
  void Action(curl_socket_t fd, int events);
  void CollectDone();
  void StartQueued();
  void Complete(std::unique_ptr<Transfer> transfer, StatusOr<HttpResponse> answer);
  // Removes in_flight_[slot] and hands it over.
  std::unique_ptr<Transfer> TakeInFlight(std::size_t slot);
  void ArmOperationTimer(SteadyTime at);
  void RunDue();

  EngineOptions options_;
  const EnvironmentProxies proxies_ = EnvironmentProxies::Read();  // read once, at creation
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::steady_timer curl_timer_;
  SteadyTime curl_timer_at_ = SteadyTime::max();  // when the pending curl timer fires
  // A "call me now" of libcurl's is posted and not yet run: later ones ride on it.
  bool curl_now_posted_ = false;
  asio::steady_timer operation_timer_;
  SteadyTime operation_timer_at_ = SteadyTime::max();
  CURLM* multi_ = nullptr;
  // Indexed by socket number (a lookup on every socket event, so no hash): the sockets the loop
  // watches, and which open sockets OnOpenSocket made. A connection's socket stays registered
  // while idle in libcurl's pool, until OnCloseSocket; any other socket of libcurl's (a
  // resolver's, say) is forgotten as soon as libcurl stops watching it.
  std::vector<std::shared_ptr<Socket>> sockets_;
  std::vector<bool> connections_;
  // sockets_[fd], grown to hold it.
  std::shared_ptr<Socket>& SocketAt(curl_socket_t fd) {
    const auto index = static_cast<std::size_t>(fd);
    if (index >= sockets_.size()) sockets_.resize(index + 1);
    return sockets_[index];
  }
  void SetConnection(curl_socket_t fd, bool is_connection) {
    const auto index = static_cast<std::size_t>(fd);
    if (index >= connections_.size()) connections_.resize(index + 1);
    connections_[index] = is_connection;
  }
  [[nodiscard]] bool IsConnection(curl_socket_t fd) const {
    const auto index = static_cast<std::size_t>(fd);
    return index < connections_.size() && connections_[index];
  }
  std::deque<std::unique_ptr<Transfer>> queued_;
  std::deque<std::shared_ptr<EngineOperation>> admitting_;
  // The transfers libcurl runs, each knowing its index (Transfer::slot): no node to allocate
  // per request, and a finished transfer leaves by a swap with the last.
  std::vector<std::unique_ptr<Transfer>> in_flight_;
  std::vector<std::pair<Transfer*, CURLcode>> done_;  // CollectDone's scratch, kept for its room
  std::vector<std::unique_ptr<Transfer>> idle_transfers_;  // answered, kept for reuse
  HttpResponse spare_response_;  // the last answer, once read: its room serves the next request
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
  // The operations begun and not finished, each knowing its index (running_slot): no node to
  // allocate per operation, and a finished one leaves by a swap with the last.
  static constexpr std::size_t kNotRunning = static_cast<std::size_t>(-1);
  std::vector<EngineOperation*> running_;
  std::uint64_t next_transfer_id_ = 1;
  int held_polls_ = 0;
  bool shut_down_ = false;

  std::uint64_t requests_ = 0;  // engine thread only (stats() reads it there)
  std::atomic<bool> record_lateness_{false};
  mutable Mutex stats_mutex_;
  std::vector<std::int64_t> lateness_ LRO_GUARDED_BY(stats_mutex_);

  std::thread thread_;
};

EngineImpl::EngineImpl(const EngineOptions& options)
    : options_(options),
      work_(asio::make_work_guard(io_)),
      curl_timer_(io_),
      operation_timer_(io_) {
  CurlGlobalInitOnce();
  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &EngineImpl::OnSocket);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &EngineImpl::OnCurlTimer);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
  curl_multi_setopt(multi_, CURLMOPT_MAX_HOST_CONNECTIONS,
                    static_cast<long>(std::max(options_.max_connections_per_host, 1)));
  curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS,
                    static_cast<long>(std::max(options_.max_connections_per_host, 1) * 4));
  options_.max_requests_in_flight = std::max(options_.max_requests_in_flight, 1);
  thread_ = std::thread([this] { io_.run(); });
}

EngineImpl::~EngineImpl() {
  Shutdown();
  for (auto& transfer : in_flight_) curl_multi_remove_handle(multi_, transfer->easy);
  in_flight_.clear();
  idle_transfers_.clear();
  for (auto& socket : sockets_) {
    if (socket) Forget(*socket);
  }
  sockets_.clear();
  curl_multi_cleanup(multi_);
}

void EngineImpl::Shutdown() {
  if (!thread_.joinable()) return;
  Post([this] {
    shut_down_ = true;
    const std::vector<EngineOperation*> running = running_;
    for (EngineOperation* operation : running) {
      operation->Finish(Status(StatusCode::kCancelled, "the engine was shut down"));
    }
    // Then the transfers: each one's answer holds its operation, which holds the engine.
    auto in_flight = std::move(in_flight_);
    in_flight_.clear();
    for (auto& transfer : in_flight) {
      curl_multi_remove_handle(multi_, transfer->easy);
      Complete(std::move(transfer), Status(StatusCode::kCancelled, "the engine was shut down"));
    }
    for (auto& transfer : queued_) {
      if (transfer) {
        Complete(std::move(transfer), Status(StatusCode::kCancelled, "the engine was shut down"));
      }
    }
    queued_.clear();
    admitting_.clear();
    while (!due_.empty()) due_.pop();
    work_.reset();
    io_.stop();
  });
  if (std::this_thread::get_id() == thread_.get_id()) {
    thread_.detach();  // destroyed from a completion: the loop ends after this handler
    return;
  }
  thread_.join();
}

void EngineImpl::Send(std::uint64_t id, HttpRequest request, Answer answer,
                      std::shared_ptr<EngineOperation> owner) {
  std::unique_ptr<Transfer> transfer;
  if (!idle_transfers_.empty()) {
    transfer = std::move(idle_transfers_.back());
    idle_transfers_.pop_back();
    transfer->id = id;
    transfer->request.Reuse(std::move(request), std::move(spare_response_));
    transfer->answer = std::move(answer);
    transfer->owner = std::move(owner);
  } else {
    transfer = std::make_unique<Transfer>(id, options_.transport, proxies_, std::move(request),
                                          std::move(answer), std::move(owner));
  }
  if (shut_down_) {
    Complete(std::move(transfer), Status(StatusCode::kCancelled, "the engine was shut down"));
    return;
  }
  queued_.push_back(std::move(transfer));
  StartQueued();
}

void EngineImpl::Admit(std::shared_ptr<EngineOperation> operation) {
  const auto limit = static_cast<std::size_t>(options_.max_requests_in_flight);
  if (admitting_.empty() && in_flight_.size() + queued_.size() < limit) {
    operation->SendPending();
    return;
  }
  admitting_.push_back(std::move(operation));
}

void EngineImpl::Continue(std::shared_ptr<EngineOperation> operation) {
  const auto limit = static_cast<std::size_t>(options_.max_requests_in_flight);
  if (in_flight_.size() + queued_.size() < limit) {
    operation->SendPending();
    return;
  }
  admitting_.push_back(std::move(operation));
}

void EngineImpl::StartQueued() {
  const auto limit = static_cast<std::size_t>(options_.max_requests_in_flight);
  // Admitted operations build their requests only now that there is room for them.
  while (!admitting_.empty() && in_flight_.size() + queued_.size() < limit) {
    std::shared_ptr<EngineOperation> operation = std::move(admitting_.front());
    admitting_.pop_front();
    operation->SendPending();  // queues one request (or none, if the operation ended)
  }
  while (!queued_.empty() && in_flight_.size() < limit) {
    std::unique_ptr<Transfer> transfer = std::move(queued_.front());
    queued_.pop_front();
    if (!transfer) continue;  // aborted while queued
    // A transfer's own handle keeps the options of its previous request.
    const bool fresh = transfer->easy == nullptr || !transfer->configured_before;
    if (transfer->easy == nullptr) transfer->easy = curl_easy_init();
    CURL* easy = transfer->easy;
    if (easy == nullptr) {
      Complete(std::move(transfer),
               Status(StatusCode::kInternal, "libcurl could not allocate a handle"));
      continue;
    }
    if (fresh) curl_easy_reset(easy);  // (a no-op on a new handle)
    transfer->configured_before = false;
    if (Status configured = transfer->request.Configure(easy, fresh); !configured.ok()) {
      Complete(std::move(transfer), std::move(configured));
      continue;
    }
    transfer->configured_before = true;
    if (fresh) {
      curl_easy_setopt(easy, CURLOPT_PRIVATE, transfer.get());
      curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, &EngineImpl::OnOpenSocket);
      curl_easy_setopt(easy, CURLOPT_OPENSOCKETDATA, this);
      curl_easy_setopt(easy, CURLOPT_CLOSESOCKETFUNCTION, &EngineImpl::OnCloseSocket);
      curl_easy_setopt(easy, CURLOPT_CLOSESOCKETDATA, this);
    }
    // Over TLS, wait for an HTTP/2 connection to multiplex on rather than opening another.
    if (transfer->request.request().url.starts_with("https:")) {
      curl_easy_setopt(easy, CURLOPT_PIPEWAIT, 1L);
    }
    transfer->slot = in_flight_.size();
    in_flight_.push_back(std::move(transfer));
    curl_multi_add_handle(multi_, easy);
  }
}

std::unique_ptr<EngineImpl::Transfer> EngineImpl::TakeInFlight(std::size_t slot) {
  std::unique_ptr<Transfer> transfer = std::move(in_flight_[slot]);
  if (slot + 1 != in_flight_.size()) {
    in_flight_[slot] = std::move(in_flight_.back());
    in_flight_[slot]->slot = slot;
  }
  in_flight_.pop_back();
  return transfer;
}

void EngineImpl::Abort(std::uint64_t id) {
  const auto it = std::find_if(in_flight_.begin(), in_flight_.end(),
                               [id](const auto& transfer) { return transfer->id == id; });
  if (it != in_flight_.end()) {
    std::unique_ptr<Transfer> transfer =
        TakeInFlight(static_cast<std::size_t>(it - in_flight_.begin()));
    curl_multi_remove_handle(multi_, transfer->easy);
    const Status cancelled = transfer->request.Cancelled();
    Complete(std::move(transfer), cancelled);
    StartQueued();
    return;
  }
  for (auto& transfer : queued_) {
    if (transfer && transfer->id == id) {
      const Status cancelled = transfer->request.Cancelled();
      Complete(std::move(transfer), cancelled);
      return;
    }
  }
}

void EngineImpl::Complete(std::unique_ptr<Transfer> transfer, StatusOr<HttpResponse> answer) {
  ++requests_;
  Answer callback = std::move(transfer->answer);
  const std::shared_ptr<EngineOperation> owner = std::move(transfer->owner);
  transfer->answer = nullptr;
  // Kept with its handle for a later request, up to one per request slot.
  if (!shut_down_ &&
      idle_transfers_.size() < static_cast<std::size_t>(options_.max_requests_in_flight)) {
    idle_transfers_.push_back(std::move(transfer));
  }
  transfer.reset();
  if (callback) callback(answer);
  if (answer.ok()) spare_response_ = std::move(*answer);
}

void EngineImpl::Forget(Socket& socket) {
  socket.closed = true;
  boost::system::error_code ignored;
  socket.descriptor.cancel(ignored);
  socket.descriptor.release();  // curl owns the file descriptor and closes it
}

int EngineImpl::OnSocket(CURL* /*easy*/, curl_socket_t fd, int what, void* self,
                         void* /*socket_data*/) {
  auto* engine = static_cast<EngineImpl*>(self);
  if (what == CURL_POLL_REMOVE) {
    // Most often a connection going idle in libcurl's pool, which the next request takes up
    // again: its socket stays registered with the loop, only its interest goes. (Registering
    // it anew each time cost three epoll_ctl and an ioctl per request cycle, and a socket
    // object.) OnCloseSocket ends that registration.
    std::shared_ptr<Socket>& socket = engine->SocketAt(fd);
    if (!socket) return 0;
    if (engine->IsConnection(fd)) {
      socket->want = 0;
    } else {
      engine->Unregister(fd);
    }
    return 0;
  }
  std::shared_ptr<Socket>& socket = engine->SocketAt(fd);
  if (!socket) socket = std::make_shared<Socket>(engine->io_, fd);
  socket->want = what;
  engine->Watch(socket, fd);
  return 0;
}

curl_socket_t EngineImpl::OnOpenSocket(void* self, curlsocktype purpose, curl_sockaddr* address) {
  auto* engine = static_cast<EngineImpl*>(self);
  const curl_socket_t fd =
      ::socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  if (fd < 0) return CURL_SOCKET_BAD;
  // A registration still under this number belongs to a socket closed behind the loop's back.
  engine->Unregister(fd);
  engine->SetConnection(fd, purpose == CURLSOCKTYPE_IPCXN);
  return fd;
}

int EngineImpl::OnCloseSocket(void* self, curl_socket_t fd) {
  auto* engine = static_cast<EngineImpl*>(self);
  engine->SetConnection(fd, false);
  engine->Unregister(fd);
  return ::close(fd);
}

void EngineImpl::Unregister(curl_socket_t fd) {
  std::shared_ptr<Socket>& socket = SocketAt(fd);
  if (!socket) return;
  Forget(*socket);
  socket.reset();
}

void EngineImpl::Watch(const std::shared_ptr<Socket>& socket, curl_socket_t fd) {
  WaitFor(socket, fd, CURL_POLL_IN, &Socket::reading, asio::posix::stream_descriptor::wait_read,
          CURL_CSELECT_IN);
  WaitFor(socket, fd, CURL_POLL_OUT, &Socket::writing, asio::posix::stream_descriptor::wait_write,
          CURL_CSELECT_OUT);
}

void EngineImpl::WaitFor(const std::shared_ptr<Socket>& socket, curl_socket_t fd, int poll,
                         bool Socket::*pending, asio::posix::stream_descriptor::wait_type wait,
                         int select) {
  if ((socket->want & poll) == 0 || (*socket).*pending) return;
  (*socket).*pending = true;
  socket->descriptor.async_wait(
      wait, [this, socket, fd, pending, select](const boost::system::error_code& ec) {
        (*socket).*pending = false;
        if (ec || socket->closed) return;
        if (socket->want == 0) return;  // idle in libcurl's pool: libcurl checks it on reuse
        Action(fd, select);
        if (!socket->closed) Watch(socket, fd);
      });
}

int EngineImpl::OnCurlTimer(CURLM* /*multi*/, long timeout_ms, void* self) {
  // Calling libcurl back earlier than it asked is harmless (it re-arms), so a pending timer
  // that fires no later than asked is kept: re-arming costs a timerfd syscall.
  auto* engine = static_cast<EngineImpl*>(self);
  if (timeout_ms < 0) return 0;
  if (timeout_ms == 0) {
    // "Now": a post costs no timer syscall, and libcurl asks for this after most transfers.
    // (Called from within libcurl, so the action must not run inside this callback.) One
    // pending post serves every request added before it runs: libcurl's timeout action runs
    // all the transfers whose time has come, so one per added request would repeat its fixed
    // cost for nothing.
    if (engine->curl_now_posted_) return 0;
    engine->curl_now_posted_ = true;
    asio::post(engine->io_, [engine] {
      engine->curl_now_posted_ = false;
      engine->Action(CURL_SOCKET_TIMEOUT, 0);
    });
    return 0;
  }
  const SteadyTime at = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  if (engine->curl_timer_at_ <= at) return 0;
  engine->curl_timer_at_ = at;
  engine->curl_timer_.expires_at(at);
  engine->curl_timer_.async_wait([engine](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed earlier, or shut down
    engine->curl_timer_at_ = SteadyTime::max();
    engine->Action(CURL_SOCKET_TIMEOUT, 0);
  });
  return 0;
}

void EngineImpl::Action(curl_socket_t fd, int events) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, events, &running);
  CollectDone();
}

void EngineImpl::CollectDone() {
  std::vector<std::pair<Transfer*, CURLcode>> done = std::move(done_);
  done.clear();
  int left = 0;
  while (CURLMsg* message = curl_multi_info_read(multi_, &left)) {
    if (message->msg != CURLMSG_DONE) continue;
    char* pointer = nullptr;
    curl_easy_getinfo(message->easy_handle, CURLINFO_PRIVATE, &pointer);
    done.emplace_back(reinterpret_cast<Transfer*>(pointer), message->data.result);
  }
  for (auto [raw, code] : done) {
    // (Every transfer curl reports is in flight: one aborted meanwhile left curl with it.)
    if (raw->slot >= in_flight_.size() || in_flight_[raw->slot].get() != raw) continue;
    std::unique_ptr<Transfer> transfer = TakeInFlight(raw->slot);
    curl_multi_remove_handle(multi_, transfer->easy);
    StatusOr<HttpResponse> answer = transfer->request.Finish(transfer->easy, code);
    Complete(std::move(transfer), std::move(answer));
  }
  done_ = std::move(done);
  StartQueued();
  // Polls that fell due while the loop was busy with sockets go now: the timer's own handler
  // would run only after every other ready handler of this turn.
  if (!due_.empty() && due_.top().at <= std::chrono::steady_clock::now()) RunDue();
}

void EngineImpl::Schedule(std::shared_ptr<EngineOperation> operation, SteadyTime at,
                          std::uint64_t generation) {
  due_.push(Due{at, generation, std::move(operation)});
  if (at < operation_timer_at_) ArmOperationTimer(at);
}

void EngineImpl::ArmOperationTimer(SteadyTime at) {
  operation_timer_at_ = at;
  operation_timer_.expires_at(at);
  operation_timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;  // re-armed for an earlier time, or shut down
    operation_timer_at_ = SteadyTime::max();
    RunDue();
  });
}

void EngineImpl::RunDue() {
  const SteadyTime now = std::chrono::steady_clock::now();
  const bool record = record_lateness_.load(std::memory_order_relaxed);
  while (!due_.empty() && due_.top().at <= now) {
    Due due = due_.top();
    due_.pop();
    if (record) {
      MutexLock lock(stats_mutex_);
      lateness_.push_back(
          std::chrono::duration_cast<std::chrono::microseconds>(now - due.at).count());
    }
    due.operation->OnTimer(due.generation);
  }
  // (A timer still armed for an earlier time fires at once and re-arms: no syscall here.)
  if (!due_.empty() && due_.top().at < operation_timer_at_) ArmOperationTimer(due_.top().at);
}

Engine::Stats EngineImpl::stats() {
  // The loop's containers are its own: read them on its thread, never under a lock the hot
  // path would pay for.
  auto snapshot = [this] {
    Engine::Stats stats;
    stats.requests = requests_;
    stats.operations_running = running_.size();
    stats.requests_in_flight = static_cast<int>(in_flight_.size());
    stats.requests_queued = static_cast<int>(queued_.size() + admitting_.size());
    return stats;
  };
  if (std::this_thread::get_id() == thread_.get_id()) return snapshot();
  std::promise<Engine::Stats> taken;
  std::future<Engine::Stats> stats = taken.get_future();
  Post([&] { taken.set_value(snapshot()); });
  return stats.get();
}

std::shared_ptr<EngineImpl> MakeEngineImpl(const EngineOptions& options) {
  return std::make_shared<EngineImpl>(options);
}
void ShutdownEngine(EngineImpl& engine) { engine.Shutdown(); }
Engine::Stats StatsOf(EngineImpl& engine) { return engine.stats(); }
void SetRecordLateness(EngineImpl& engine, bool on) { engine.set_record_lateness(on); }
std::vector<std::int64_t> LatenessOf(const EngineImpl& engine) { return engine.lateness(); }

// ---- EngineOperation ----

EngineOperation::EngineOperation(std::shared_ptr<EngineImpl> engine,
                                 std::shared_ptr<const ClientContext> context, LroMachine machine,
                                 Completion done, ProgressCallback progress)
    : engine_(std::move(engine)),
      context_(std::move(context)),
      done_(std::move(done)),
      progress_(std::move(progress)),
      machine_(std::move(machine)) {}

void EngineOperation::Begin() {
  engine_->Post([self = shared_from_this()] {
    if (self->engine_->shut_down()) {
      self->Finish(Status(StatusCode::kCancelled, "the engine was shut down"));
      return;
    }
    self->engine_->Track(self.get());
    self->Kick();
  });
}

bool EngineOperation::IsDone() const {
  MutexLock lock(mutex_);
  return machine_.done();
}

OperationState EngineOperation::State() const {
  MutexLock lock(mutex_);
  return machine_.state();
}

StatusOr<std::string> EngineOperation::ResumeToken() const {
  MutexLock lock(mutex_);
  return machine_.ResumeToken();
}

std::shared_future<StatusOr<Result>> EngineOperation::Future() const {
  MutexLock lock(mutex_);
  if (!promise_) {
    promise_.emplace();
    future_ = promise_->get_future().share();
    if (ended_) promise_->set_value(EndedOutcome());
  }
  return future_;
}

std::optional<StatusOr<Result>> EngineOperation::OutcomeIfEnded() const {
  MutexLock lock(mutex_);
  if (!ended_) return std::nullopt;
  return EndedOutcome();
}

StatusOr<Result> EngineOperation::EndedOutcome() const {
  if (machine_.done()) return machine_.outcome();
  return ended_early_;
}

std::string EngineOperation::OperationId() const {
  MutexLock lock(mutex_);
  return machine_.operation_id();
}

std::string EngineOperation::MonitorUrl() const {
  MutexLock lock(mutex_);
  return machine_.monitor_url();
}

std::string EngineOperation::PollingModeName() const {
  MutexLock lock(mutex_);
  return machine_.mode() == Mode::kUnknown ? std::string() : ModeName(machine_.mode());
}

void EngineOperation::AddProgress(ProgressCallback callback) {
  if (!callback) return;
  engine_->Post([self = shared_from_this(), callback = std::move(callback)]() mutable {
    if (!self->progress_) {
      self->progress_ = std::move(callback);
      return;
    }
    self->progress_ = [first = std::move(self->progress_),
                       next = std::move(callback)](const OperationState& state) {
      first(state);
      next(state);
    };
  });
}

void EngineOperation::Then(Completion continuation) {
  if (!continuation) return;
  // Already over (also when the engine is gone): at once, here.
  if (auto outcome = OutcomeIfEnded()) {
    continuation(std::move(*outcome));
    return;
  }
  engine_->Post([self = shared_from_this(), continuation = std::move(continuation)]() mutable {
    if (auto outcome = self->OutcomeIfEnded()) {
      continuation(std::move(*outcome));
      return;
    }
    if (!self->done_) {
      self->done_ = std::move(continuation);
      return;
    }
    self->done_ = [first = std::move(self->done_),
                   next = std::move(continuation)](StatusOr<Result> outcome) {
      first(outcome);
      next(std::move(outcome));
    };
  });
}

void EngineOperation::Stop() {
  engine_->Post([self = shared_from_this()] {
    if (self->finished_) return;
    if (self->transfer_ != 0) self->engine_->Abort(self->transfer_);
    self->Finish(Status(StatusCode::kStopped, "polling was stopped"));
  });
}

void EngineOperation::Cancel(std::function<void(Status)> done) {
  engine_->Post([self = shared_from_this(), done = std::move(done)]() mutable {
    bool starting = false;
    {
      MutexLock lock(self->mutex_);
      starting = !self->machine_.done() && self->machine_.phase() == Phase::kInitial;
    }
    if (starting && !self->finished_) {
      // No monitor to cancel yet: cancel as soon as the start is answered.
      self->deferred_cancel_ = std::move(done);
      self->cancel_deferred_ = true;
      return;
    }
    self->SendCancel(std::move(done));
  });
}

void EngineOperation::SendCancel(std::function<void(Status)> done) {
  auto reply = [&done](Status status) {
    if (done) done(std::move(status));
  };
  StatusOr<Outgoing> outgoing = Status();
  {
    MutexLock lock(mutex_);
    if (machine_.done() || finished_) {
      reply(Status());
      return;
    }
    outgoing = machine_.CancelRequest();
  }
  if (!outgoing.ok()) {
    reply(outgoing.status());
    return;
  }
  HttpRequest request = std::move(outgoing->request);
  if (Status added =
          AddCredentials(context_->credentials, outgoing->may_carry_credentials, request);
      !added.ok()) {
    reply(std::move(added));
    return;
  }
  Dispatch(engine_->ReserveId(), std::move(request),
           [self = shared_from_this(), done = std::move(done)](StatusOr<HttpResponse> answer) {
             Status status = answer.status();
             if (answer.ok()) {
               MutexLock lock(self->mutex_);
               status = self->machine_.OnCancelResponse(
                   *answer,
                   Instant{self->context_->clock->Now(), self->context_->clock->WallNow()});
             }
             if (done) done(status);
             if (self->transfer_ == 0 && !self->finished_) {
               ++self->generation_;
               self->Kick();
             }
           });
}

void EngineOperation::OnTimer(std::uint64_t generation) {
  if (generation != generation_ || finished_ || transfer_ != 0) return;
  engine_->Admit(shared_from_this());
}

EngineOperation::NextStep EngineOperation::ReadNextStep(MonotonicTime now) const {
  NextStep step;
  if (machine_.done()) {
    step.outcome = machine_.outcome();
  } else {
    step.at = machine_.next_at();
    step.due_now = machine_.immediate() || step.at <= now;
  }
  return step;
}

void EngineOperation::Kick(KickReason reason) {
  if (finished_) return;
  const MonotonicTime now = context_->clock->Now();
  NextStep step;
  {
    MutexLock lock(mutex_);
    step = ReadNextStep(now);
  }
  Proceed(std::move(step), reason, now);
}

void EngineOperation::Proceed(NextStep step, KickReason reason, MonotonicTime now) {
  if (finished_) return;
  if (step.outcome) {
    Finish(std::move(*step.outcome));  // outside the lock: the completion may read the state
    return;
  }
  if (step.due_now) {
    // An answer that calls for the next request at once has just freed this operation's slot:
    // it keeps the slot, up to kRequestsInARow times, so that it finishes (while its state is
    // still in the cache) rather than queuing again behind every waiting operation.
    if (reason == KickReason::kAnswered && ++requests_in_a_row_ < kRequestsInARow) {
      engine_->Continue(shared_from_this());
    } else {
      requests_in_a_row_ = 0;
      engine_->Admit(shared_from_this());
    }
    return;
  }
  requests_in_a_row_ = 0;
  ++generation_;
  engine_->Schedule(shared_from_this(), std::chrono::steady_clock::now() + (step.at - now),
                    generation_);
}

void EngineOperation::SendPending() {
  if (finished_ || transfer_ != 0) return;  // ended, or already sent, while waiting for a slot
  Outgoing outgoing;
  const bool may_wait = engine_->TakeHeldPoll();
  {
    MutexLock lock(mutex_);
    outgoing = may_wait ? machine_.PendingRequestThatMayWait() : machine_.PendingRequest();
  }
  holds_held_poll_ = outgoing.asks_to_wait;
  if (may_wait && !holds_held_poll_) engine_->ReleaseHeldPoll();
  if (Status added =
          AddCredentials(context_->credentials, outgoing.may_carry_credentials, outgoing.request);
      !added.ok()) {
    OnAnswer(std::move(added));
    return;
  }
  context_->logger.LogLazily(LogLevel::kDebug, [&] {
    return std::string(PurposeName(outgoing.purpose)) + ": " + outgoing.request.method + " " +
           RedactUrl(outgoing.request.url);
  });
  const std::uint64_t id = engine_->ReserveId();
  transfer_ = id;
  // The answer names the operation by a plain pointer, which fits std::function's inline
  // storage (a shared_ptr, not trivially copyable, would be allocated): the engine's transfer
  // holds the operation alive instead. (Each transfer answers exactly once, and transfer_
  // names the one in flight.)
  if (!context_->async_transport && !context_->custom_transport) {
    engine_->Send(
        id, std::move(outgoing.request),
        [self = this](StatusOr<HttpResponse>& answer) { self->OnAnswer(answer); },
        shared_from_this());
    return;
  }
  Dispatch(id, std::move(outgoing.request),
           [self = shared_from_this()](const StatusOr<HttpResponse>& answer) {
             self->OnAnswer(answer);
           });
}

void EngineOperation::Dispatch(std::uint64_t id, HttpRequest request,
                               std::function<void(StatusOr<HttpResponse>)> answer) {
  if (context_->async_transport) {
    // The caller's asynchronous transport answers on any thread: back to the loop with it.
    context_->async_transport->SendAsync(
        std::move(request),
        [engine = engine_, answer = std::move(answer)](StatusOr<HttpResponse> response) mutable {
          engine->Post([answer = std::move(answer), response = std::move(response)]() mutable {
            answer(std::move(response));
          });
        });
    return;
  }
  if (context_->custom_transport) {
    // A transport of the caller's (a scripted one in tests): called here, answered on the next
    // turn of the loop so that a chain of instant answers never deepens the stack.
    StatusOr<HttpResponse> response = context_->transport->Send(request, CancellationToken());
    engine_->Post([answer = std::move(answer), response = std::move(response)]() mutable {
      answer(std::move(response));
    });
    return;
  }
  engine_->Send(id, std::move(request), std::move(answer));
}

void EngineOperation::OnAnswer(const StatusOr<HttpResponse>& answer) {
  transfer_ = 0;  // (a stopped operation's abort lands here too, as kCancelled)
  if (std::exchange(holds_held_poll_, false)) engine_->ReleaseHeldPoll();
  if (finished_) return;
  if (!answer.ok() && answer.status().code() == StatusCode::kCancelled) return;
  std::optional<OperationState> changed;  // only computed for a progress callback
  const Instant now{context_->clock->Now(), context_->clock->WallNow()};
  NextStep step;  // read under the same lock as the answer, and at the same instant
  {
    MutexLock lock(mutex_);
    std::optional<OperationState> before;
    if (progress_) before = machine_.state();
    if (!machine_.done()) {
      if (answer.ok()) {
        machine_.OnResponse(*answer, now);
      } else {
        machine_.OnTransportError(answer.status(), now);
      }
    }
    if (before && !(*before == machine_.state())) changed = machine_.state();
    step = ReadNextStep(now.mono);
  }
  if (changed) progress_(*changed);
  if (cancel_deferred_) {
    bool started = false;
    {
      MutexLock lock(mutex_);
      started = machine_.phase() != Phase::kInitial;
    }
    if (started) {
      cancel_deferred_ = false;
      SendCancel(std::move(deferred_cancel_));
    }
  }
  Proceed(std::move(step), KickReason::kAnswered, now.mono);
}

void EngineOperation::Finish(StatusOr<Result> outcome) {
  if (finished_) return;
  finished_ = true;
  ++generation_;
  engine_->Untrack(this);
  if (cancel_deferred_) {
    // The operation ended before its start was answered: there is nothing left to cancel.
    cancel_deferred_ = false;
    if (deferred_cancel_) deferred_cancel_(Status());
  }
  {
    MutexLock lock(mutex_);
    ended_ = true;
    if (!machine_.done()) ended_early_ = outcome.status();
    if (promise_) promise_->set_value(outcome);
  }
  if (done_) done_(std::move(outcome));
}

}  // namespace lro::internal
