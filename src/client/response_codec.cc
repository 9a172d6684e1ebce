#include "client/response_codec.h"

#include <optional>
#include <string>

#include <fmt/format.h>

#include "client/error_mapping.h"
#include "net/wire.h"

namespace pairdb::client {
namespace {

using flatbuffers::Offset;
using flatbuffers::Vector;

std::string bytes_of(const Vector<uint8_t>* v) {
  return v == nullptr ? std::string()
                      : std::string(reinterpret_cast<const char*>(v->data()), v->size());
}
std::string text_of(const flatbuffers::String* s) {
  return s == nullptr ? std::string() : s->str();
}

std::vector<Sibling> siblings_of(const Vector<Offset<wire::Sibling>>* v) {
  std::vector<Sibling> out;
  if (v == nullptr) return out;
  out.reserve(v->size());
  for (const wire::Sibling* s : *v) {
    out.push_back(Sibling{bytes_of(s->value()), text_of(s->content_type()), s->timestamp(),
                          s->expires_at_ms(), s->tombstone()});
  }
  return out;
}

TableInfo table_info_of(const wire::TableInfo* t) {
  TableInfo info;
  if (t == nullptr) return info;
  if (const wire::TableSpec* s = t->spec(); s != nullptr) {
    info.spec.name = text_of(s->name());
    info.spec.owner = text_of(s->owner());
    if (s->replication() != nullptr) {
      for (const wire::DcReplication* r : *s->replication()) {
        info.spec.replication.push_back(DcReplication{text_of(r->dc()), r->rf()});
      }
    }
    info.spec.read_consistency = static_cast<Consistency>(s->read_consistency());
    info.spec.write_consistency = static_cast<Consistency>(s->write_consistency());
    info.spec.conflict_mode = static_cast<ConflictMode>(s->conflict_mode());
    info.spec.default_ttl_ms = s->default_ttl_ms();
    info.spec.siblings_warn = s->siblings_warn();
    info.spec.siblings_max = s->siblings_max();
    info.spec.read_repair = static_cast<ReadRepair>(s->read_repair());
    info.spec.sloppy_quorum = !s->sloppy_quorum_off();
  }
  info.table_id = t->table_id();
  info.created_at_ms = t->created_at_ms();
  info.schema_version = t->schema_version();
  return info;
}

std::vector<NodeInfo> nodes_of(const Vector<Offset<wire::NodeInfo>>* v) {
  std::vector<NodeInfo> out;
  if (v == nullptr) return out;
  for (const wire::NodeInfo* n : *v) {
    NodeInfo node{text_of(n->node_id()), text_of(n->address()), text_of(n->http_address()),
                  text_of(n->dc()),      text_of(n->rack()),    text_of(n->state())};
    if (n->tokens() != nullptr) node.tokens.assign(n->tokens()->begin(), n->tokens()->end());
    node.liveness = text_of(n->liveness());
    node.load_bytes = n->load_bytes();
    out.push_back(std::move(node));
  }
  return out;
}

KeyValues entries_of(const Vector<Offset<wire::KeyValue>>* v) {
  KeyValues out;
  if (v == nullptr) return out;
  for (const wire::KeyValue* kv : *v)
    out.entries.emplace_back(text_of(kv->key()), text_of(kv->value()));
  return out;
}

// The Error a frame stands for when it is not the response to `opcode`: the error it carries,
// or kProtocol for a frame of another kind or opcode. Nullopt for the response to `opcode`.
std::optional<Error> error_of(const net::Frame& frame, net::Opcode opcode) {
  if (frame.header.is_error()) return decode_error_frame(frame);
  if (frame.header.is_response() && frame.header.opcode == opcode) return std::nullopt;
  return Error{Errc::kProtocol,
               fmt::format("expected a {} response, got opcode {} with flags {:#x}",
                           net::opcode_name(opcode), static_cast<int>(frame.header.opcode),
                           frame.header.flags)};
}

// Checks the frame answers `opcode`, verifies it as WireT and converts it.
template <class WireT, class Convert>
auto decode(const net::Frame& frame, net::Opcode opcode, Convert convert)
    -> Expected<decltype(convert(std::declval<const WireT&>()))> {
  if (std::optional<Error> error = error_of(frame, opcode)) return *std::move(error);
  auto payload = net::verify_payload<WireT>(frame.payload_bytes());
  if (!payload.is_ok()) return Error{Errc::kProtocol, std::string(payload.status().message())};
  return convert(**payload);
}

}  // namespace

Error decode_error_frame(const net::Frame& frame) {
  auto payload = net::verify_payload<wire::Error>(frame.payload_bytes());
  if (!payload.is_ok()) {
    return Error{Errc::kProtocol,
                 "undecodable error frame: " + std::string(payload.status().message())};
  }
  const wire::Error& e = **payload;
  std::string message = text_of(e.message());
  if (message.empty()) message = std::string(net::error_code_name(e.code()));
  return Error{errc_from_wire(e.code()), std::move(message), e.required(), e.achieved()};
}

Expected<PutResult> decode_put(const net::Frame& frame) {
  return decode<wire::PutResponse>(frame, net::Opcode::kPut, [](const wire::PutResponse& r) {
    return PutResult{bytes_of(r.context()), r.duplicate()};
  });
}

Expected<GetResult> decode_get(const net::Frame& frame) {
  return decode<wire::GetResponse>(frame, net::Opcode::kGet, [](const wire::GetResponse& r) {
    return GetResult{r.found(), siblings_of(r.siblings()), bytes_of(r.context())};
  });
}

Expected<DeleteResult> decode_delete(const net::Frame& frame) {
  return decode<wire::DeleteResponse>(
      frame, net::Opcode::kDelete,
      [](const wire::DeleteResponse& r) { return DeleteResult{bytes_of(r.context())}; });
}

Expected<QueryResult> decode_query(const net::Frame& frame) {
  return decode<wire::QueryResponse>(frame, net::Opcode::kQuery, [](const wire::QueryResponse& r) {
    QueryResult result;
    if (r.items() != nullptr) {
      result.items.reserve(r.items()->size());
      for (const wire::QueryItem* item : *r.items()) {
        result.items.push_back(QueryItem{bytes_of(item->sort_key()), siblings_of(item->siblings()),
                                         bytes_of(item->context())});
      }
    }
    result.next_page_token = bytes_of(r.next_page_token());
    return result;
  });
}

Expected<TableInfo> decode_create_table(const net::Frame& frame) {
  return decode<wire::CreateTableResponse>(
      frame, net::Opcode::kCreateTable,
      [](const wire::CreateTableResponse& r) { return table_info_of(r.table()); });
}

Expected<Empty> decode_empty(const net::Frame& frame, net::Opcode opcode) {
  if (std::optional<Error> error = error_of(frame, opcode)) return *std::move(error);
  // Verified as the response table of `opcode`, whichever it is.
  Status verified = net::verify_response(opcode, frame.payload_bytes());
  if (!verified.is_ok()) return Error{Errc::kProtocol, std::string(verified.message())};
  return Empty{};
}

Expected<TableInfo> decode_describe_table(const net::Frame& frame) {
  return decode<wire::DescribeTableResponse>(
      frame, net::Opcode::kDescribeTable,
      [](const wire::DescribeTableResponse& r) { return table_info_of(r.table()); });
}

Expected<std::vector<TableInfo>> decode_list_tables(const net::Frame& frame) {
  return decode<wire::ListTablesResponse>(frame, net::Opcode::kListTables,
                                          [](const wire::ListTablesResponse& r) {
                                            std::vector<TableInfo> tables;
                                            if (r.tables() != nullptr) {
                                              for (const wire::TableInfo* t : *r.tables())
                                                tables.push_back(table_info_of(t));
                                            }
                                            return tables;
                                          });
}

Expected<PingResult> decode_ping(const net::Frame& frame) {
  return decode<wire::PingResponse>(frame, net::Opcode::kPing, [](const wire::PingResponse& r) {
    return PingResult{text_of(r.node_id()), r.uptime_ms()};
  });
}

Expected<HelloInfo> decode_hello(const net::Frame& frame) {
  return decode<wire::HelloResponse>(frame, net::Opcode::kHello, [](const wire::HelloResponse& r) {
    return HelloInfo{r.protocol_version(), text_of(r.node_id()), text_of(r.cluster_name()),
                     text_of(r.server_version()), r.max_frame_bytes()};
  });
}

Expected<Topology> decode_topology(const net::Frame& frame) {
  return decode<wire::TopologyResponse>(
      frame, net::Opcode::kTopology, [](const wire::TopologyResponse& r) {
        return Topology{text_of(r.partitioner()), nodes_of(r.nodes()), r.ring_version()};
      });
}

Expected<ClusterStatus> decode_status(const net::Frame& frame) {
  return decode<wire::StatusResponse>(
      frame, net::Opcode::kStatus, [](const wire::StatusResponse& r) {
        return ClusterStatus{text_of(r.node_id()), nodes_of(r.nodes())};
      });
}

Expected<KeyValues> decode_info(const net::Frame& frame) {
  return decode<wire::InfoResponse>(frame, net::Opcode::kInfo, [](const wire::InfoResponse& r) {
    return entries_of(r.entries());
  });
}

Expected<KeyValues> decode_table_stats(const net::Frame& frame) {
  return decode<wire::TableStatsResponse>(
      frame, net::Opcode::kTableStats,
      [](const wire::TableStatsResponse& r) { return entries_of(r.entries()); });
}

Expected<Endpoints> decode_get_endpoints(const net::Frame& frame) {
  return decode<wire::GetEndpointsResponse>(
      frame, net::Opcode::kGetEndpoints, [](const wire::GetEndpointsResponse& r) {
        return Endpoints{r.token(), nodes_of(r.nodes()), r.natural_count(), r.ring_version()};
      });
}

Expected<ReplicaCopies> decode_get_replicas(const net::Frame& frame) {
  return decode<wire::GetReplicasResponse>(
      frame, net::Opcode::kGetReplicas, [](const wire::GetReplicasResponse& r) {
        ReplicaCopies copies{r.token(), {}};
        if (r.replicas() != nullptr) {
          for (const wire::ReplicaCopy* c : *r.replicas()) {
            copies.replicas.push_back(ReplicaCopy{text_of(c->node_id()), text_of(c->address()),
                                                  text_of(c->error()), c->found(),
                                                  siblings_of(c->siblings()), text_of(c->context()),
                                                  c->digest(), c->agrees(), c->is_self()});
          }
        }
        return copies;
      });
}

Expected<ClusterDescription> decode_describe_cluster(const net::Frame& frame) {
  return decode<wire::DescribeClusterResponse>(
      frame, net::Opcode::kDescribeCluster, [](const wire::DescribeClusterResponse& r) {
        ClusterDescription d{text_of(r.cluster_name()),
                             text_of(r.partitioner()),
                             {},
                             r.schema_agreement(),
                             r.ring_version()};
        if (r.schema_versions() != nullptr) {
          for (const wire::SchemaVersion* v : *r.schema_versions()) {
            SchemaVersionHolders holders{v->version(), {}};
            if (v->node_ids() != nullptr) {
              for (const flatbuffers::String* id : *v->node_ids()) {
                holders.node_ids.push_back(text_of(id));
              }
            }
            d.schema_versions.push_back(std::move(holders));
          }
        }
        return d;
      });
}

Expected<GossipInfo> decode_gossip_info(const net::Frame& frame) {
  return decode<wire::GossipInfoResponse>(
      frame, net::Opcode::kGossipInfo, [](const wire::GossipInfoResponse& r) {
        GossipInfo info{text_of(r.node_id()), {}};
        if (r.members() != nullptr) {
          for (const wire::GossipMember* m : *r.members()) {
            info.members.push_back(
                GossipMember{text_of(m->node_id()), text_of(m->gossip_address()), m->incarnation(),
                             text_of(m->status()), m->schema_version(), m->load_bytes(),
                             text_of(m->software_version()), text_of(m->dc()), text_of(m->rack()),
                             text_of(m->liveness()), m->meta_version()});
          }
        }
        return info;
      });
}

namespace {

std::vector<HandoffTarget> handoff_targets_of(const Vector<Offset<wire::HandoffTarget>>* v) {
  std::vector<HandoffTarget> out;
  if (v == nullptr) return out;
  for (const wire::HandoffTarget* t : *v) {
    out.push_back(HandoffTarget{text_of(t->node_id()), t->hints(), t->bytes(),
                                t->oldest_created_wall_ms(), text_of(t->state()),
                                text_of(t->liveness())});
  }
  return out;
}

std::vector<RepairRange> repair_ranges_of(const Vector<Offset<wire::RepairRange>>* v) {
  std::vector<RepairRange> out;
  if (v == nullptr) return out;
  for (const wire::RepairRange* r : *v) {
    out.push_back(RepairRange{r->table_id(), text_of(r->table()), r->range_start(), r->range_end(),
                              text_of(r->reason()), r->marked_wall_ms(), r->hints_dropped()});
  }
  return out;
}

}  // namespace

Expected<HandoffStatus> decode_handoff_status(const net::Frame& frame) {
  return decode<wire::HandoffStatusResponse>(
      frame, net::Opcode::kHandoffStatus, [](const wire::HandoffStatusResponse& r) {
        HandoffStatus status;
        status.targets = handoff_targets_of(r.targets());
        status.paused_all = r.paused_all();
        status.stored = r.stored();
        status.delivered = r.delivered();
        status.delivered_bytes = r.delivered_bytes();
        status.failed_attempts = r.failed_attempts();
        status.total_bytes = r.total_bytes();
        if (r.dropped() != nullptr) {
          for (const wire::HintDropCount* d : *r.dropped()) {
            status.dropped.emplace_back(text_of(d->reason()), d->count());
          }
        }
        status.repair_ranges = repair_ranges_of(r.repair_ranges());
        status.repair_ranges_total = r.repair_ranges_total();
        return status;
      });
}

Expected<HandoffControlResult> decode_handoff_control(const net::Frame& frame) {
  return decode<wire::HandoffControlResponse>(
      frame, net::Opcode::kHandoffControl,
      [](const wire::HandoffControlResponse& r) { return HandoffControlResult{r.affected()}; });
}

Expected<RepairRunResult> decode_repair_run(const net::Frame& frame) {
  return decode<wire::RepairRunResponse>(
      frame, net::Opcode::kRepairRun,
      [](const wire::RepairRunResponse& r) { return RepairRunResult{r.job_id()}; });
}

namespace {

RepairSession repair_session_of(const wire::RepairSession& s) {
  RepairSession session;
  session.table = text_of(s.table());
  session.range = TokenRange{s.range_start(), s.range_end()};
  if (s.peers() != nullptr) {
    for (const flatbuffers::String* peer : *s.peers()) session.peers.push_back(text_of(peer));
  }
  session.progress = s.progress();
  session.background = s.background();
  session.records_differing = s.records_differing();
  session.records_fetched = s.records_fetched();
  session.records_pushed = s.records_pushed();
  session.bytes_sent = s.bytes_sent();
  session.bytes_received = s.bytes_received();
  return session;
}

RepairJob repair_job_of(const wire::RepairJob& j) {
  RepairJob job;
  job.id = j.id();
  job.state = text_of(j.state());
  job.table = text_of(j.table());
  job.started_wall_ms = j.started_wall_ms();
  job.finished_wall_ms = j.finished_wall_ms();
  job.ranges_total = j.ranges_total();
  job.ranges_done = j.ranges_done();
  job.ranges_failed = j.ranges_failed();
  job.progress = j.progress();
  job.records_differing = j.records_differing();
  job.records_exchanged = j.records_exchanged();
  job.bytes_exchanged = j.bytes_exchanged();
  job.error = text_of(j.error());
  return job;
}

RepairRangeState repair_range_state_of(const wire::RepairRangeState& r) {
  return RepairRangeState{text_of(r.table()),
                          TokenRange{r.range_start(), r.range_end()},
                          r.last_verified_wall_ms(),
                          r.records_differing(),
                          r.marked(),
                          r.overdue(),
                          r.running()};
}

}  // namespace

Expected<RepairStatus> decode_repair_status(const net::Frame& frame) {
  return decode<wire::RepairStatusResponse>(
      frame, net::Opcode::kRepairStatus, [](const wire::RepairStatusResponse& r) {
        RepairStatus status;
        if (r.sessions() != nullptr) {
          for (const wire::RepairSession* s : *r.sessions()) {
            status.sessions.push_back(repair_session_of(*s));
          }
        }
        if (r.jobs() != nullptr) {
          for (const wire::RepairJob* j : *r.jobs()) status.jobs.push_back(repair_job_of(*j));
        }
        if (r.ranges() != nullptr) {
          for (const wire::RepairRangeState* range : *r.ranges()) {
            status.ranges.push_back(repair_range_state_of(*range));
          }
        }
        status.ranges_total = r.ranges_total();
        status.interval_ms = r.interval_ms();
        status.rate_bytes_per_sec = r.rate_bytes_per_sec();
        return status;
      });
}

}  // namespace pairdb::client
