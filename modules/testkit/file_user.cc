// Test fixture: holds the File authority and exposes each file call as a
// reducer that logs what happened ("status N" is the abi::Status number).
#include <interstice/sdk.h>

INTERSTICE_MODULE(file_user, "0.1.0", interstice::Visibility::Private)
INTERSTICE_REQUEST_AUTHORITY(File)

// What `remember` read: replay must see the same bytes, whatever the file
// holds by then.
struct Memory {
  std::string path;
  std::string text;
  INTERSTICE_TYPE(Memory, path, text)
};
INTERSTICE_TABLE(memory, Memory, primary_key(&Memory::path))

namespace {
std::string outcome(interstice::abi::Status status) {
  return status == interstice::abi::Status::Ok
             ? "ok"
             : "status " + std::to_string(static_cast<int>(status));
}
}  // namespace

void save(interstice::ReducerContext& ctx, std::string path, std::string text) {
  ctx.log("write " + path + ": " + outcome(ctx.files().write(path, text)));
}
INTERSTICE_REDUCER(save, "path", "text")

void load(interstice::ReducerContext& ctx, std::string path) {
  interstice::abi::Status status;
  auto data = ctx.files().read(path, &status);
  ctx.log("read " + path + ": " +
          (data ? std::string(data->data.begin(), data->data.end()) : outcome(status)));
}
INTERSTICE_REDUCER(load, "path")

void list(interstice::ReducerContext& ctx, std::string path) {
  interstice::abi::Status status;
  auto names = ctx.files().list(path, &status);
  std::string text;
  if (names)
    for (const std::string& n : *names) text += (text.empty() ? "" : ",") + n;
  ctx.log("list " + path + ": " + (names ? "[" + text + "]" : outcome(status)));
}
INTERSTICE_REDUCER(list, "path")

void erase(interstice::ReducerContext& ctx, std::string path) {
  ctx.log("delete " + path + ": " + outcome(ctx.files().remove(path)));
}
INTERSTICE_REDUCER(erase, "path")

void remember(interstice::ReducerContext& ctx, std::string path) {
  interstice::abi::Status status;
  auto data = ctx.files().read(path, &status);
  std::string text = data ? std::string(data->data.begin(), data->data.end()) : outcome(status);
  if (ctx.table<memory>().get(path))
    ctx.table<memory>().update(Memory{path, text});
  else
    ctx.table<memory>().insert(Memory{path, text});
}
INTERSTICE_REDUCER(remember, "path")
