// What `interstice` says to a word that is not one of its commands
// (`interstice qeury`): the nearest command, if one is near enough.
//
// Threading: pure functions.
#pragma once

#include <string>
#include <vector>

namespace interstice::cli {

// The command in `commands` nearest to `word` (edit distance with swaps, at most a
// third of the longer word, and at least 1 allowed; a command that `word`
// starts, as `log` for `logs`, counts as near), or "" if none is.
std::string nearest_command(const std::string& word, const std::vector<std::string>& commands);

// The message for an unknown command: its name, the suggestion if any, and
// where the commands are listed.
std::string unknown_command_message(const std::string& word,
                                    const std::vector<std::string>& commands);

}  // namespace interstice::cli
