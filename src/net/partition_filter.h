// PartitionFilter: the test-only network fault hook. A node given a partition file drops all
// gossip and internode traffic between itself and the hosts that file lists, as if the network
// between them were cut: the cluster tests use it to partition a node away and heal it,
// without root and without touching other processes.
// Never enabled in production: without the config key testing.partition_file (flag
// `--testing.partition_file PATH`) the daemon builds no filter at all.
//
// The file holds one host per line (an IP literal, as the peers' addresses spell it); blank
// lines and lines starting with '#' are ignored; a missing or empty file blocks nothing. The
// daemon re-reads it every 100 ms (PartitionFilter::reload).
//
// Thread-safe: any thread may ask blocks() while another reloads.
#pragma once

#include <atomic>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <pairdb/status.h>

namespace pairdb::net {

class PartitionFilter {
 public:
  explicit PartitionFilter(std::string path);

  // Re-reads the file. A missing file blocks nothing; one that cannot be read keeps the
  // previous set (and says why).
  Status reload();

  // Whether traffic with `host_or_address` ("10.0.0.3", "10.0.0.3:7402", "[::1]:7402") is cut.
  bool blocks(std::string_view host_or_address) const;

  const std::string& path() const { return path_; }

  // The host part of "host:port" ("[v6]:port" gives "v6"); a bare host is returned as is.
  static std::string_view host_of(std::string_view host_or_address);

 private:
  const std::string path_;
  std::atomic<bool> any_{false};  // Fast path: nothing blocked.
  mutable std::mutex mutex_;
  std::vector<std::string> hosts_;  // GUARDED_BY(mutex_).
};

}  // namespace pairdb::net
