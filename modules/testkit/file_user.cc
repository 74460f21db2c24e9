// Test fixture: holds the File authority and exposes each file call as a
// reducer that logs what happened ("status N" is the abi::Status number).
#include <interstice/sdk.h>

INTERSTICE_MODULE(file_user, "0.1.0", interstice::Visibility::Private)
INTERSTICE_REQUEST_AUTHORITY(File)

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
