//===- SelectSchedule.cpp - tessera-gpu-select-schedule -------------------===//
//
// The generic schedule driver: every op that has a kernel family gets its
// schedules chosen (or its pinned ones checked) by that family.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"
#include "passes/Gpu/KernelFamily.h"

namespace mlir::tessera {
#define GEN_PASS_DEF_TESSERAGPUSELECTSCHEDULE
#include "passes/Passes.h.inc"
} // namespace mlir::tessera

using namespace mlir;
using namespace mlir::tessera;
using namespace mlir::tessera::kernels;

namespace {
struct GpuSelectSchedulePass
    : mlir::tessera::impl::TesseraGpuSelectScheduleBase<GpuSelectSchedulePass> {
  using Base::Base;

  void runOnOperation() override {
    const GpuTarget *gpu = ::tessera::findGpuTarget(target);
    if (!gpu) {
      getOperation().emitError()
          << "tessera-gpu-select-schedule: unknown target '" << target
          << "' (expected " << ::tessera::listGpuTargets() << ")";
      return signalPassFailure();
    }
    WalkResult result = getOperation().walk([&](Operation *op) {
      const KernelFamily *family = lookupKernelFamily(op);
      if (family && failed(family->selectSchedules(op, *gpu)))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
