#include "sim/lib/scenarios.h"

#include "common/assert.h"

namespace pairdb::sim {

using namespace std::chrono_literals;
using gossip::MemberEventKind;

namespace {

constexpr Duration kCheckStep = 100ms;

// Dead declarations, from index `from_event` on, about nodes that were up and not paused.
uint64_t count_false_dead(const GossipCluster& c, size_t from_event, size_t ignore = SIZE_MAX) {
  uint64_t n = 0;
  for (size_t e = from_event; e < c.events().size(); ++e) {
    const RecordedEvent& r = c.events()[e];
    if (r.event.kind != MemberEventKind::kDead) continue;
    auto target = c.index_of(r.event.id);
    if (target && *target != ignore && c.is_up(*target)) ++n;
  }
  return n;
}

bool all_live_see(const GossipCluster& c, size_t target,
                  const std::function<bool(const gossip::Member*)>& pred) {
  for (size_t i = 0; i < c.size(); ++i) {
    if (i == target || !c.is_up(i)) continue;
    if (!pred(const_cast<GossipCluster&>(c).core(i)->find(c.id(target)))) return false;
  }
  return true;
}

// Advances in small steps until cond() or limit; returns elapsed seconds or -1.
double wait_for(Simulation& sim, Duration limit, const std::function<bool()>& cond) {
  const Instant start = sim.now();
  while (sim.now() - start <= limit) {
    if (cond()) return (sim.now() - start).count() / 1e6;
    sim.run_until(sim.now() + kCheckStep);
  }
  return -1;
}

// Whether every node in [begin, end) sees every other one there alive, with metadata.
bool group_converged(GossipCluster& c, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) {
    if (!c.is_up(i)) return false;
    for (size_t j = begin; j < end; ++j) {
      if (j == i) continue;
      const gossip::Member* m = c.core(i)->find(c.id(j));
      if (m == nullptr || m->state.liveness != gossip::Liveness::kAlive || !m->meta) return false;
    }
  }
  return true;
}

// Whether any node in [begin, end) knows any node outside it, in any state.
bool group_knows_outsider(GossipCluster& c, size_t begin, size_t end) {
  for (size_t i = begin; i < end; ++i) {
    if (!c.is_up(i)) continue;
    for (size_t j = 0; j < c.size(); ++j) {
      if ((j < begin || j >= end) && c.core(i)->find(c.id(j)) != nullptr) return true;
    }
  }
  return false;
}

}  // namespace

double run_until_converged(Simulation& sim, GossipCluster& c, Duration limit, Duration step) {
  const Instant start = sim.now();
  while (sim.now() - start <= limit) {
    sim.run_until(sim.now() + step);
    if (c.converged()) return (sim.now() - start).count() / 1e6;
  }
  return -1;
}

CrashReport run_crash(const ScenarioOptions& o) {
  Simulation sim(o.seed);
  Network net(sim, o.network);
  GossipCluster c(sim, net, o.cluster);
  c.start_all();
  CrashReport r;
  r.formed = run_until_converged(sim, c, o.form_limit) >= 0;
  if (!r.formed) return r;
  sim.run_until(sim.now() + Duration(static_cast<int64_t>(sim.rng().uniform(1'000'000))));
  const size_t victim = sim.rng().uniform(c.size());
  const size_t first_event = c.events().size();
  const Instant crashed_at = sim.now();
  c.crash(victim);
  const double t = wait_for(sim, o.duration, [&] {
    return all_live_see(c, victim, [](const gossip::Member* m) {
      return m == nullptr || m->state.liveness == gossip::Liveness::kDead;
    });
  });
  r.detected = t >= 0;
  r.detect_all_s = t;
  for (size_t e = first_event; e < c.events().size(); ++e) {
    const RecordedEvent& ev = c.events()[e];
    if (ev.event.kind == MemberEventKind::kDead && ev.event.id == c.id(victim)) {
      r.detect_first_s = (ev.at - crashed_at).count() / 1e6;
      break;
    }
  }
  r.false_dead = count_false_dead(c, first_event, victim);
  return r;
}

