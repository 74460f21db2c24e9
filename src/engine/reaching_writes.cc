#include "engine/reaching_writes.h"

#include <cstdint>
#include <set>

#include "engine/wasm_instructions.h"

namespace interstice::engine::reaching_writes {

using wasm_bytes::Reader;

namespace {

// How many node visits all the searches of one body may make before the
// analysis gives up (and the caller assumes the worst).
constexpr size_t kSearchBudget = 4'000'000;

constexpr uint32_t kNone = UINT32_MAX;

struct Node {
  std::vector<uint32_t> predecessors;
  std::map<uint32_t, size_t> last_writes;  // local -> offset of its last write here
};

struct Frame {
  enum Kind { Block, Loop, If } kind;
  uint32_t header = kNone;       // Loop: where its branches go
  uint32_t condition = kNone;    // If without an else yet: the node that tests
  std::vector<uint32_t> to_end;  // nodes that branch (or fall) to its end
};

class Graph {
 public:
  std::vector<Node> nodes{1};  // node 0 starts the function
  uint32_t current = 0;

  uint32_t start_node() {
    nodes.emplace_back();
    current = static_cast<uint32_t>(nodes.size() - 1);
    return current;
  }
  void edge(uint32_t from, uint32_t to) {
    if (from != kNone) nodes[to].predecessors.push_back(from);
  }
};

}  // namespace

std::optional<std::map<size_t, std::vector<size_t>>> find(std::span<const uint8_t> body,
                                                          size_t code_start,
                                                          const std::vector<size_t>& reads) {
  Graph graph;
  std::vector<Frame> frames{{Frame::Block}};                   // the function's own frame
  std::map<size_t, std::pair<uint32_t, uint32_t>> read_nodes;  // offset -> node, local
  std::set<size_t> wanted(reads.begin(), reads.end());
  std::map<size_t, size_t> within;  // read -> the write before it in its node
  // A branch to label `depth` from the current node.
  auto branch = [&](uint32_t depth) {
    if (depth + 1 >= frames.size()) return;  // to the function's frame: a return
    Frame& target = frames[frames.size() - 1 - depth];
    if (target.kind == Frame::Loop)
      graph.edge(graph.current, target.header);
    else
      target.to_end.push_back(graph.current);
  };
  Reader in(body);
  in.skip(code_start);
  while (!in.at_end()) {
    size_t at = in.position();
    uint8_t opcode = in.byte();
    Reader immediates = in;
    switch (opcode) {
      case 0x20: {  // local.get
        if (!wanted.count(at)) break;
        uint32_t local = immediates.u32();
        const auto& here = graph.nodes[graph.current].last_writes;
        if (auto write = here.find(local); write != here.end())
          within[at] = write->second;  // the write before it in its own node
        else
          read_nodes[at] = {graph.current, local};
        break;
      }
      case 0x21:  // local.set
      case 0x22:  // local.tee
        graph.nodes[graph.current].last_writes[immediates.u32()] = at;
        break;
      case 0x02:  // block
        frames.push_back({Frame::Block});
        break;
      case 0x03: {  // loop
        uint32_t before = graph.current;
        uint32_t header = graph.start_node();
        graph.edge(before, header);
        frames.push_back({Frame::Loop, header});
        break;
      }
      case 0x04: {  // if
        uint32_t condition = graph.current;
        graph.edge(condition, graph.start_node());
        frames.push_back({Frame::If, kNone, condition});
        break;
      }
      case 0x05: {  // else
        Frame& frame = frames.back();
        frame.to_end.push_back(graph.current);
        graph.edge(frame.condition, graph.start_node());
        frame.condition = kNone;
        break;
      }
      case 0x0b: {                      // end
        if (frames.size() == 1) break;  // the function's end
        Frame frame = std::move(frames.back());
        frames.pop_back();
        uint32_t before = graph.current;
        uint32_t after = graph.start_node();
        graph.edge(before, after);
        for (uint32_t from : frame.to_end) graph.edge(from, after);
        graph.edge(frame.condition, after);  // an if without an else
        break;
      }
      case 0x0c:  // br
        branch(immediates.u32());
        graph.start_node();  // unreachable until a branch target
        break;
      case 0x0d:    // br_if
      case 0xd5:    // br_on_null
      case 0xd6: {  // br_on_non_null
        branch(immediates.u32());
        uint32_t before = graph.current;
        graph.edge(before, graph.start_node());
        break;
      }
      case 0x0e: {  // br_table
        uint32_t count = immediates.u32();
        for (uint64_t i = 0; i <= count; ++i) branch(immediates.u32());
        graph.start_node();
        break;
      }
      case 0xfb: {  // br_on_cast, br_on_cast_fail: flags, then the label
        uint32_t op = immediates.u32();
        if (op != 0x18 && op != 0x19) break;
        immediates.byte();
        branch(immediates.u32());
        uint32_t before = graph.current;
        graph.edge(before, graph.start_node());
        break;
      }
      case 0x00:  // unreachable
      case 0x0f:  // return
      case 0x12:  // return_call
      case 0x13:  // return_call_indirect
      case 0x15:  // return_call_ref
        graph.start_node();
        break;
      case 0x06:  // the exceptions proposal: not modelled
      case 0x07:
      case 0x08:
      case 0x09:
      case 0x0a:
      case 0x18:
      case 0x19:
      case 0x1f:
        return std::nullopt;
      default:
        break;
    }
    wasm_bytes::skip_instruction(opcode, in);
  }

  // Each read: back along the paths into its node, up to the nearest write
  // of its local on each.
  std::map<size_t, std::vector<size_t>> reaching;
  for (const auto& [read, write] : within) reaching[read] = {write};
  // Reads of one local in one node see the same writes: searched once.
  std::map<std::pair<uint32_t, uint32_t>, size_t> searched;  // node, local -> a read
  size_t visits = 0;
  std::vector<size_t> seen(graph.nodes.size());  // the last search that visited each
  size_t search = 0;
  std::vector<uint32_t> work;
  for (const auto& [read, where] : read_nodes) {
    const auto [node, local] = where;
    if (auto done = searched.find(where); done != searched.end()) {
      reaching[read] = reaching[done->second];
      continue;
    }
    searched[where] = read;
    ++search;
    std::set<size_t> writes;
    work.assign(graph.nodes[node].predecessors.begin(), graph.nodes[node].predecessors.end());
    while (!work.empty()) {
      uint32_t from = work.back();
      work.pop_back();
      if (seen[from] == search) continue;
      seen[from] = search;
      if (++visits > kSearchBudget) return std::nullopt;
      const Node& n = graph.nodes[from];
      if (auto write = n.last_writes.find(local); write != n.last_writes.end()) {
        writes.insert(write->second);
        continue;
      }
      work.insert(work.end(), n.predecessors.begin(), n.predecessors.end());
    }
    reaching[read].assign(writes.begin(), writes.end());
  }
  return reaching;
}

}  // namespace interstice::engine::reaching_writes
