// take_frame_batch: the frames queued on one connection, cut into one gathered write. The
// binary server, the internode server and the internode client all write this way: whatever
// was queued since the last write goes out in the next one, up to a bound.
#pragma once

#include <boost/asio/buffer.hpp>
#include <cstddef>
#include <deque>
#include <string>
#include <vector>

namespace pairdb::net {

// Moves up to `frames_max` frames from the front of `outbox` into `batch` (cleared first) and
// returns one buffer per frame, valid while `batch` is unchanged.
inline std::vector<boost::asio::const_buffer> take_frame_batch(std::deque<std::string>& outbox,
                                                               std::vector<std::string>& batch,
                                                               size_t frames_max) {
  batch.clear();
  while (!outbox.empty() && batch.size() < frames_max) {
    batch.push_back(std::move(outbox.front()));
    outbox.pop_front();
  }
  std::vector<boost::asio::const_buffer> buffers;
  buffers.reserve(batch.size());
  for (const std::string& frame : batch) buffers.push_back(boost::asio::buffer(frame));
  return buffers;
}

}  // namespace pairdb::net
