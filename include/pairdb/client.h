// The pairdb C++ SDK. Include this one header and link pairdb::client
// (find_package(pairdb) after `cmake --install`).
//
//   pairdb::client::Client db({.contact_points = {"127.0.0.1:7000"}});
//   auto put = db.put({.table = "kv", .partition_key = "user:1", .value = "hello"});
//   auto got = db.get({.table = "kv", .partition_key = "user:1"});
//   if (got && got->found) use(got->siblings[0].value);
//
// - Client (pairdb/client/blocking_client.h): blocking calls returning Expected<T>; owns its
//   io threads.
// - AsyncClient (pairdb/client/async_client.h): the same operations with Asio completion
//   tokens (callbacks, use_awaitable, use_future); each completes with one Expected<T>.
// - Expected<T>, Error and Errc (pairdb/client/error.h): the typed error set.
// - Requests, results, table and node metadata (pairdb/client/types.h).
// - ClientOptions (pairdb/client/options.h): pool sizes, deadlines, retries, topology refresh.
#pragma once

#include <pairdb/client/async_client.h>
#include <pairdb/client/blocking_client.h>
#include <pairdb/client/error.h>
#include <pairdb/client/options.h>
#include <pairdb/client/types.h>
