// A module with a scheduled table: each row of `ticks` fires on_tick at its
// time, once or every period, and on_tick records the firing in `fired`
// with the transaction's timestamp (the time it was due). A tick labelled
// "fail" fails every time. `loads` gets a row on every load.
#include <interstice/sdk.h>

INTERSTICE_MODULE(ticker, "0.1.0", interstice::Visibility::Public)

struct Tick {
  uint64_t id = 0;
  interstice::ScheduleAt at;
  std::string label;
  INTERSTICE_TYPE(Tick, id, at, label)
};
INTERSTICE_TABLE(ticks, Tick, primary_key(&Tick::id), auto_inc(&Tick::id),
                 scheduled(&Tick::at, "on_tick"), public_table())

struct Fired {
  uint64_t id = 0;
  std::string label;
  int64_t due_us = 0;        // the row's time when it fired
  int64_t timestamp_us = 0;  // the transaction's
  INTERSTICE_TYPE(Fired, id, label, due_us, timestamp_us)
};
INTERSTICE_TABLE(fired, Fired, primary_key(&Fired::id), auto_inc(&Fired::id), public_table())

struct Load {
  uint64_t id = 0;
  int64_t timestamp_us = 0;
  INTERSTICE_TYPE(Load, id, timestamp_us)
};
INTERSTICE_TABLE(loads, Load, primary_key(&Load::id), auto_inc(&Load::id), public_table())

void on_tick(interstice::ReducerContext& ctx, Tick tick) {
  if (tick.label == "fail") ctx.fail("the tick labelled fail always fails");
  ctx.table<fired>().insert(Fired{0, tick.label, tick.at.at_us, ctx.timestamp()});
}
INTERSTICE_SCHEDULED(on_tick, "tick")

// Fires `label` once, `delay_us` from now.
void once(interstice::ReducerContext& ctx, std::string label, int64_t delay_us) {
  ctx.table<ticks>().insert(
      Tick{0, interstice::ScheduleAt::once(ctx.timestamp() + delay_us), std::move(label)});
}
INTERSTICE_REDUCER(once, "label", "delay_us")

// Fires `label` every `period_us`, the first time a period from now.
void every(interstice::ReducerContext& ctx, std::string label, int64_t period_us) {
  ctx.table<ticks>().insert(Tick{
      0, interstice::ScheduleAt::every(ctx.timestamp() + period_us, period_us), std::move(label)});
}
INTERSTICE_REDUCER(every, "label", "period_us")

// Cancels every tick labelled `label`: a schedule is a row.
void cancel(interstice::ReducerContext& ctx, std::string label) {
  for (const Tick& t : ctx.table<ticks>().scan().collect())
    if (t.label == label) ctx.table<ticks>().remove(t.id);
}
INTERSTICE_REDUCER(cancel, "label")

void on_load(interstice::ReducerContext& ctx) {
  ctx.table<loads>().insert(Load{0, ctx.timestamp()});
}
INTERSTICE_LOAD(on_load)
