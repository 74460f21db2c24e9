#include <fmt/format.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <thread>

#include "cli/exit_codes.h"
#include "cli/memory_allocator.h"
#include "cli/node_commands.h"
#include "cli/node_logging.h"
#include "net/peer_server.h"
#include "node/http_api.h"
#include "node/node.h"

namespace interstice::cli {
namespace {

struct StartOptions {
  std::string data_dir;
  std::string host = "127.0.0.1";
  std::string anonymous_clients = "auto";  // auto (loopback only), allow, deny
  uint16_t port = 8080;
  uint64_t fuel = 1'000'000'000;
  uint64_t seed = 0;
  std::vector<std::string> grant;
  std::string durability = "group";
  uint64_t snapshot_every = 100'000;
  uint64_t log_preallocate_kib = 1024;
  std::string log_format = "text";
  uint64_t log_file_kib = 16 * 1024;
  uint32_t log_files = 4;
  // Executor threads: one per core, at most 8 (modules run in parallel on them).
  uint32_t executors = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  std::string retention = "keep";
  int peer_port = -1;     // -1: no peer server
  std::string file_root;  // empty: DATA_DIR/files
  uint32_t file_quota_mib = 1024;
  uint32_t width = 640, height = 480;
  double fps = 60;
  uint64_t frames = 0;
  std::string frame_dump;
  bool window = false;
  uint32_t gpu_memory_mib = 512;
  bool wait_for_authorities = false;
  std::vector<std::string> peer_addresses;  // ALIAS=HOST:PORT
  std::vector<std::string> pins;            // HOST:PORT=KEY
  // Module bounds (runtime::RuntimeOptions, docs/security.md).
  uint64_t table_memory_mib = 1024;
  uint64_t calls_per_transaction = 10'000;
  uint64_t call_mib_per_transaction = 16;
  uint64_t cascade_calls = 100'000;
  uint64_t cascade_mib = 256;
  uint64_t cascade_fuel = runtime::kDefaultCascadeFuel;
  uint64_t log_line_bytes = 4096;
  uint32_t log_lines_per_second = 1000;
  uint32_t peer_max_connections = 256;
  uint32_t peer_outcome_memory_mib = 16;
  uint32_t peer_send_queue_mib = 16;
  // The local interface's bounds (docs/node.md, "Limits").
  uint32_t http_max_body_mib = 64;
  uint32_t http_max_call_body_kib = 1024;
  uint32_t http_max_buffered_mib = 256;
  uint32_t http_max_header_bytes_kib = 16;
  uint32_t http_max_headers = 64;
  uint32_t http_max_json_depth = 128;
  uint32_t http_max_json_values = 65536;
  uint32_t http_max_connections = 1024;
  uint32_t http_threads = 16;
  double http_header_timeout = 10, http_idle_timeout = 30, http_request_timeout = 60;  // seconds
  uint32_t http_page_rows = 1000;
  uint32_t http_page_kib = 4096;
  uint32_t client_max_queued_kib = 16384;
  uint32_t client_max_calls = 4096;
  uint32_t client_max_subscriptions = 256;
};

void set_module_bounds(const StartOptions& options, runtime::RuntimeOptions* runtime) {
  runtime->max_table_memory = options.table_memory_mib << 20;
  runtime->max_calls_per_transaction = options.calls_per_transaction;
  runtime->max_call_bytes_per_transaction = options.call_mib_per_transaction << 20;
  runtime->max_triggered_calls = options.cascade_calls;
  runtime->max_cascade_bytes = options.cascade_mib << 20;
  runtime->max_cascade_fuel = options.cascade_fuel;
  runtime->max_log_line_bytes = options.log_line_bytes;
  runtime->max_log_lines_per_second = options.log_lines_per_second;
}

void add_module_bound_options(CLI::App* cmd, StartOptions* options) {
  cmd->add_option("--table-memory", options->table_memory_mib,
                  "MiB of rows, keys and indexes each module's tables may hold")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30))
      ->capture_default_str();
  cmd->add_option("--calls-per-transaction", options->calls_per_transaction,
                  "Calls (ctx.call, call_node) one transaction may queue")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 30))
      ->capture_default_str();
  cmd->add_option("--call-bytes-per-transaction", options->call_mib_per_transaction,
                  "MiB of arguments one transaction's calls may hold")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20))
      ->capture_default_str();
  cmd->add_option("--cascade-calls", options->cascade_calls,
                  "Calls one requested call may trigger in all")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40))
      ->capture_default_str();
  cmd->add_option("--cascade-bytes", options->cascade_mib,
                  "MiB of arguments queued at once by one requested call's cascade")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 20))
      ->capture_default_str();
  cmd->add_option("--cascade-fuel", options->cascade_fuel,
                  "Fuel the calls one requested call triggers may use in all")
      ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 62))
      ->capture_default_str();
  cmd->add_option("--log-line-bytes", options->log_line_bytes,
                  "Bytes of a module's log line or failure message kept (the rest is cut)")
      ->check(CLI::Range(uint64_t{64}, uint64_t{1} << 24))
      ->capture_default_str();
  cmd->add_option("--log-lines-per-second", options->log_lines_per_second,
                  "Log lines each module may print a second (the rest are counted)")
      ->check(CLI::Range(uint32_t{1}, uint32_t{1} << 30))
      ->capture_default_str();
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.starts_with("127.");
}

