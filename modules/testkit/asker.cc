// A module that asks `counter` questions inside its own transactions and
// keeps the answers: a dependency runs on the same executor, so its
// queries answer at once.
#include <interstice/sdk.h>

INTERSTICE_MODULE(asker, "0.1.0", interstice::Visibility::Public)
INTERSTICE_DEPENDENCY("counter", "^0.1.0")

struct Answer {
  uint64_t id = 0;
  std::string question;
  std::string answer;
  INTERSTICE_TYPE(Answer, id, question, answer)
};
INTERSTICE_TABLE(answers, Answer, primary_key(&Answer::id), auto_inc(&Answer::id), public_table())

// Records counter.count_of(label), or the status when there is no value.
void ask(interstice::ReducerContext& ctx, std::string label) {
  auto count = ctx.query<uint64_t>("counter", "count_of", label);
  ctx.table<answers>().insert(
      Answer{0, "count_of " + label,
             count.ok() ? std::to_string(*count.value)
                        : "status " + std::to_string(static_cast<int>(count.status))});
}
INTERSTICE_REDUCER(ask, "label")

void ask_sneaky(interstice::ReducerContext& ctx) {
  auto answer = ctx.query<std::string>("counter", "sneaky");
  ctx.table<answers>().insert(Answer{
      0, "sneaky",
      answer.ok() ? *answer.value : "status " + std::to_string(static_cast<int>(answer.status))});
}
INTERSTICE_REDUCER(ask_sneaky)
