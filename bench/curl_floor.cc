// curl_floor: the raw libcurl floor for the client-engine benchmark. It makes R plain GETs with
// libcurl multi alone (curl_multi_socket_action on epoll, the cheapest way libcurl offers), C at a
// time, reusing C easy handles and keep-alive connections under the same per-host connection cap
// as the engine. No LRO logic, no JSON, no timers: what is left is the transport's own cost, the
// figure the engine's CPU per request is held to (DESIGN.md, performance targets).
//
//   curl_floor --url URL --requests R [--concurrency C] [--max-connections M]
//              [--header LINE]... [--parsed-url 1]
//
// Two variants, to see where libcurl's cost goes (the floor itself uses neither):
//   --header LINE     adds a request header line to every request (e.g. lro's
//                     `User-Agent: lro/0.1`): what sending the same bytes as lro costs;
//   --parsed-url 1    gives libcurl the URL parsed once (CURLOPT_CURLU) instead of as text,
//                     which libcurl otherwise parses and writes back out for every request.
//
// Last line of output: {"requests":R,"failed":F,"elapsed_ms":E}. Exit status 1 if any failed.
#include <curl/curl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

[[noreturn]] void Usage(const char* message) {
  std::fprintf(stderr,
               "curl_floor: %s\nusage: curl_floor --url URL --requests R [--concurrency C] "
               "[--max-connections M] [--header LINE]... [--parsed-url 1]\n",
               message);
  std::exit(2);
}

std::optional<long> ParsePositive(std::string_view text) {
  long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

size_t Discard(char*, size_t size, size_t count, void*) { return size * count; }

// The state curl's socket and timer callbacks update.
struct Loop {
  CURLM* multi = nullptr;
  int epoll_fd = -1;
  std::optional<Clock::time_point> deadline;  // curl's timer; nullopt when none is set
};

int OnSocket(CURL*, curl_socket_t fd, int what, void* userp, void* socketp) {
  auto* loop = static_cast<Loop*>(userp);
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, fd, nullptr);
    curl_multi_assign(loop->multi, fd, nullptr);
    return 0;
  }
  epoll_event ev{};
  ev.events =
      ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
  ev.data.fd = fd;
  if (socketp == nullptr) {  // first time curl tells us about this socket
    if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, fd, &ev);
    }
    curl_multi_assign(loop->multi, fd, loop);  // any non-null marker: "registered"
  } else {
    epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, fd, &ev);
  }
  return 0;
}

