#include "cli/command_suggestion.h"

#include <fmt/format.h>

#include <algorithm>

namespace interstice::cli {

namespace {

// Insertions, deletions, substitutions and swaps of two neighbours (the
// commonest typo, `qeury`) each cost 1 (optimal string alignment).
size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i)
    for (size_t j = 1; j <= b.size(); ++j) {
      d[i][j] = std::min(
          {d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[a.size()][b.size()];
}

}  // namespace

std::string nearest_command(const std::string& word, const std::vector<std::string>& commands) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const std::string& command : commands) {
    size_t distance = edit_distance(word, command);
    size_t allowed = std::max<size_t>(1, std::max(word.size(), command.size()) / 3);
    bool prefix = word.size() > command.size() && word.starts_with(command);
    if ((distance <= allowed || prefix) && distance < best_distance) {
      best = command;
      best_distance = distance;
    }
  }
  return best;
}

std::string unknown_command_message(const std::string& word,
                                    const std::vector<std::string>& commands) {
  std::string nearest = nearest_command(word, commands);
  return fmt::format("error: '{}' is not an interstice command{}; `interstice --help` lists them",
                     word, nearest.empty() ? "" : fmt::format(" (did you mean '{}'?)", nearest));
}

}  // namespace interstice::cli
