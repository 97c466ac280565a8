//===- TesseraDialect.h - Tessera dialect declaration -----------*- C++ -*-===//
//
// Declares the `tessera` dialect class, its enums and attributes.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_DIALECT_TESSERA_TESSERADIALECT_H
#define TESSERA_DIALECT_TESSERA_TESSERADIALECT_H

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/Dialect.h"

#include "dialects/Tessera/TesseraDialect.h.inc"
#include "dialects/Tessera/TesseraEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialects/Tessera/TesseraAttrs.h.inc"

#endif // TESSERA_DIALECT_TESSERA_TESSERADIALECT_H
