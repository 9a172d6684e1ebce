// pairdb-admin against a real node: every command, its --json output parsed, and its exit codes.
#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "support/command_runner.h"
#include "support/pairdb_process.h"

using namespace pairdb::test;
namespace json = boost::json;

namespace {

class AdminFixture {
 public:
  AdminFixture() {
    auto started = PairdbProcess::start(dir_.path() + "/node");
    if (!started.is_ok()) FAIL("pairdb did not start: " << started.status().to_string());
    node_ = std::move(started).value();
  }

  CommandResult admin(std::vector<std::string> args, const std::string& stdin_text = "") {
    std::vector<std::string> argv = {PAIRDB_ADMIN_PATH, "-h", "127.0.0.1", "-p",
                                     std::to_string(node_->binary_port())};
    argv.insert(argv.end(), args.begin(), args.end());
    return run_command(argv, stdin_text, 60'000);
  }

  // Runs a command that must succeed with --json, and parses its output.
  json::value admin_json(std::vector<std::string> args) {
    args.push_back("--json");
    const CommandResult result = admin(args);
    INFO(result.describe());
    REQUIRE(result.exit_code == 0);
    return json::parse(result.out);
  }

  PairdbProcess& node() { return *node_; }

 private:
  TempDir dir_;
  std::unique_ptr<PairdbProcess> node_;
};

}  // namespace

TEST_CASE_METHOD(AdminFixture, "status, info, describe and version describe the node") {
  const json::value status = admin_json({"status"});
  const auto& nodes = status.at("nodes").as_array();
  REQUIRE(nodes.size() == 1);
  const auto& self = nodes[0].as_object();
  CHECK(self.at("status").as_string() == "UN");
  CHECK(self.at("address").as_string() == "127.0.0.1:" + std::to_string(node().binary_port()));
  CHECK(self.at("tokens").to_number<int64_t>() > 0);
  CHECK(self.at("ownership").to_number<double>() == Approx(1.0));
  CHECK(status.at("node_id").as_string() == self.at("node_id").as_string());

  const CommandResult text = admin({"status"});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("UN  127.0.0.1:") != std::string::npos);
  CHECK(text.out.find("100.0%") != std::string::npos);

  const json::value ring = admin_json({"ring"});
  const auto& tokens = ring.at("tokens").as_array();
  CHECK(tokens.size() == static_cast<size_t>(self.at("tokens").to_number<int64_t>()));
  for (size_t i = 1; i < tokens.size(); ++i) {
    CHECK(tokens[i - 1].at("token").to_number<uint64_t>() <
          tokens[i].at("token").to_number<uint64_t>());
  }
  CHECK(ring.at("ownership").at(self.at("node_id").as_string()).to_number<double>() == Approx(1.0));
  CHECK(admin({"ring"}).out.find("Token") != std::string::npos);

  const json::value info = admin_json({"info"});
  CHECK(info.at("node_id").as_string() == self.at("node_id").as_string());
  CHECK(info.as_object().contains("lsm.sequence"));

  const json::value describe = admin_json({"describe"});
  CHECK(describe.at("partitioner").as_string() == "xxh3-64");
  CHECK(describe.at("nodes").to_number<int64_t>() == 1);
  CHECK(!describe.at("cluster_name").as_string().empty());

  const json::value version = admin_json({"version"});
  CHECK(!version.at("admin_version").as_string().empty());
  CHECK(!version.at("server_version").as_string().empty());
  const CommandResult version_text = admin({"version"});
  CHECK(version_text.out.find("pairdb-admin ") == 0);
}

