// Bridges the services' callback API (Reply<T>) into Asio coroutines: `co_await
// await_reply<T>([&](Reply<T> done) { service.read(..., std::move(done)); })` suspends until
// the service answers, then resumes on the coroutine's own executor.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <memory>

#include "server/api/item_service.h"

namespace pairdb::server {

template <typename T, typename Start>
boost::asio::awaitable<Result<T>> await_reply(Start start) {
  namespace asio = boost::asio;
  return asio::async_initiate<const asio::use_awaitable_t<>, void(Result<T>)>(
      [start = std::move(start)](auto handler) mutable {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        start(Reply<T>([shared](Result<T> result) {
          auto executor = asio::get_associated_executor(*shared);
          asio::post(executor, [shared, result = std::move(result)]() mutable {
            (*shared)(std::move(result));
          });
        }));
      },
      asio::use_awaitable);
}

}  // namespace pairdb::server
