// The co_await face (and every other Asio completion token: callbacks, use_future, …).
// A separate header so that only code which wants Asio pays for its headers:
//
//   boost::asio::awaitable<void> Create(lro::Client& client) {
//     lro::StatusOr<lro::Result> result = co_await lro::AsyncRun(
//         client, lro::Request::Post(url).Json(body), {}, boost::asio::use_awaitable);
//   }
//
// With g++ 12, pass named variables rather than temporaries to a co_await'ed call (GCC bug
// 101367 destroys such temporaries wrongly).
//
// Per-operation cancellation (boost::asio::cancellation_signal, awaitable operators, timeouts)
// stops polling: the operation completes with kStopped and goes on server-side.
#pragma once

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <memory>
#include <string>
#include <utility>

#include "lro/client.h"

namespace lro {

namespace detail {

// Completes `token` with the outcome of the operation `launch(done)` starts on an engine (or
// at once with why it could not start), on the executor associated with the handler.
template <typename CompletionToken, typename Launch>
auto AsyncLaunch(Launch launch, CompletionToken&& token) {
  return boost::asio::async_initiate<CompletionToken, void(StatusOr<Result>)>(
      [launch = std::move(launch)](auto handler) mutable {
        using Handler = decltype(handler);
        auto slot = boost::asio::get_associated_cancellation_slot(handler);
        auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
        auto shared = std::make_shared<Handler>(std::move(handler));
        Completion complete = [shared, work](StatusOr<Result> outcome) mutable {
          auto executor = work.get_executor();
          // The handler is consumed on its own executor; the copies left here hold only a
          // moved-from shell.
          boost::asio::post(executor,
                            [handler = std::move(shared), outcome = std::move(outcome)]() mutable {
                              std::move (*handler)(std::move(outcome));
                            });
          work.reset();
        };
        StatusOr<AsyncOperation> operation = launch(complete);
        if (!operation.ok()) {
          complete(operation.status());
          return;
        }
        if (slot.is_connected()) {
          slot.assign(
              [operation = *operation](boost::asio::cancellation_type) { operation.Stop(); });
        }
      },
      token);
}

}  // namespace detail

// Starts an operation on `client`'s engine and completes with its outcome, on the executor
// associated with the completion handler. `client` must outlive the operation.
template <typename CompletionToken>
auto AsyncRun(Client& client, Request request, OperationOptions options, CompletionToken&& token) {
  // The request travels in a shared_ptr captured by the initiation rather than as an argument
  // of async_initiate: g++ 12 destroys class-type arguments of use_awaitable's initiation twice.
  auto arguments = std::make_shared<std::pair<Request, OperationOptions>>(std::move(request),
                                                                          std::move(options));
  return detail::AsyncLaunch(
      [&client, arguments](Completion done) -> StatusOr<AsyncOperation> {
        return client.StartAsync(arguments->first, std::move(done), arguments->second);
      },
      std::forward<CompletionToken>(token));
}

// As AsyncRun, for an operation rebuilt from a resume token (Client::ResumeAsync); a token
// that cannot be used completes at once with kInvalidArgument.
template <typename CompletionToken>
auto AsyncResume(Client& client, std::string resume_token, OperationOptions options,
                 CompletionToken&& token) {
  auto arguments = std::make_shared<std::pair<std::string, OperationOptions>>(
      std::move(resume_token), std::move(options));
  return detail::AsyncLaunch(
      [&client, arguments](Completion done) {
        return client.ResumeAsync(arguments->first, std::move(done), arguments->second);
      },
      std::forward<CompletionToken>(token));
}

// As AsyncRun, for an existing status monitor (Client::WatchAsync); a URL that is not absolute
// completes at once with kInvalidArgument.
template <typename CompletionToken>
auto AsyncWatch(Client& client, std::string monitor_url, OperationOptions options,
                CompletionToken&& token) {
  auto arguments = std::make_shared<std::pair<std::string, OperationOptions>>(
      std::move(monitor_url), std::move(options));
  return detail::AsyncLaunch(
      [&client, arguments](Completion done) {
        return client.WatchAsync(arguments->first, std::move(done), arguments->second);
      },
      std::forward<CompletionToken>(token));
}

}  // namespace lro