DisseminationReport run_dissemination(const ScenarioOptions& o) {
  Simulation sim(o.seed);
  Network net(sim, o.network);
  GossipCluster c(sim, net, o.cluster);
  c.start_all();
  DisseminationReport r;
  r.formed = run_until_converged(sim, c, o.form_limit) >= 0;
  if (!r.formed) return r;
  const size_t origin = sim.rng().uniform(c.size());
  const uint64_t version = c.core(origin)->self_state().schema_version + 1;
  c.set_schema_version(origin, version);  // Announced at the node's next housekeeping.
  double t = wait_for(sim, o.duration, [&] {
    return all_live_see(c, origin, [&](const gossip::Member* m) {
      return m != nullptr && m->state.schema_version >= version;
    });
  });
  r.schema_reached_all = t >= 0;
  r.schema_all_s = t;
  const size_t joiner = c.add_node();
  c.start(joiner);
  t = wait_for(sim, o.duration, [&] {
    return all_live_see(c, joiner, [](const gossip::Member* m) {
      return m != nullptr && m->state.liveness == gossip::Liveness::kAlive && m->meta.has_value();
    });
  });
  r.join_reached_all = t >= 0;
  r.join_all_s = t;
  return r;
}

SteadyReport run_steady(const ScenarioOptions& o, bool pause_node, double pause_s) {
  Simulation sim(o.seed);
  NetworkConfig forming = o.network;
  if (o.form_loss) forming.loss = *o.form_loss;
  Network net(sim, forming);
  GossipCluster c(sim, net, o.cluster);
  const Instant formed_from = sim.now();
  c.start_all();
  SteadyReport r;
  r.formed = run_until_converged(sim, c, o.form_limit) >= 0;
  if (!r.formed) return r;
  r.settle_s = wait_for(sim, o.form_limit, [&] { return c.queued_broadcasts() == 0; });
  const size_t first_event = c.events().size();
  const uint64_t messages_before = net.total_messages();
  const uint64_t bytes_before = net.total_bytes();
  r.formation_s = (sim.now() - formed_from).count() / 1e6;
  const double formation_node_s = static_cast<double>(c.size()) * r.formation_s;
  r.formation_messages_per_node_s = static_cast<double>(messages_before) / formation_node_s;
  r.formation_bytes_per_node_s = static_cast<double>(bytes_before) / formation_node_s;
  const auto by_type_before = c.messages_by_type();
  r.queued_at_start = c.queued_broadcasts();
  net.config().loss = o.network.loss;
  const Instant start = sim.now();
  size_t paused = SIZE_MAX;
  if (pause_node) {
    paused = sim.rng().uniform(c.size());
    sim.schedule_after(o.duration / 2, [&c, paused, pause_s] {
      c.pause(paused, Duration(static_cast<int64_t>(pause_s * 1e6)));
    });
  }
  sim.run_until(start + o.duration);
  const double seconds = (sim.now() - start).count() / 1e6;
  r.node_hours = static_cast<double>(c.size()) * seconds / 3600.0;
  r.false_dead = count_false_dead(c, first_event, paused);
  for (size_t e = first_event; e < c.events().size(); ++e) {
    const RecordedEvent& ev = c.events()[e];
    auto target = c.index_of(ev.event.id);
    if (ev.event.kind == MemberEventKind::kDead && target && *target != paused &&
        c.is_up(*target)) {
      r.false_dead_events.push_back({(ev.at - start).count() / 1e6, ev.observer, *target});
    }
  }
  for (size_t e = first_event; e < c.events().size(); ++e) {
    const RecordedEvent& ev = c.events()[e];
    auto target = c.index_of(ev.event.id);
    if (ev.event.kind == MemberEventKind::kSuspect && target && *target != paused) {
      ++r.false_suspect;
    }
  }
  const double node_seconds = static_cast<double>(c.size()) * seconds;
  r.messages_per_node_s =
      static_cast<double>(net.total_messages() - messages_before) / node_seconds;
  r.bytes_per_node_s = static_cast<double>(net.total_bytes() - bytes_before) / node_seconds;
  for (size_t t = 0; t < GossipCluster::kBodyTypes; ++t) {
    r.messages_by_type[t] =
        static_cast<double>(c.messages_by_type()[t] - by_type_before[t]) / node_seconds;
  }
  r.queued_at_end = c.queued_broadcasts();
  r.incarnation_violations = c.incarnation_violations();
  return r;
}