node::HttpApiOptions http_options(const StartOptions& o) {
  auto ms = [](double seconds) {
    return std::chrono::milliseconds(static_cast<int64_t>(seconds * 1000));
  };
  node::HttpApiOptions http;
  http.limits.max_body = static_cast<size_t>(o.http_max_body_mib) << 20;
  http.limits.max_call_body = static_cast<size_t>(o.http_max_call_body_kib) << 10;
  http.limits.max_buffered = static_cast<size_t>(o.http_max_buffered_mib) << 20;
  http.limits.max_header_bytes = static_cast<size_t>(o.http_max_header_bytes_kib) << 10;
  http.limits.max_headers = o.http_max_headers;
  http.limits.max_connections = o.http_max_connections;
  http.limits.threads = o.http_threads;
  http.limits.header_timeout = ms(o.http_header_timeout);
  http.limits.idle_timeout = ms(o.http_idle_timeout);
  http.limits.request_timeout = ms(o.http_request_timeout);
  http.max_json_depth = o.http_max_json_depth;
  http.max_json_values = o.http_max_json_values;
  http.page_rows = o.http_page_rows;
  http.page_bytes = static_cast<size_t>(o.http_page_kib) << 10;
  http.allow_anonymous =
      o.anonymous_clients == "allow" || (o.anonymous_clients == "auto" && is_loopback(o.host));
  http.clients.max_queued_bytes = static_cast<size_t>(o.client_max_queued_kib) << 10;
  http.clients.max_calls_in_flight = o.client_max_calls;
  http.clients.max_subscriptions = o.client_max_subscriptions;
  http.clients.max_json_depth = o.http_max_json_depth;
  http.clients.max_json_values = o.http_max_json_values;
  http.clients.max_message_bytes = static_cast<size_t>(o.http_max_call_body_kib) << 10;
  return http;
}

