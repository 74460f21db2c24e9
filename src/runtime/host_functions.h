// The `interstice` host functions (abi/host_calls.h) and the deterministic
// WASI subset, defined into a module's Linker. They find their module through
// the instance's user data (a LoadedModule*).
#pragma once

#include "engine/linker.h"
#include "engine/module.h"
#include "engine/result.h"

namespace interstice::runtime {

base::Result<void> define_interstice_host(engine::Linker& linker);
// The File, Gpu and Audio calls (authority_host_calls.cc); part of the above.
base::Result<void> define_authority_host(engine::Linker& linker);
// The Gpu calls (gpu_host_calls.cc); part of define_authority_host.
base::Result<void> define_gpu_host(engine::Linker& linker);

// wasi_snapshot_preview1: fd_write (stdout/stderr to the module's log),
// clock_time_get (the transaction's timestamp), random_get (the transaction's
// generator), empty args and environment, proc_exit (a trap), sched_yield;
// every other function the module imports answers ENOSYS.
base::Result<void> define_wasi(engine::Linker& linker, const engine::Module& module);

}  // namespace interstice::runtime
