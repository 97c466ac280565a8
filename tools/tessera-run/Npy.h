//===- Npy.h - NumPy .npy files ---------------------------------*- C++ -*-===//
//
// Reads and writes the NumPy .npy format (versions 1 and 2, C order) for
// tessera-run's inputs and outputs.
//
//===----------------------------------------------------------------------===//

#ifndef TESSERA_TOOLS_TESSERA_RUN_NPY_H
#define TESSERA_TOOLS_TESSERA_RUN_NPY_H

#include <cstdint>
#include <string>
#include <vector>

namespace tessera::npy {

/// An array read from or written to a .npy file; values are held as double.
struct Array {
  std::vector<int64_t> shape;
  std::vector<double> values;
};

/// Reads `path`. Accepts little-endian f2, f4, f8, i1, i2, i4, i8, u1, u2,
/// u4, u8 and b1 in C order. Returns "" or an error message.
std::string readNpy(const std::string &path, Array &out);

/// Writes `array` as `descr` ("<f4", "<f8", "<f2", "<i1", "<i4", "<i8").
/// Returns "" or an error message.
std::string writeNpy(const std::string &path, const Array &array,
                     const std::string &descr);

} // namespace tessera::npy

#endif // TESSERA_TOOLS_TESSERA_RUN_NPY_H