int OnTimer(CURLM*, long timeout_ms, void* userp) {
  auto* loop = static_cast<Loop*>(userp);
  if (timeout_ms < 0) {
    loop->deadline.reset();
  } else {
    loop->deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url;
  long requests = 0;
  long concurrency = 64;
  long max_connections = 64;
  curl_slist* header_lines = nullptr;
  bool parsed_once = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc) Usage("missing value");
    std::string_view value = argv[++i];
    auto number = [&] {
      auto parsed = ParsePositive(value);
      if (!parsed) Usage("bad number");
      return *parsed;
    };
    if (arg == "--url") {
      url = value;
    } else if (arg == "--requests") {
      requests = number();
    } else if (arg == "--concurrency") {
      concurrency = number();
    } else if (arg == "--max-connections") {
      max_connections = number();
    } else if (arg == "--parsed-url") {
      parsed_once = value == "1";
    } else if (arg == "--header") {
      header_lines = curl_slist_append(header_lines, std::string(value).c_str());
    } else {
      Usage("unknown flag");
    }
  }
  if (url.empty() || requests == 0) Usage("--url and --requests are required");

  curl_global_init(CURL_GLOBAL_DEFAULT);
  Loop loop;
  loop.multi = curl_multi_init();
  loop.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (loop.multi == nullptr || loop.epoll_fd < 0) {
    std::fprintf(stderr, "curl_floor: init failed\n");
    return 1;
  }
  curl_multi_setopt(loop.multi, CURLMOPT_SOCKETFUNCTION, OnSocket);
  curl_multi_setopt(loop.multi, CURLMOPT_SOCKETDATA, &loop);
  curl_multi_setopt(loop.multi, CURLMOPT_TIMERFUNCTION, OnTimer);
  curl_multi_setopt(loop.multi, CURLMOPT_TIMERDATA, &loop);
  curl_multi_setopt(loop.multi, CURLMOPT_MAX_HOST_CONNECTIONS, max_connections);
  curl_multi_setopt(loop.multi, CURLMOPT_MAXCONNECTS, max_connections);

  std::vector<CURL*> handles(static_cast<std::size_t>(std::min(concurrency, requests)));
  CURLU* parsed_url = nullptr;
  if (parsed_once) {
    parsed_url = curl_url();
    curl_url_set(parsed_url, CURLUPART_URL, url.c_str(),
                 CURLU_GUESS_SCHEME | CURLU_NON_SUPPORT_SCHEME);
  }
  for (CURL*& easy : handles) {
    easy = curl_easy_init();
    curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
    if (parsed_url != nullptr) curl_easy_setopt(easy, CURLOPT_CURLU, parsed_url);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, Discard);
    if (header_lines != nullptr) curl_easy_setopt(easy, CURLOPT_HTTPHEADER, header_lines);
  }

  auto started = Clock::now();
  long issued = 0;
  long done = 0;
  long failed = 0;
  for (CURL* easy : handles) {
    curl_multi_add_handle(loop.multi, easy);
    ++issued;
  }
  int still_running = 0;
  std::vector<epoll_event> events(256);
  while (done < requests) {
    int wait_ms = 1000;
    if (loop.deadline) {
      auto left = std::chrono::ceil<std::chrono::milliseconds>(*loop.deadline - Clock::now());
      wait_ms = static_cast<int>(std::clamp<long long>(left.count(), 0, 1000));
    }
    int n = epoll_wait(loop.epoll_fd, events.data(), static_cast<int>(events.size()), wait_ms);
    for (int i = 0; i < n; ++i) {
      int flags = ((events[i].events & EPOLLIN) != 0 ? CURL_CSELECT_IN : 0) |
                  ((events[i].events & EPOLLOUT) != 0 ? CURL_CSELECT_OUT : 0) |
                  ((events[i].events & (EPOLLERR | EPOLLHUP)) != 0 ? CURL_CSELECT_ERR : 0);
      curl_multi_socket_action(loop.multi, events[i].data.fd, flags, &still_running);
    }
    if (loop.deadline && Clock::now() >= *loop.deadline) {
      loop.deadline.reset();
      curl_multi_socket_action(loop.multi, CURL_SOCKET_TIMEOUT, 0, &still_running);
    }
    int queued = 0;
    while (CURLMsg* message = curl_multi_info_read(loop.multi, &queued)) {
      if (message->msg != CURLMSG_DONE) continue;
      CURL* easy = message->easy_handle;
      long status = 0;
      curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
      if (message->data.result != CURLE_OK || status != 200) {
        if (++failed <= 5) {
          std::fprintf(stderr, "curl_floor: request failed: %s, HTTP %ld\n",
                       curl_easy_strerror(message->data.result), status);
        }
      }
      ++done;
      curl_multi_remove_handle(loop.multi, easy);
      if (issued < requests) {
        curl_multi_add_handle(loop.multi, easy);
        ++issued;
      }
    }
  }
  double elapsed_ms = std::chrono::duration<double, std::milli>(Clock::now() - started).count();

  for (CURL* easy : handles) curl_easy_cleanup(easy);
  curl_multi_cleanup(loop.multi);
  curl_slist_free_all(header_lines);
  curl_url_cleanup(parsed_url);
  close(loop.epoll_fd);
  curl_global_cleanup();
  std::printf("{\"requests\":%ld,\"failed\":%ld,\"elapsed_ms\":%.1f}\n", done, failed, elapsed_ms);
  return failed == 0 ? 0 : 1;
}
