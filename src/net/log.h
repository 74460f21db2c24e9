// How the peer network reports what happens to the node's log, with a level,
// so that it does not depend on the node's logging library.
#pragma once

#include <functional>
#include <string>

namespace interstice::net {

enum class LogLevel {
  Debug,    // repeats of something already reported (a peer still down)
  Info,     // the network's ordinary life: connects, disconnects
  Warning,  // something the operator should look at: a refused key, a limit hit
};

// Called from the network's threads; must be thread-safe.
using Log = std::function<void(LogLevel, const std::string&)>;

}  // namespace interstice::net
