//===- StatusOutcome.h - Status helpers for the runtime tests ---*- C++ -*-===//
//
// Turns a tessera_status_t into a value the tests can compare.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_TEST_RUNTIME_STATUSOUTCOME_H
#define TESSERA_TEST_RUNTIME_STATUSOUTCOME_H

#include "tessera/tessera_runtime.h"

#include <string>

/// The code and message of a status.
struct Outcome {
  tessera_status_code_t code;
  std::string message;
};

/// Takes ownership of `s` and returns its code and message.
inline Outcome take(tessera_status_t s) {
  Outcome o{tessera_status_code(s), tessera_status_message(s)};
  tessera_status_free(s);
  return o;
}

#endif // TESSERA_TEST_RUNTIME_STATUSOUTCOME_H