PartitionReport run_partition(const ScenarioOptions& o, double split_s) {
  Simulation sim(o.seed);
  Network net(sim, o.network);
  GossipCluster c(sim, net, o.cluster);
  c.start_all();
  PartitionReport r;
  r.formed = run_until_converged(sim, c, o.form_limit) >= 0;
  if (!r.formed) return r;
  std::vector<std::string> left;
  std::vector<std::string> right;
  for (size_t i = 0; i < c.size(); ++i) (i % 2 == 0 ? left : right).push_back(c.addr(i));
  net.partition(left, right);
  sim.run_until(sim.now() + Duration(static_cast<int64_t>(split_s * 1e6)));
  r.split_detected = c.sees_dead(0, 1) && c.sees_dead(1, 0);
  net.heal();
  const double t = run_until_converged(sim, c, o.duration, kCheckStep);
  r.healed = t >= 0;
  r.heal_converge_s = t;
  return r;
}

RestartReport run_restart(const ScenarioOptions& o) {
  Simulation sim(o.seed);
  Network net(sim, o.network);
  GossipCluster c(sim, net, o.cluster);
  c.start_all();
  RestartReport r;
  r.formed = run_until_converged(sim, c, o.form_limit) >= 0;
  if (!r.formed) return r;
  const size_t victim = c.size() - 1;  // Not a seed.
  const std::vector<ring::Token> tokens = c.core(victim)->self_meta().tokens;
  c.crash(victim);
  r.declared_dead = wait_for(sim, o.duration, [&] {
                      return all_live_see(c, victim, [](const gossip::Member* m) {
                        return m == nullptr || m->state.liveness == gossip::Liveness::kDead;
                      });
                    }) >= 0;
  c.restart(victim);
  const double t = run_until_converged(sim, c, o.duration, kCheckStep);
  r.rejoined = t >= 0;
  r.rejoin_s = t;
  r.incarnation_after = c.core(victim)->self_state().incarnation;
  const gossip::Member* seen = c.core(0)->find(c.id(victim));
  r.same_tokens = seen != nullptr && seen->meta && seen->meta->tokens == tokens;
  return r;
}

ForeignClusterReport run_foreign_cluster(const ScenarioOptions& o, size_t other_nodes) {
  Simulation sim(o.seed);
  Network net(sim, o.network);
  GossipCluster c(sim, net, o.cluster);
  const size_t first = c.size();
  std::vector<size_t> seeds;
  for (size_t s = 0; s < std::min(o.cluster.seeds, first); ++s) seeds.push_back(s);
  seeds.push_back(first);
  for (size_t k = 0; k < other_nodes; ++k) c.add_node(o.cluster.cluster_id + 1, seeds);
  c.start_all();
  ForeignClusterReport r;
  const auto crossed = [&] {
    return group_knows_outsider(c, 0, first) || group_knows_outsider(c, first, c.size());
  };
  r.formed = wait_for(sim, o.form_limit, [&] {
               r.crossed = r.crossed || crossed();
               return group_converged(c, 0, first) && group_converged(c, first, c.size());
             }) >= 0;
  wait_for(sim, o.duration, [&] {
    r.crossed = r.crossed || crossed();
    return false;
  });
  r.foreign_dropped = c.arrivals(gossip::Arrival::kForeignCluster);
  return r;
}

LoadPacingReport run_load_pacing(const ScenarioOptions& o, Duration change_every) {
  Simulation sim(o.seed);
  Network net(sim, o.network);
  GossipCluster c(sim, net, o.cluster);
  uint64_t load = 1'000'000;
  c.set_load(0, load);
  c.start_all();
  LoadPacingReport r;
  r.formed = run_until_converged(sim, c, o.form_limit) >= 0;
  if (!r.formed) return r;
  const uint64_t announced_before = c.endpoint(0).load_announcements();
  const Instant end = sim.now() + o.duration;
  while (sim.now() < end) {
    load += load / 50;
    c.set_load(0, load);
    ++r.offered_changes;
    sim.run_until(sim.now() + change_every);
  }
  r.announcements = c.endpoint(0).load_announcements() - announced_before;
  // The last change is announced within one pacing period, then spreads.
  const Duration settle = gossip::kLoadAnnouncePeriodMin +
                          gossip::kLoadAnnouncePeriodPerMember * static_cast<int64_t>(c.size()) +
                          std::chrono::seconds(10);
  r.latest_reached_all = wait_for(sim, settle, [&] {
                           return all_live_see(c, 0, [&](const gossip::Member* m) {
                             return m != nullptr && m->state.load_bytes == load;
                           });
                         }) >= 0;
  return r;
}

}  // namespace pairdb::sim
