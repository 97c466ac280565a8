//===- TesseraDialect.cpp - Tessera dialect registration --------*- C++ -*-===//
//
// Registers the ops and attributes of the `tessera` dialect.
//
//===----------------------------------------------------------------------===//

#include "dialects/Tessera/TesseraDialect.h"
#include "dialects/Tessera/TesseraOps.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tessera;

#include "dialects/Tessera/TesseraDialect.cpp.inc"
#include "dialects/Tessera/TesseraEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Tessera/TesseraAttrs.cpp.inc"

void TesseraDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialects/Tessera/TesseraOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialects/Tessera/TesseraAttrs.cpp.inc"
      >();
}
