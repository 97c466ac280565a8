//===- TesseraDialect.cpp - Tessera dialect registration --------*- C++ -*-===//
//
// Registers the ops and attributes of the `tessera` dialect.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tessera/TesseraDialect.h"
#include "dialects/Tessera/TesseraOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "mlir/Transforms/InliningUtils.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tessera;

#include "dialects/Tessera/TesseraDialect.cpp.inc"
#include "dialects/Tessera/TesseraEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Tessera/TesseraAttrs.cpp.inc"

namespace {
/// Tessera ops are pure and have no regions: calls to functions using them
/// can always be inlined (model graphs factor glue into helpers).
struct TesseraInlinerInterface : DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;
  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void TesseraDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Tessera/TesseraOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/Tessera/TesseraAttrs.cpp.inc"
      >();
  addInterfaces<TesseraInlinerInterface>();
}
