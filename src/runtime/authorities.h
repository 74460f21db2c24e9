// The narrow interfaces behind privileged host calls. The runtime checks that
// the calling module holds the authority, then hands the call to the
// back-end the node plugged in (src/authority/*); without one, the call
// reports Status::Unavailable.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "abi/host_calls.h"
#include "runtime/transaction.h"

namespace interstice::runtime {

// Why a back-end call failed: the status the module sees, and a message the
// runtime logs at debug level.
struct AuthorityError {
  abi::Status status;
  std::string message;
};

// The File authority: each module's own directory. Paths are relative, '/'
// separated; the back-end refuses anything that would leave the directory.
class FileBackend {
 public:
  virtual ~FileBackend() = default;
  virtual bool read(std::string_view module, std::string_view path, Bytes* data,
                    AuthorityError* error) = 0;
  // Replaces the file atomically (a crash leaves the old or the new bytes).
  virtual bool write(std::string_view module, std::string_view path, ByteView data,
                     AuthorityError* error) = 0;
  // The names in a directory ("" is the module's own), sorted.
  virtual bool list(std::string_view module, std::string_view path, std::vector<std::string>* names,
                    AuthorityError* error) = 0;
  virtual bool remove(std::string_view module, std::string_view path, AuthorityError* error) = 0;
};

}  // namespace interstice::runtime