TEST_CASE_METHOD(AdminFixture, "gossipinfo, describecluster and getendpoints") {
  const std::string self = admin_json({"info"}).at("node_id").as_string().c_str();

  const json::value gossip = admin_json({"gossipinfo"});
  CHECK(gossip.at("node_id").as_string() == self);
  const auto& members = gossip.at("members").as_array();
  REQUIRE(members.size() == 1);
  CHECK(members[0].at("liveness").as_string() == "alive");
  CHECK(members[0].at("status").as_string() == "normal");
  CHECK(members[0].at("schema_version").as_string().size() == 16);
  const CommandResult gossip_text = admin({"gossipinfo"});
  REQUIRE(gossip_text.exit_code == 0);
  CHECK(gossip_text.out.find(self + " (this node)") != std::string::npos);

  const json::value cluster = admin_json({"describecluster"});
  CHECK(cluster.at("schema_agreement").as_bool());
  CHECK(cluster.at("partitioner").as_string() == "xxh3-64");
  const auto& versions = cluster.at("schema_versions").as_array();
  REQUIRE(versions.size() == 1);
  CHECK(versions[0].at("version") == members[0].at("schema_version"));
  CHECK(versions[0].at("node_ids").as_array().at(0).as_string() == self);
  CHECK(admin({"describecluster"}).out.find("Schema agreement: yes") != std::string::npos);

  const json::value endpoints = admin_json({"getendpoints", "default", "user:42"});
  CHECK(endpoints.at("natural_count").to_number<int64_t>() == 1);
  const auto& nodes = endpoints.at("endpoints").as_array();
  REQUIRE(nodes.size() == 1);
  CHECK(nodes[0].at("node_id").as_string() == self);
  CHECK(nodes[0].at("role").as_string() == "replica");
  CHECK(admin({"getendpoints", "default", "user:42"}).out.find("Token: ") == 0);
  const CommandResult missing = admin({"getendpoints", "no_such_table", "k"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("TableNotFound") != std::string::npos);
  CHECK(admin({"getendpoints", "default"}).exit_code == 2);
  CHECK(admin({"getendpoints", "default", "k", "--fallbacks", "9"}).exit_code == 2);
}

TEST_CASE_METHOD(AdminFixture, "getreplicas shows each replica's own copy of an item") {
  const std::string self = admin_json({"info"}).at("node_id").as_string().c_str();
  REQUIRE(admin({"put", "default", "user:7", "hello"}).exit_code == 0);
  const json::value copies = admin_json({"getreplicas", "default", "user:7"});
  const auto& replicas = copies.at("replicas").as_array();
  REQUIRE(replicas.size() == 1);
  CHECK(replicas[0].at("node_id").as_string() == self);
  CHECK(replicas[0].at("is_self").as_bool());
  CHECK(replicas[0].at("found").as_bool());
  CHECK(replicas[0].at("agrees").as_bool());
  CHECK(replicas[0].at("siblings").as_array().at(0).at("value").as_string() == "hello");
  CHECK(replicas[0].at("digest").as_string().size() == 16);
  const CommandResult text = admin({"getreplicas", "default", "user:7"});
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("hello") != std::string::npos);
  CHECK(text.out.find("yes") != std::string::npos);
  const json::value absent = admin_json({"getreplicas", "default", "nobody"});
  CHECK_FALSE(absent.at("replicas").as_array().at(0).at("found").as_bool());
  CHECK(admin({"getreplicas", "no_such_table", "k"}).exit_code == 1);
  CHECK(admin({"getreplicas", "default"}).exit_code == 2);
}

TEST_CASE_METHOD(AdminFixture, "tables create, list, describe, tablestats and drop") {
  const json::value created = admin_json({"tables", "create", "users", "--conflict-mode", "lww",
                                          "--default-ttl-ms", "60000", "--sloppy-quorum", "off"});
  CHECK(created.at("name").as_string() == "users");
  CHECK(created.at("conflict_mode").as_string() == "lww");
  CHECK(created.at("default_ttl_ms").to_number<int64_t>() == 60000);
  CHECK(created.at("sloppy_quorum") == false);

  // Creating it again fails (exit 1, one line on stderr), unless --if-not-exists.
  const CommandResult again = admin({"tables", "create", "users"});
  CHECK(again.exit_code == 1);
  CHECK(again.err.find("pairdb-admin: ") == 0);
  CHECK(std::count(again.err.begin(), again.err.end(), '\n') == 1);
  CHECK(admin({"tables", "create", "users", "--if-not-exists"}).exit_code == 0);

  const json::value list = admin_json({"tables", "list"});
  bool listed = false;
  for (const auto& table : list.as_array()) listed |= table.at("name").as_string() == "users";
  CHECK(listed);
  const CommandResult list_text = admin({"tables", "list"});
  CHECK(list_text.out.find("Name") == 0);
  CHECK(list_text.out.find("users") != std::string::npos);

  const json::value described = admin_json({"tables", "describe", "users"});
  CHECK(described.at("id").as_string() == created.at("id").as_string());
  CHECK(described.at("sloppy_quorum") == false);
  const CommandResult described_text = admin({"tables", "describe", "users"});
  const size_t sloppy_at = described_text.out.find("Sloppy quorum");
  REQUIRE(sloppy_at != std::string::npos);
  const std::string sloppy_line =
      described_text.out.substr(sloppy_at, described_text.out.find('\n', sloppy_at) - sloppy_at);
  CHECK(sloppy_line.ends_with(" off"));

  REQUIRE(admin({"put", "users", "alice", "hello"}).exit_code == 0);
  REQUIRE(admin({"put", "users", "bob", "hi"}).exit_code == 0);
  const json::value stats = admin_json({"tablestats", "users"});
  CHECK(stats.at("users").at("records").as_string() == "2");
  const json::value all_stats = admin_json({"tablestats"});
  CHECK(all_stats.as_object().contains("users"));

  CHECK(admin_json({"tables", "drop", "users"}).at("dropped").as_string() == "users");
  const CommandResult missing = admin({"tables", "describe", "users"});
  CHECK(missing.exit_code == 1);
  CHECK(missing.err.find("TableNotFound") != std::string::npos);
  CHECK(admin({"tables", "drop", "users", "--if-exists"}).exit_code == 0);
}

