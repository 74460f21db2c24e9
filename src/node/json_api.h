// The JSON forms of the node's operations: what the HTTP interface
// (http_api.h) reads and writes (docs/node.md, "HTTP API"), and what
// in-process tests and tools use to speak JSON to a Node. The node itself
// works in encoded values (abi/serialize.h); conversion happens here.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "node/node.h"

namespace interstice::node {

// Calls `module.reducer` as an HTTP client does, with a JSON array of its
// parameters: NotFound (module, reducer), Forbidden (access rules),
// InvalidArgument (arguments that do not fit the parameters), else the
// call's own outcome (Node::call).
base::Result<void> call_json(Node& node, const std::string& module, const std::string& reducer,
                             const nlohmann::ordered_json& args);
// What call_json checks and encodes before it calls: the arguments as the
// reducer's parameter tuple, or why the call is refused.
base::Result<std::vector<uint8_t>> encode_call_json(Node& node, const std::string& module,
                                                    const std::string& reducer,
                                                    const nlohmann::ordered_json& args);
// Every row of a table, as JSON objects in primary-key order.
base::Result<nlohmann::ordered_json> query_json(Node& node, const std::string& module,
                                                const std::string& table);
// Rows as a JSON array text, one object per row (a GET /tables page).
std::string rows_to_json_text(const Node::Rows& rows);
// A SQL answer as a JSON array text: one object per row, with the columns
// asked for, in their order.
std::string sql_to_json_text(const Node::SqlAnswer& answer);
// GET /modules and GET /authorities.
nlohmann::ordered_json modules_to_json(const std::vector<Node::ModuleInfo>& modules);
// POST /modules?dry_run=true: {"module", "version", "replaces" (the loaded
// version, or null for a new module), "tables": [{"name", "change" (new,
// kept, reindexed, changed, dropped), "rows", "added_indexes",
// "dropped_indexes"}], "refused" (why, or null)}.
nlohmann::ordered_json publish_plan_to_json(const runtime::PublishPlan& plan);
nlohmann::ordered_json authorities_to_json(const std::vector<Node::AuthorityInfo>& authorities);

}  // namespace interstice::node