int start(const StartOptions& options) {
  // SIGINT/SIGTERM are taken by a thread that stops the server; block them
  // before any other thread exists so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::shared_ptr<node::LogBook> log_book =
      set_up_node_logging(NodeLogging{options.log_format, std::filesystem::path(options.data_dir),
                                      options.log_file_kib, options.log_files});
  node::NodeOptions node_options;
  node_options.data_dir = options.data_dir;
  node_options.runtime.engine.fuel_per_call = options.fuel;
  node_options.runtime.seed = options.seed;
  set_module_bounds(options, &node_options.runtime);
  node_options.log.durability = options.durability == "sync"   ? storage::Durability::Sync
                                : options.durability == "none" ? storage::Durability::None
                                                               : storage::Durability::Group;
  node_options.log.preallocate_bytes = options.log_preallocate_kib << 10;
  node_options.snapshot_every = options.snapshot_every;
  node_options.executors = options.executors;
  for (const std::string& pin : options.pins) {
    size_t eq = pin.find('=');
    node_options.pinned_peers[pin.substr(0, eq)] = pin.substr(eq + 1);
  }
  for (const std::string& mapping : options.peer_addresses) {
    size_t eq = mapping.find('=');
    node_options.peer_addresses[mapping.substr(0, eq)] = mapping.substr(eq + 1);
  }
  node_options.retention = options.retention == "archive" ? storage::Retention::Archive
                           : options.retention == "prune" ? storage::Retention::Prune
                                                          : storage::Retention::Keep;
  for (const std::string& name : options.grant) {
    static const std::pair<const char*, abi::Authority> kAuthorities[] = {
        {"gpu", abi::Authority::Gpu},
        {"input", abi::Authority::Input},
        {"audio", abi::Authority::Audio},
        {"file", abi::Authority::File}};
    for (const auto& [text, authority] : kAuthorities)
      if (name == text) node_options.runtime.grantable.push_back(authority);
  }
  node_options.peer_host = options.host;
  node_options.peer_port = options.peer_port;
  node_options.peer_limits.max_connections = options.peer_max_connections;
  node_options.peer_limits.outcome_bytes = static_cast<size_t>(options.peer_outcome_memory_mib)
                                           << 20;
  node_options.peer_limits.send_queue_bytes = static_cast<size_t>(options.peer_send_queue_mib)
                                              << 20;
  node_options.file_root = options.file_root;
  node_options.file_quota = static_cast<uint64_t>(options.file_quota_mib) << 20;
  node_options.surface_width = options.width;
  node_options.surface_height = options.height;
  node_options.fps = options.fps;
  node_options.frames = options.frames;
  node_options.frame_dump = options.frame_dump;
  node_options.window = options.window;
  node_options.gpu_memory = static_cast<uint64_t>(options.gpu_memory_mib) << 20;
  node_options.runtime.wait_for_authorities = options.wait_for_authorities;
  spdlog::info("data directory {}; memory allocator {}",
               std::filesystem::absolute(options.data_dir).string(), memory_allocator());
  auto node = node::Node::create(node_options);
  if (!node) {
    spdlog::error("{}", node.error().message);
    return kExitError;
  }
  if ((*node)->peer_port())
    spdlog::info("accepting peers on {}:{}", options.host, (*node)->peer_port());
  node::HttpApi api(**node, http_options(options));
  api.set_log_book(log_book);
  api.set_peers([raw = node->get()] {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const auto& p : raw->connected_peers())
      list.push_back({{"direction", "incoming"}, {"id", p.id}, {"address", p.address}});
    for (const auto& link : raw->outgoing_links()) {
      nlohmann::ordered_json entry = {{"direction", "outgoing"},
                                      {"id", link.peer_id},
                                      {"address", link.address},
                                      {"connected", !link.peer_id.empty()},
                                      {"queued_calls", link.queued_calls},
                                      {"calls_in_flight", link.calls_in_flight},
                                      {"subscriptions", link.subscriptions}};
      if (!link.last_error.empty()) entry["last_error"] = link.last_error;
      list.push_back(std::move(entry));
    }
    return list;
  });
  auto port = api.bind(options.host, options.port);
  if (!port) {
    spdlog::error("{}", port.error().message);
    return kExitError;
  }
  if (!is_loopback(options.host) && http_options(options).allow_anonymous) {
    spdlog::warn("**************************************************************************");
    spdlog::warn("the local interface listens on {}, beyond this machine, and serves anonymous",
                 options.host);
    spdlog::warn("clients: NO client authentication: anyone who can reach {}:{} can call",
                 options.host, *port);
    spdlog::warn("reducers and read public tables. Drop --anonymous-clients allow to serve");
    spdlog::warn("identified clients only (docs/client-protocol.md, \"Identity\").");
    spdlog::warn("**************************************************************************");
  } else if (!is_loopback(options.host)) {
    spdlog::info(
        "serving identified clients only beyond loopback (a token from POST "
        "/v1/identity; --anonymous-clients allow to change it)");
  }
  spdlog::info("listening on http://{}:{}", options.host, *port);
  std::fflush(stdout);
  std::thread stopper([&] {
    int received = 0;
    sigwait(&signals, &received);
    spdlog::info("received {}, stopping", received == SIGINT ? "SIGINT" : "SIGTERM");
    api.stop();
  });
  api.serve();
  // serve() also returns if the server failed; wake the signal thread then.
  pthread_kill(stopper.native_handle(), SIGTERM);
  stopper.join();
  spdlog::info("stopped");
  return kExitOk;
}

}  // namespace

std::string default_data_dir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    return (std::filesystem::path(xdg) / "interstice").string();
  if (const char* home = std::getenv("HOME"); home && *home)
    return (std::filesystem::path(home) / ".local" / "share" / "interstice").string();
  return "interstice-data";
}