TEST_CASE_METHOD(AdminFixture, "get, put, delete and query poke at data") {
  REQUIRE(admin({"tables", "create", "events"}).exit_code == 0);
  const json::value put = admin_json({"put", "events", "p1", "--sort-key", "a", "first"});
  CHECK(!put.at("context").as_string().empty());
  REQUIRE(admin({"put", "events", "p1", "--sort-key", "b", "-"}, "from stdin").exit_code == 0);
  REQUIRE(admin({"put", "events", "p1", "--sort-key", "c", "third", "--content-type", "text/plain",
                 "--idempotency-key", "k-1"})
              .exit_code == 0);

  const json::value got = admin_json({"get", "events", "p1", "--sort-key", "b"});
  CHECK(got.at("found").as_bool());
  CHECK(got.at("siblings").as_array()[0].at("value").as_string() == "from stdin");
  const CommandResult got_text = admin({"get", "events", "p1", "--sort-key", "a"});
  CHECK(got_text.out.find("first\n") == 0);

  // Paging: one item per page, following the printed token.
  const json::value page1 = admin_json({"query", "events", "p1", "--limit", "2"});
  REQUIRE(page1.at("items").as_array().size() == 2);
  CHECK(page1.at("items").as_array()[1].at("sort_key").as_string() == "b");
  const std::string token(page1.at("next_page_token").as_string());
  REQUIRE(!token.empty());
  const json::value page2 = admin_json({"query", "events", "p1", "--limit", "2", "--page", token});
  REQUIRE(page2.at("items").as_array().size() == 1);
  CHECK(page2.at("items").as_array()[0].at("sort_key").as_string() == "c");
  const json::value ranged = admin_json({"query", "events", "p1", "--from", "b", "--to", "b"});
  CHECK(ranged.at("items").as_array().size() == 1);

  // Delete with the context from a read, then the item is gone.
  const std::string context(got.at("context").as_string());
  REQUIRE(admin({"delete", "events", "p1", "--sort-key", "b", "--context", context}).exit_code ==
          0);
  CHECK(!admin_json({"get", "events", "p1", "--sort-key", "b"}).at("found").as_bool());
  CHECK(admin({"get", "events", "p1", "--sort-key", "b"}).out.find("not found") == 0);
}

TEST_CASE_METHOD(AdminFixture, "flush and compact, with progress on stderr") {
  REQUIRE(admin({"tables", "create", "t"}).exit_code == 0);
  for (int i = 0; i < 20; ++i) {
    REQUIRE(admin({"put", "t", "k" + std::to_string(i), "v"}).exit_code == 0);
  }
  CHECK(admin_json({"flush"}).at("flushed").as_bool());
  const CommandResult compacted = admin({"compact", "t"});
  INFO(compacted.describe());
  REQUIRE(compacted.exit_code == 0);
  // Not a terminal: plain lines, ending with the final status.
  CHECK(compacted.err.find("compacting table t:") != std::string::npos);
  CHECK(compacted.err.find(", done\n") != std::string::npos);
  CHECK(compacted.err.find('\r') == std::string::npos);
  CHECK(admin_json({"compact"}).at("compacted").as_string() == "*");
  CHECK(admin_json({"tablestats", "t"}).at("t").at("records").as_string() == "20");
}

