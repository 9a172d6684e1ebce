// Reply<T>: how a service answers. Every service call completes through a callback rather than
// by returning, so a frontend never needs to know whether an answer came from the local disk,
// a worker thread or W remote acknowledgements. A Reply is called exactly once.
#pragma once

#include <functional>

#include <pairdb/status.h>

namespace pairdb::server {

template <typename T>
using Reply = std::function<void(Result<T>)>;

}  // namespace pairdb::server