static void add_http_limit_options(CLI::App* cmd, StartOptions& o) {
  cmd->add_option("--http-max-body", o.http_max_body_mib,
                  "MiB of an operator's POST /modules body (a module's wasm)")
      ->check(CLI::Range(1, 4096))
      ->capture_default_str();
  cmd->add_option("--http-max-call-body", o.http_max_call_body_kib,
                  "KiB of every other request body (e.g. a call's arguments)")
      ->check(CLI::Range(1, 4 << 20))
      ->capture_default_str();
  cmd->add_option("--http-max-buffered", o.http_max_buffered_mib,
                  "MiB that request bodies read ahead and responses not yet read by their "
                  "clients hold in all (503, or the slow reader closed, beyond)")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--http-max-header-bytes", o.http_max_header_bytes_kib,
                  "KiB of a request's line and headers (431 beyond)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--http-max-headers", o.http_max_headers,
                  "Header lines of a request (431 beyond)")
      ->check(CLI::Range(1, 10000))
      ->capture_default_str();
  cmd->add_option("--http-max-json-depth", o.http_max_json_depth,
                  "Nesting of a call's JSON arguments (400 beyond)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  cmd->add_option("--http-max-json-values", o.http_max_json_values,
                  "Values (arrays, objects, strings, numbers, literals) of a call's JSON arguments "
                  "(400 beyond)")
      ->check(CLI::Range(1, 100000000))
      ->capture_default_str();
  cmd->add_option("--http-max-connections", o.http_max_connections,
                  "Open HTTP connections; at the limit the longest-waiting one is closed")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--http-threads", o.http_threads,
                  "worker threads for table pages, module and authority requests")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_option("--http-header-timeout", o.http_header_timeout,
                  "Seconds for a request's line and headers to arrive (from its first byte, or "
                  "from connecting)")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
  cmd->add_option("--http-idle-timeout", o.http_idle_timeout,
                  "Seconds a kept-alive connection may wait for its next request")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
  cmd->add_option("--http-request-timeout", o.http_request_timeout,
                  "Seconds to read a request's body and write its response")
      ->check(CLI::Range(0.05, 3600.0))
      ->capture_default_str();
  cmd->add_option("--http-page-rows", o.http_page_rows, "Rows of a GET /tables page (at most)")
      ->check(CLI::Range(1, 1000000))
      ->capture_default_str();
  cmd->add_option("--http-page-size", o.http_page_kib,
                  "KiB of row data after which a GET /tables page ends")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--anonymous-clients", o.anonymous_clients,
                  "Serve calls and WebSockets without a client token: auto (only when --host "
                  "is loopback), allow or deny")
      ->check(CLI::IsMember({"auto", "allow", "deny"}))
      ->capture_default_str();
  cmd->add_option("--client-max-queued", o.client_max_queued_kib,
                  "KiB of messages a WebSocket client may leave unread before it is "
                  "disconnected as too far behind")
      ->check(CLI::Range(1, 1 << 22))
      ->capture_default_str();
  cmd->add_option("--client-max-calls", o.client_max_calls,
                  "Calls a WebSocket client may have in flight (more are refused)")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--client-max-subscriptions", o.client_max_subscriptions,
                  "Subscriptions a WebSocket client may hold")
      ->check(CLI::Range(1, 1 << 20))
      ->capture_default_str();
}

