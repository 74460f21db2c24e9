// The web dashboard's files (dashboard/: index.html, app.js, style.css),
// built by esbuild and compiled into the node (cmake/embed_files.cmake), so
// that GET /dashboard/ needs nothing beside the binary. Without the npm
// packages (scripts/setup) index.html is a page saying how to build it.
#pragma once

#include <map>
#include <string_view>

namespace interstice::node {

const std::map<std::string_view, std::string_view>& dashboard_files();

}  // namespace interstice::node