TEST_CASE_METHOD(AdminFixture,
                 "handoff status, pause, resume and truncate on a node without hints") {
  const json::value status = admin_json({"handoff", "status"});
  CHECK(status.at("targets").as_array().empty());
  CHECK_FALSE(status.at("paused_all").as_bool());
  CHECK(status.at("totals").at("stored").to_number<uint64_t>() == 0);
  CHECK(status.at("totals").at("total_bytes").to_number<uint64_t>() == 0);
  CHECK(status.at("dropped").at("truncated").to_number<uint64_t>() == 0);
  CHECK(status.at("dropped").as_object().size() == 8);  // Every reason, zeros included.
  CHECK(status.at("repair_ranges").as_array().empty());
  const CommandResult text = admin({"handoff", "status"});
  INFO(text.describe());
  REQUIRE(text.exit_code == 0);
  CHECK(text.out.find("Hint delivery: running\nNo hints held.\nTotals: 0 stored") == 0);
  CHECK(text.out.find("No ranges need repair.") != std::string::npos);

  const json::value paused = admin_json({"handoff", "pause"});
  CHECK(paused.at("action").as_string() == "pause");
  CHECK(paused.at("target").as_string() == "*");
  CHECK(paused.at("affected").to_number<uint64_t>() == 0);
  CHECK(admin_json({"handoff", "status"}).at("paused_all").as_bool());
  const CommandResult resumed = admin({"handoff", "resume"});
  REQUIRE(resumed.exit_code == 0);
  CHECK(resumed.out.find("resumed hint delivery to every target on 127.0.0.1:") == 0);
  CHECK_FALSE(admin_json({"handoff", "status"}).at("paused_all").as_bool());

  const std::string other = "0f1e2d3c-4b5a-4968-8776-655443322110";
  const json::value paused_one = admin_json({"handoff", "pause", "--node", other});
  CHECK(paused_one.at("target").as_string() == other);
  CHECK_FALSE(admin_json({"handoff", "status"}).at("paused_all").as_bool());
  REQUIRE(admin({"handoff", "resume", "--node", other}).exit_code == 0);

  const json::value truncated = admin_json({"handoff", "truncate"});
  CHECK(truncated.at("action").as_string() == "truncate");
  CHECK(truncated.at("affected").to_number<uint64_t>() == 0);
  const CommandResult truncated_text = admin({"handoff", "truncate", "--node", other});
  REQUIRE(truncated_text.exit_code == 0);
  CHECK(truncated_text.out.find("truncated 0 hints for " + other + " on 127.0.0.1:") == 0);

  const CommandResult bad = admin({"handoff", "truncate", "--node", "not-a-uuid"});
  INFO(bad.describe());
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("pairdb-admin: ") == 0);
  CHECK(bad.err.find("'not-a-uuid' is not a node id") != std::string::npos);
  CHECK(admin({"handoff"}).exit_code == 2);
}

TEST_CASE_METHOD(AdminFixture, "usage errors exit 2 with one line on stderr, --help exits 0") {
  for (const std::vector<std::string>& bad :
       std::vector<std::vector<std::string>>{{},
                                             {"no-such-command"},
                                             {"tables"},
                                             {"tables", "create"},
                                             {"get", "t"},
                                             {"status", "--bogus-flag"},
                                             {"tables", "create", "x", "--conflict-mode", "newest"},
                                             {"tables", "create", "x", "--sloppy-quorum", "maybe"},
                                             {"get", "t", "k", "--consistency", "most"},
                                             {"query", "t", "k", "--limit", "0"},
                                             {"repair", "--range", "5"},
                                             {"repair", "--range", "7:7"},
                                             {"repair", "--range", "1:-2"},
                                             {"repair", "status", "--node", "not-a-uuid"}}) {
    const CommandResult result = admin(bad);
    INFO("args: " << bad.size() << " " << (bad.empty() ? "" : bad[0]) << "; " << result.describe());
    CHECK(result.exit_code == 2);
    CHECK(result.err.find("pairdb-admin: ") == 0);
    CHECK(std::count(result.err.begin(), result.err.end(), '\n') == 1);
  }
  for (const std::vector<std::string>& help :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"status", "--help"},
                                             {"tables", "create", "--help"},
                                             {"compact", "--help"},
                                             {"repair", "--help"},
                                             {"repair", "status", "--help"}}) {
    const CommandResult result = admin(help);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("Usage") != std::string::npos);
  }
}

TEST_CASE_METHOD(AdminFixture, "repair --node names a node the contacted one must know") {
  const std::string stranger = "0f1e2d3c-4b5a-4968-8776-655443322110";
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"repair", "--node", stranger}, {"repair", "status", "--node", stranger}}) {
    const CommandResult result = admin(args);
    INFO(result.describe());
    CHECK(result.exit_code == 1);
    CHECK(result.err.find("pairdb-admin: 127.0.0.1:") == 0);
    CHECK(result.err.find("knows no node " + stranger) != std::string::npos);
  }
}

TEST_CASE("an unreachable node fails with exit 1 and a reason") {
  // Port 1 on loopback: nothing listens there, the connection is refused at once.
  const CommandResult result = run_command(
      {PAIRDB_ADMIN_PATH, "-h", "127.0.0.1", "-p", "1", "--timeout-ms", "2000", "status"}, "",
      60'000);
  CHECK(result.exit_code == 1);
  CHECK(result.err.find("pairdb-admin: ") == 0);
}