void add_start_command(CLI::App& app, int& exit_code) {
  auto options = std::make_shared<StartOptions>();
  options->data_dir = default_data_dir();
  CLI::App* cmd =
      app.add_subcommand("start", "Run a node: load DATA_DIR/modules, serve the local interface");
  cmd->add_option("--data-dir", options->data_dir, "The node's data directory")
      ->capture_default_str();
  cmd->add_option("--host", options->host, "Address of the local interface")->capture_default_str();
  cmd->add_option("--port", options->port, "Port of the local interface (0: any free port)")
      ->capture_default_str();
  cmd->add_option("--fuel", options->fuel, "Fuel budget of each reducer call")
      ->capture_default_str();
  cmd->add_option("--seed", options->seed, "Seed of the transactions' random numbers")
      ->capture_default_str();
  cmd->add_option(
         "--durability", options->durability,
         "When a call is acknowledged: sync (fsync each transaction), group (one fsync per "
         "batch, group commit), none (never fsync)")
      ->check(CLI::IsMember({"sync", "group", "none"}))
      ->capture_default_str();
  cmd->add_option("--log-format", options->log_format,
                  "How log lines are written on the terminal: text, or json (one object per "
                  "line: time, level, module, reducer, message)")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--log-file-kib", options->log_file_kib,
                  "Size at which DATA_DIR/node.log (JSON lines) is rotated; 0: no log file")
      ->capture_default_str();
  cmd->add_option("--log-files", options->log_files,
                  "How many log files are kept: node.log and node.1.log, node.2.log, ...")
      ->check(CLI::Range(1u, 1000u))
      ->capture_default_str();
  cmd->add_option("--executors", options->executors,
                  "Threads that run reducers; each module runs on one, so calls to different "
                  "modules run in parallel (default: one per core, at most 8)")
      ->check(CLI::Range(1u, 64u))
      ->capture_default_str();
  cmd->add_option("--log-preallocate", options->log_preallocate_kib,
                  "KiB of zeros the log writes ahead of its end, so an fsync need not also grow "
                  "the file (0: none)")
      ->check(CLI::Range(uint64_t{0}, uint64_t{1} << 20))
      ->capture_default_str();
  cmd->add_option("--snapshot-every", options->snapshot_every,
                  "Take a snapshot after this many transactions (0: only at shutdown)")
      ->capture_default_str();
  cmd->add_option(
         "--log-retention", options->retention,
         "Log segments covered by a snapshot: keep, archive (zstd, in log/archive) or prune")
      ->check(CLI::IsMember({"keep", "archive", "prune"}))
      ->capture_default_str();
  cmd->add_option("--peer-port", options->peer_port,
                  "Accept authenticated peer connections on this port (0: any free port); "
                  "off unless given")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--peer-max-connections", options->peer_max_connections,
                  "Peer connections open at once, authenticated or not; more are closed")
      ->check(CLI::Range(1, 1'000'000))
      ->capture_default_str();
  cmd->add_option("--peer-outcome-memory", options->peer_outcome_memory_mib,
                  "MiB of remembered peer-call outcomes (answers to repeated call ids); the "
                  "oldest are forgotten first")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  cmd->add_option("--peer-send-queue", options->peer_send_queue_mib,
                  "MiB waiting to be sent to one peer; a peer that falls further behind (a "
                  "subscriber that does not read) is disconnected")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  cmd->add_option("--peer-address", options->peer_addresses,
                  "ALIAS=HOST:PORT: where the remote node a module calls ALIAS is (overrides "
                  "the module's INTERSTICE_NODE address); repeatable")
      ->check([](const std::string& v) {
        return v.find('=') == std::string::npos || v.find(':') == std::string::npos
                   ? std::string("expected ALIAS=HOST:PORT")
                   : std::string();
      });
  cmd->add_option("--pin", options->pins,
                  "HOST:PORT=NODE_ID: only accept the peer at HOST:PORT if it holds this key; "
                  "repeatable")
      ->check([](const std::string& v) {
        size_t eq = v.find('=');
        return eq == std::string::npos || v.size() - eq - 1 != 64
                   ? std::string("expected HOST:PORT=<64 hex digits>")
                   : std::string();
      });
  cmd->add_option("--width", options->width, "Width of the Gpu surface in pixels")
      ->check(CLI::Range(1, 8192))
      ->capture_default_str();
  cmd->add_option("--height", options->height, "Height of the Gpu surface in pixels")
      ->check(CLI::Range(1, 8192))
      ->capture_default_str();
  cmd->add_option("--fps", options->fps, "Frames per second sent to the Gpu holder (render)")
      ->check(CLI::Range(0.1, 1000.0))
      ->capture_default_str();
  cmd->add_option("--frames", options->frames, "Stop rendering after N frames (0: never)")
      ->capture_default_str();
  cmd->add_option("--frame-dump", options->frame_dump,
                  "Write every rendered frame to DIR/frame-NNNNNN.png");
  cmd->add_option("--gpu-memory", options->gpu_memory_mib,
                  "MiB of Gpu buffers and textures each module may hold")
      ->check(CLI::Range(1, 65536))
      ->capture_default_str();
  cmd->add_flag("--window", options->window,
                "Show the frames in a window (SDL2) that sends input events; needs a display");
  cmd->add_flag(
      "--wait-for-authorities", options->wait_for_authorities,
      "Load a module whose authority another module holds; it gets it when that one goes");
  cmd->add_option("--file-quota", options->file_quota_mib,
                  "MiB of files each module holding File may keep")
      ->check(CLI::Range(1, 1048576))
      ->capture_default_str();
  cmd->add_option("--file-root", options->file_root,
                  "Where the File authority's module directories go (default DATA_DIR/files)");
  cmd->add_option("--grant", options->grant,
                  "Authorities that modules may be granted (gpu, input, audio, file)")
      ->check(CLI::IsMember({"gpu", "input", "audio", "file"}))
      ->delimiter(',');
  add_module_bound_options(cmd, options.get());
  add_http_limit_options(cmd, *options);
  cmd->callback([options, &exit_code] { exit_code = start(*options); });
}

}  // namespace interstice::cli
