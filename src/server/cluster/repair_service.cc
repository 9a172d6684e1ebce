#include "server/cluster/repair_service.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <set>

#include <fmt/format.h>

#include "common/assert.h"
#include "replication/placement.h"
#include "replication/table_meta.h"
#include "server/cluster/repair_wire.h"
#include "server/cluster/replication_driver.h"
#include "server/log.h"

namespace pairdb::server {

namespace asio = boost::asio;
using replication::RepairOutbox;
using replication::RepairReply;
using replication::RepairRequest;

namespace {

constexpr size_t kJobsKept = 8;

std::string raw_node(const ring::NodeId& id) {
  return std::string(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
}

// The parts of `a` inside `b`, as (start, end] ranges.
std::vector<ring::TokenRange> intersect(const ring::TokenRange& a, const ring::TokenRange& b) {
  std::vector<ring::TokenRange> out;
  for (const auto& [alo, ahi] : ring::inclusive_intervals(a)) {
    for (const auto& [blo, bhi] : ring::inclusive_intervals(b)) {
      const ring::Token lo = std::max(alo, blo);
      const ring::Token hi = std::min(ahi, bhi);
      if (lo > hi) continue;
      out.push_back(ring::TokenRange{lo - 1, hi});  // lo 0 gives start UINT64_MAX: from 0.
    }
  }
  return out;
}

bool overlaps(const ring::TokenRange& a, const ring::Token first, const ring::Token last) {
  for (const auto& [lo, hi] : ring::inclusive_intervals(a)) {
    if (lo <= last && first <= hi) return true;
  }
  return false;
}

}  // namespace

std::string_view repair_job_state_name(RepairJobState state) {
  switch (state) {
    case RepairJobState::kRunning:
      return "running";
    case RepairJobState::kDone:
      return "done";
    case RepairJobState::kFailed:
      return "failed";
  }
  return "unknown";
}

struct RepairService::Running {
  Unit unit;
  bool background = false;
  uint64_t job_id = 0;  // 0 for a background session.
  std::unique_ptr<replication::RepairSession> session;
  std::unique_ptr<asio::steady_timer> timer;
};

struct RepairService::Job {
  RepairJobView view;
  std::deque<Unit> queue;  // Not started yet.
  std::set<uint64_t> sessions;
  bool full = false;
};

RepairService::RepairService(RepairServiceOptions options, asio::io_context& client_io,
                             net::InternodeClient* client, const replication::ClusterView* cluster,
                             const Catalog* catalog, replication::RepairStorage* storage,
                             replication::RepairHistory* history, replication::HintStore* hints)
    : options_(std::move(options)),
      client_io_(client_io),
      client_(client),
      cluster_(cluster),
      catalog_(catalog),
      storage_(storage),
      history_(history),
      hints_(hints),
      check_timer_(io_),
      rng_(options_.self.bytes[0] * 0x9e3779b97f4a7c15ULL ^
           static_cast<uint64_t>(options_.clock->monotonic().us()) ^
           std::hash<ring::NodeId>{}(options_.self)),
      responder_(
          storage,
          [catalog](replication::TableId id) -> std::optional<replication::ConflictMode> {
            auto table = catalog->find_by_id(id);
            if (table == nullptr) return std::nullopt;
            return table->spec.conflict_mode;
          },
          &checked_history_),
      scheduler_(options_.self, {options_.interval_ms, options_.max_sessions}) {
  PAIRDB_ASSERT(options_.clock != nullptr && client_ && cluster_ && catalog_ && storage_ &&
                history_);
  published_.interval_ms = options_.interval_ms;
  published_.rate_bytes_per_sec = options_.rate_bytes_per_sec;
}

RepairService::~RepairService() { stop(); }

void RepairService::start() {
  work_.emplace(asio::make_work_guard(io_));
  thread_ = std::thread([this] {
    name_this_thread("pdb-repair");
    if (Status s = set_thread_priority(options_.cpu_priority); !s.is_ok()) {
      PAIRDB_LOG_WARN("repair", "the repair thread keeps the normal CPU priority: {}",
                      s.to_string());
    }
    io_.run();
  });
  asio::post(io_, [this] { check(); });
}

void RepairService::stop() {
  if (stopped_.exchange(true)) return;
  if (!thread_.joinable()) return;
  // Running sessions are abandoned where they are (nothing they did needs undoing; they are
  // destroyed with the service). Handlers still queued, and replies the InternodeClient posts
  // later, never run.
  work_.reset();
  io_.stop();
  thread_.join();
}

Status RepairService::CheckedHistory::on_repair_done(const replication::RepairDoneRequest& done) {
  if (!service_->replicas_current(done.table, done.range, done.replicas)) {
    return Status::invalid_argument(
        "the range's replicas differ from this node's ring: not recorded as repaired");
  }
  return service_->history_->on_repair_done(done);
}

bool RepairService::replicas_current(replication::TableId table, const ring::TokenRange& range,
                                     std::vector<ring::NodeId> replicas) const {
  std::sort(replicas.begin(), replicas.end());
  if (std::find(replicas.begin(), replicas.end(), options_.self) == replicas.end()) return false;
  for (const Unit& unit : units()) {
    if (unit.table != table || unit.replicas != replicas) continue;
    // The unit must hold every token of `range`.
    const auto inside = intersect(range, unit.range);
    uint64_t covered = 0;
    for (const auto& part : inside) covered += static_cast<uint64_t>(part.end - part.start);
    if (covered == static_cast<uint64_t>(range.end - range.start) && !inside.empty()) return true;
  }
  return false;
}

void RepairService::serve(RepairRequest request, std::function<void(Result<RepairReply>)> answer) {
  asio::post(io_, [this, request = std::move(request), answer = std::move(answer)] {
    const Instant began = options_.clock->monotonic();
    Result<RepairReply> reply = responder_.handle(request, began);
    {
      std::lock_guard lock(mu_);
      ++counters_.responder_requests;
      counters_.responder_us +=
          static_cast<uint64_t>((options_.clock->monotonic() - began).count());
    }
    answer(std::move(reply));
  });
}

std::vector<RepairService::Unit> RepairService::units() const {
  std::vector<Unit> out;
  const auto ring = cluster_->ring();
  if (ring == nullptr || ring->node_count() == 0) return out;
  for (const replication::TableInfo& table : catalog_->list()) {
    const ring::ReplicationSpec spec = replication::replication_spec_of(table.spec);
    if (!spec.validate().is_ok()) continue;
    for (ring::ReplicatedRange& r : ring->replicated_ranges(spec)) {
      if (std::find(r.replicas.begin(), r.replicas.end(), options_.self) == r.replicas.end()) {
        continue;
      }
      out.push_back(Unit{table.id, table.spec.name, table.spec.conflict_mode, r.range,
                         std::move(r.replicas)});
    }
  }
  return out;
}

void RepairService::arm_check() {
  if (stopped_) return;
  check_timer_.expires_after(options_.check_interval);
  check_timer_.async_wait([this](const boost::system::error_code& error) {
    if (!error) check();
  });
}

void RepairService::check() {
  if (stopped_) return;
  const uint64_t now_ms = options_.clock->wall_ms();
  const auto snapshot = cluster_->snapshot();
  const std::vector<Unit> all = units();
  std::vector<replication::RepairMark> marks;
  if (hints_ != nullptr) {
    auto loaded = hints_->repair_marks();
    if (loaded.is_ok()) marks = std::move(loaded).value();
  }
  std::vector<replication::RepairCandidate> candidates;
  candidates.reserve(all.size());
  for (const Unit& unit : all) {
    replication::RepairCandidate c;
    c.table = unit.table;
    c.range = unit.range;
    c.replicas = unit.replicas;
    c.all_alive = std::all_of(unit.replicas.begin(), unit.replicas.end(), [&](const auto& id) {
      if (id == options_.self) return true;
      const replication::ClusterMember* m = snapshot->find(id);
      return m != nullptr && replication::reachable(m->liveness) && m->meta != nullptr;
    });
    c.last_verified_ms = history_->verification(unit.table, unit.range).completed_wall_ms;
    c.marked = std::any_of(marks.begin(), marks.end(), [&](const replication::RepairMark& m) {
      return m.table == unit.table && overlaps(unit.range, m.range_start, m.range_end);
    });
    for (const auto& [id, r] : running_) {
      if (r->unit.table == unit.table && r->unit.range == unit.range) c.running = true;
    }
    // A range whose last session failed waits a little before the next try.
    auto failed = failed_at_ms_.find({unit.table, unit.range.start, unit.range.end});
    if (failed != failed_at_ms_.end() && now_ms < failed->second + 30'000) c.all_alive = false;
    candidates.push_back(std::move(c));
  }

  // Health per table, and a log line when a range turns overdue.
  std::map<std::string, RepairTableHealth> health;
  for (size_t i = 0; i < all.size(); ++i) {
    RepairTableHealth& h = health[all[i].table_name];
    h.table = all[i].table_name;
    const uint64_t verified = candidates[i].last_verified_ms;
    if (h.ranges == 0 || verified < h.oldest_verified_wall_ms) h.oldest_verified_wall_ms = verified;
    ++h.ranges;
    if (scheduler_.overdue(candidates[i], now_ms)) ++h.ranges_overdue;
  }
  std::vector<RepairTableHealth> health_list;
  for (auto& [name, h] : health) {
    uint32_t& logged = overdue_logged_[name];
    if (h.ranges_overdue > 0 && h.ranges_overdue != logged) {
      PAIRDB_LOG_WARN("repair",
                      "table '{}': {} of {} ranges not verified within repair.interval_ms ({} "
                      "ms); oldest verified at {} ms",
                      name, h.ranges_overdue, h.ranges, options_.interval_ms,
                      h.oldest_verified_wall_ms);
    }
    logged = h.ranges_overdue;
    health_list.push_back(h);
  }
  {
    std::lock_guard lock(mu_);
    health_ = std::move(health_list);
  }

  // Background sessions only while no on-demand job waits for a slot.
  const bool jobs_waiting = std::any_of(jobs_.begin(), jobs_.end(), [](const auto& job) {
    return job->view.state == RepairJobState::kRunning && !job->queue.empty();
  });
  if (!jobs_waiting) {
    for (size_t index : scheduler_.pick(candidates, now_ms)) {
      start_session(all[index], /*background=*/true, 0);
    }
  }
  publish();
  arm_check();
}

void RepairService::run(RepairRunRequest request, std::function<void(Result<uint64_t>)> done) {
  asio::post(io_, [this, request = std::move(request), done = std::move(done)] {
    if (!request.table.empty() && catalog_->find(request.table) == nullptr) {
      done(Status::table_not_found(fmt::format("no table '{}'", request.table)));
      return;
    }
    auto job = std::make_unique<Job>();
    job->full = request.full;
    for (const Unit& unit : units()) {
      if (!request.table.empty() && unit.table_name != request.table) continue;
      if (!request.range) {
        job->queue.push_back(unit);
        continue;
      }
      for (const ring::TokenRange& part : intersect(unit.range, *request.range)) {
        Unit clipped = unit;
        clipped.range = part;
        job->queue.push_back(std::move(clipped));
      }
    }
    if (job->queue.empty()) {
      done(Status::invalid_argument(
          request.table.empty()
              ? std::string("this node replicates no range to repair")
              : fmt::format("this node replicates no range of table '{}'{}", request.table,
                            request.range ? " in that range" : "")));
      return;
    }
    job->view.id = next_job_id_++;
    job->view.table = request.table;
    job->view.started_wall_ms = options_.clock->wall_ms();
    job->view.ranges_total = static_cast<uint32_t>(job->queue.size());
    const uint64_t id = job->view.id;
    jobs_.push_front(std::move(job));
    while (jobs_.size() > kJobsKept && jobs_.back()->view.state != RepairJobState::kRunning) {
      jobs_.pop_back();
    }
    PAIRDB_LOG_INFO("repair", "job {} started: table {}, {} ranges", id,
                    request.table.empty() ? "(all)" : request.table,
                    jobs_.front()->view.ranges_total);
    advance_jobs();
    publish();  // Listed before its id is answered: the caller polls for it next.
    done(id);
  });
}

void RepairService::advance_jobs() {
  if (advancing_) {  // Called back from a session that finished as it started.
    advance_again_ = true;
    return;
  }
  advancing_ = true;
  do {
    advance_again_ = false;
    advance_jobs_once();
  } while (advance_again_);
  advancing_ = false;
}

void RepairService::advance_jobs_once() {
  // Oldest job first.
  for (auto it = jobs_.rbegin(); it != jobs_.rend(); ++it) {
    Job& job = **it;
    if (job.view.state != RepairJobState::kRunning) continue;
    while (!job.queue.empty() && running_.size() < options_.max_sessions) {
      Unit unit = std::move(job.queue.front());
      job.queue.pop_front();
      const bool busy = std::any_of(running_.begin(), running_.end(), [&](const auto& r) {
        return r.second->unit.table == unit.table && r.second->unit.range == unit.range;
      });
      if (busy) {  // A background session has it: wait for it.
        job.queue.push_back(std::move(unit));
        break;
      }
      if (!start_session(unit, /*background=*/false, job.view.id)) {
        ++job.view.ranges_failed;
        if (job.view.error.empty()) {
          job.view.error = fmt::format("a replica of table '{}' range ({:#x}, {:#x}] is down",
                                       unit.table_name, unit.range.start, unit.range.end);
        }
      }
    }
    if (job.queue.empty() && job.sessions.empty() && job.view.state == RepairJobState::kRunning) {
      job.view.state = job.view.ranges_failed > 0 ? RepairJobState::kFailed : RepairJobState::kDone;
      job.view.finished_wall_ms = options_.clock->wall_ms();
      job.view.progress = 1.0;
      PAIRDB_LOG_INFO("repair",
                      "job {} {}: {} ranges, {} failed, {} records differed, {} exchanged, {} "
                      "bytes",
                      job.view.id, repair_job_state_name(job.view.state), job.view.ranges_total,
                      job.view.ranges_failed, job.view.records_differing,
                      job.view.records_exchanged, job.view.bytes_exchanged);
    }
  }
}

bool RepairService::start_session(const Unit& unit, bool background, uint64_t job_id) {
  const auto snapshot = cluster_->snapshot();
  if (!replicas_current(unit.table, unit.range, unit.replicas)) {
    return false;  // The ring changed since the job listed this range.
  }
  replication::RepairTask task;
  task.session_id = rng_.next_u64() | 1;
  task.table = unit.table;
  task.mode = unit.mode;
  task.range = unit.range;
  task.self = options_.self;
  task.started_wall_ms = options_.clock->wall_ms();
  bool all_up = true;
  for (const ring::NodeId& id : unit.replicas) {
    if (id == options_.self) continue;
    const replication::ClusterMember* m = snapshot->find(id);
    if (m == nullptr || !replication::reachable(m->liveness) || m->meta == nullptr) {
      all_up = false;
      continue;
    }
    task.peers.push_back(id);
  }
  if (!all_up) {
    Job* job = nullptr;
    for (auto& j : jobs_) {
      if (j->view.id == job_id) job = j.get();
    }
    if (background || job == nullptr || !job->full) return false;
    task.complete = false;  // --full: repair among the replicas that are up, unrecorded.
  }
  replication::RepairSessionConfig config;
  config.request_timeout = options_.request_timeout;
  config.rate_bytes_per_sec =
      options_.rate_bytes_per_sec == 0
          ? 0
          : std::max<uint64_t>(1, options_.rate_bytes_per_sec / options_.max_sessions);
  auto running = std::make_unique<Running>();
  running->unit = unit;
  running->background = background;
  running->job_id = job_id;
  running->session = std::make_unique<replication::RepairSession>(task, storage_, config);
  running->timer = std::make_unique<asio::steady_timer>(io_);
  const uint64_t id = task.session_id;
  for (auto& j : jobs_) {
    if (j->view.id == job_id) j->sessions.insert(id);
  }
  running_[id] = std::move(running);
  {
    std::lock_guard lock(mu_);
    ++counters_.sessions_started;
  }
  RepairOutbox out;
  const Instant began = options_.clock->monotonic();
  running_[id]->session->start(began, out);
  count_step(began);
  pump(id, out);
  return true;
}

void RepairService::count_step(Instant began) {
  const auto spent = options_.clock->monotonic() - began;
  std::lock_guard lock(mu_);
  counters_.tree_build_us += static_cast<uint64_t>(spent.count());
}

void RepairService::pump(uint64_t session_id, RepairOutbox& out) {
  auto it = running_.find(session_id);
  if (it == running_.end()) return;
  Running& r = *it->second;
  for (const replication::RepairSend& s : out.sends) send(session_id, s);
  if (r.session->finished()) {
    finish(session_id);
    return;
  }
  // Progress for `repair status`, a few times a second at most.
  const Instant now = options_.clock->monotonic();
  if (now - published_at_ >= std::chrono::milliseconds(250)) publish();
  if (out.next_tick != Instant::max()) {
    const Duration wait = out.next_tick - options_.clock->monotonic();
    r.timer->expires_after(std::max(wait, Duration(0)));
    r.timer->async_wait([this, session_id](const boost::system::error_code& error) {
      if (!error) on_tick(session_id);
    });
  }
}

void RepairService::send(uint64_t session_id, const replication::RepairSend& s) {
  const auto snapshot = cluster_->snapshot();
  const replication::ClusterMember* member = snapshot->find(s.to);
  const uint64_t request_id = s.request_id;
  if (member == nullptr || member->meta == nullptr) {
    asio::post(io_, [this, session_id, request_id] {
      on_reply(session_id, request_id, Status::unavailable("the peer's address is unknown"));
    });
    return;
  }
  net::InternodePeer peer{raw_node(s.to), member->meta->internode_addr};
  net::internode::Request request = repair_request_to_wire(s.request);
  const auto deadline = std::chrono::steady_clock::now() + options_.request_timeout;
  asio::post(client_io_, [this, session_id, request_id, peer = std::move(peer),
                          request = std::move(request), deadline] {
    client_->send(
        peer, request, deadline,
        [this, session_id, request_id](Result<net::internode::Response> response) {
          Result<RepairReply> reply = Status::ok();
          if (!response.is_ok()) {
            reply = response.status();
          } else if (const auto* error = std::get_if<net::internode::InternodeError>(&*response)) {
            reply = status_of(*error);
          } else {
            reply = repair_reply_from_wire(*response);
          }
          asio::post(io_, [this, session_id, request_id, reply = std::move(reply)] {
            on_reply(session_id, request_id, reply);
          });
        });
  });
}

void RepairService::on_reply(uint64_t session_id, uint64_t request_id, Result<RepairReply> reply) {
  auto it = running_.find(session_id);
  if (it == running_.end()) return;
  RepairOutbox out;
  const Instant began = options_.clock->monotonic();
  it->second->session->on_reply(request_id, std::move(reply), began, out);
  count_step(began);
  pump(session_id, out);
}

void RepairService::on_tick(uint64_t session_id) {
  auto it = running_.find(session_id);
  if (it == running_.end()) return;
  RepairOutbox out;
  const Instant began = options_.clock->monotonic();
  it->second->session->tick(began, out);
  count_step(began);
  pump(session_id, out);
}

void RepairService::finish(uint64_t session_id) {
  auto it = running_.find(session_id);
  PAIRDB_ASSERT(it != running_.end());
  std::unique_ptr<Running> r = std::move(it->second);
  running_.erase(it);
  const replication::RepairSession& session = *r->session;
  const replication::RepairTask& task = session.task();
  const replication::RepairSessionStats& stats = session.stats();
  const uint64_t now_ms = options_.clock->wall_ms();
  Status status = session.status();
  if (const auto done = session.completion()) {
    status = replicas_current(done->table, done->range, done->replicas)
                 ? history_->record(*done, now_ms)
                 : Status::invalid_argument("the ring changed during the session: run it again");
    if (status.is_ok() && hints_ != nullptr) {
      // Marks that this repair (with what came before it) covered since they were made.
      auto marks = hints_->repair_marks();
      if (marks.is_ok()) {
        for (const replication::RepairMark& m : *marks) {
          if (m.table != task.table) continue;
          const auto v =
              history_->verification(m.table, ring::TokenRange{m.range_start - 1, m.range_end});
          if (v.completed_wall_ms != 0 && v.started_wall_ms >= m.marked_wall_ms) {
            (void)hints_->clear_repair_mark(m.table, m.bucket, m.marked_wall_ms);
          }
        }
      }
    }
  }
  const uint64_t exchanged = stats.records_fetched + stats.records_pushed;
  const uint64_t bytes = stats.bytes_sent + stats.bytes_received;
  {
    std::lock_guard lock(mu_);
    if (status.is_ok()) {
      ++counters_.sessions_completed;
      if (task.complete) ++counters_.ranges_verified;
    } else {
      ++counters_.sessions_failed;
    }
    counters_.records_differing += stats.records_differing;
    counters_.records_exchanged += exchanged;
    counters_.bytes_exchanged += bytes;
  }
  const double seconds = static_cast<double>(now_ms - task.started_wall_ms) / 1000.0;
  if (status.is_ok()) {
    PAIRDB_LOG_INFO("repair",
                    "table '{}' range ({:#x}, {:#x}] repaired with {} peers{} in {:.1f} s: {} "
                    "records differed, {} exchanged, {} bytes",
                    r->unit.table_name, task.range.start, task.range.end, task.peers.size(),
                    task.complete ? "" : " (partial: a replica was down)", seconds,
                    stats.records_differing, exchanged, bytes);
  } else {
    failed_at_ms_[{task.table, task.range.start, task.range.end}] = now_ms;
    PAIRDB_LOG_WARN("repair", "table '{}' range ({:#x}, {:#x}] failed after {:.1f} s: {}",
                    r->unit.table_name, task.range.start, task.range.end, seconds,
                    status.to_string());
  }
  for (auto& job : jobs_) {
    if (job->view.id != r->job_id) continue;
    job->sessions.erase(session_id);
    if (status.is_ok()) {
      ++job->view.ranges_done;
    } else {
      ++job->view.ranges_failed;
      if (job->view.error.empty()) job->view.error = status.to_string();
    }
    job->view.records_differing += stats.records_differing;
    job->view.records_exchanged += exchanged;
    job->view.bytes_exchanged += bytes;
  }
  advance_jobs();
  publish();
}

void RepairService::publish() {
  published_at_ = options_.clock->monotonic();
  RepairStatus status;
  status.interval_ms = options_.interval_ms;
  status.rate_bytes_per_sec = options_.rate_bytes_per_sec;
  std::map<uint64_t, double> job_running_progress;
  for (const auto& [id, r] : running_) {
    RepairSessionView v;
    v.table = r->unit.table_name;
    v.range = r->unit.range;
    v.peers = r->session->task().peers;
    v.progress = r->session->progress();
    v.background = r->background;
    v.stats = r->session->stats();
    job_running_progress[r->job_id] += v.progress;
    status.sessions.push_back(std::move(v));
  }
  for (const auto& job : jobs_) {
    RepairJobView v = job->view;
    if (v.state == RepairJobState::kRunning && v.ranges_total > 0) {
      v.progress = (v.ranges_done + v.ranges_failed + job_running_progress[v.id]) /
                   static_cast<double>(v.ranges_total);
    }
    status.jobs.push_back(std::move(v));
  }
  const uint64_t now_ms = options_.clock->wall_ms();
  std::vector<replication::RepairMark> marks;
  if (hints_ != nullptr) {
    auto loaded = hints_->repair_marks();
    if (loaded.is_ok()) marks = std::move(loaded).value();
  }
  for (const Unit& unit : units()) {
    RepairRangeView v;
    v.table = unit.table_name;
    v.range = unit.range;
    const auto verified = history_->verification(unit.table, unit.range);
    v.last_verified_wall_ms = verified.completed_wall_ms;
    v.records_differing = verified.records_differing;
    v.marked = std::any_of(marks.begin(), marks.end(), [&](const replication::RepairMark& m) {
      return m.table == unit.table && overlaps(unit.range, m.range_start, m.range_end);
    });
    replication::RepairCandidate c;
    c.table = unit.table;
    c.range = unit.range;
    c.last_verified_ms = verified.completed_wall_ms;
    v.overdue = scheduler_.overdue(c, now_ms);
    v.running = std::any_of(running_.begin(), running_.end(), [&](const auto& r) {
      return r.second->unit.table == unit.table && r.second->unit.range == unit.range;
    });
    status.ranges.push_back(std::move(v));
  }
  std::lock_guard lock(mu_);
  published_ = std::move(status);
}

RepairStatus RepairService::status() const {
  std::lock_guard lock(mu_);
  return published_;
}

RepairCounters RepairService::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

std::vector<RepairTableHealth> RepairService::health() const {
  std::lock_guard lock(mu_);
  return health_;
}

}  // namespace pairdb::server
