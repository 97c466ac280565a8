//===- Npy.cpp - NumPy .npy files -----------------------------------------===//
//
// A small, strict reader and writer of the .npy header and C-order data.
//
//===----------------------------------------------------------------------===//

#include "Npy.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <sstream>

using namespace tessera::npy;

namespace {
/// The value of `key` in the header dict text, e.g. "'<f4'" for 'descr'.
std::string dictValue(const std::string &header, const std::string &key) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos)
    return "";
  size_t colon = header.find(':', k);
  if (colon == std::string::npos)
    return "";
  size_t start = header.find_first_not_of(' ', colon + 1);
  if (start == std::string::npos)
    return "";
  size_t end;
  if (header[start] == '(')
    end = header.find(')', start) + 1;
  else if (header[start] == '\'')
    end = header.find('\'', start + 1) + 1;
  else
    end = header.find_first_of(",}", start);
  if (end == std::string::npos || end == 0)
    return "";
  return header.substr(start, end - start);
}

double halfToDouble(uint16_t h) {
  int sign = (h >> 15) & 1, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double v;
  if (exp == 0)
    v = std::ldexp(mant, -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = std::ldexp(mant + 1024, exp - 25);
  return sign ? -v : v;
}

uint16_t doubleToHalf(double d) {
  // Round through a native conversion where available.
  _Float16 h = static_cast<_Float16>(d);
  uint16_t bits;
  std::memcpy(&bits, &h, 2);
  return bits;
}
} // namespace

std::string tessera::npy::readNpy(const std::string &path, Array &out) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return "cannot open '" + path + "'";
  std::string bytes((std::istreambuf_iterator<char>(in)),
                    std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0)
    return "'" + path + "' is not a .npy file";
  unsigned major = static_cast<unsigned char>(bytes[6]);
  size_t headerLen, headerStart;
  if (major == 1) {
    headerLen = static_cast<unsigned char>(bytes[8]) |
                (static_cast<unsigned char>(bytes[9]) << 8);
    headerStart = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12)
      return "'" + path + "' is truncated";
    headerLen = 0;
    for (int i = 0; i < 4; ++i)
      headerLen |= static_cast<size_t>(static_cast<unsigned char>(bytes[8 + i]))
                   << (8 * i);
    headerStart = 12;
  } else {
    return "'" + path + "' has unsupported .npy version " +
           std::to_string(major);
  }
  if (headerStart + headerLen > bytes.size())
    return "'" + path + "' is truncated";
  std::string header = bytes.substr(headerStart, headerLen);
  std::string descr = dictValue(header, "descr");
  std::string order = dictValue(header, "fortran_order");
  std::string shape = dictValue(header, "shape");
  if (descr.size() < 4 || shape.empty() || order.empty())
    return "'" + path + "' has a malformed header";
  if (order != "False")
    return "'" + path + "' is in Fortran order; save it in C order";
  descr = descr.substr(1, descr.size() - 2);
  char endian = descr[0], kind = descr[1];
  int width = std::atoi(descr.c_str() + 2);
  if (endian == '>' || (endian != '<' && endian != '|' && endian != '='))
    return "'" + path + "' is big-endian; save it little-endian";
  out.shape.clear();
  std::string dims = shape.substr(1, shape.size() - 2);
  std::stringstream ss(dims);
  std::string item;
  int64_t count = 1;
  while (std::getline(ss, item, ',')) {
    size_t first = item.find_first_not_of(' ');
    if (first == std::string::npos)
      continue;
    char *end = nullptr;
    long long d = std::strtoll(item.c_str() + first, &end, 10);
    if (d < 0 || end == item.c_str() + first)
      return "'" + path + "' has a malformed shape " + shape;
    out.shape.push_back(d);
    if (d && count > (int64_t(1) << 40) / d)
      return "'" + path + "' is too large";
    count *= d;
  }
  // The widths of the dtypes read below (a larger one could make count x
  // width wrap); the bytes compared by division, which cannot.
  if (width != 1 && width != 2 && width != 4 && width != 8)
    return "'" + path + "' has unsupported dtype '" + descr + "'";
  size_t dataStart = headerStart + headerLen;
  if (static_cast<uint64_t>(count) >
      (bytes.size() - dataStart) / static_cast<size_t>(width))
    return "'" + path + "' holds fewer bytes than its shape needs";
  out.values.resize(count);
  const char *p = bytes.data() + dataStart;
  for (int64_t i = 0; i < count; ++i, p += width) {
    double v;
    if (kind == 'f' && width == 4) {
      float f;
      std::memcpy(&f, p, 4);
      v = f;
    } else if (kind == 'f' && width == 8) {
      std::memcpy(&v, p, 8);
    } else if (kind == 'f' && width == 2) {
      uint16_t h;
      std::memcpy(&h, p, 2);
      v = halfToDouble(h);
    } else if ((kind == 'i' || kind == 'u' || kind == 'b') &&
               (width == 1 || width == 2 || width == 4 || width == 8)) {
      int64_t x = 0;
      if (kind == 'i') {
        if (width == 1)
          x = *reinterpret_cast<const int8_t *>(p);
        else if (width == 2) {
          int16_t t;
          std::memcpy(&t, p, 2);
          x = t;
        } else if (width == 4) {
          int32_t t;
          std::memcpy(&t, p, 4);
          x = t;
        } else {
          std::memcpy(&x, p, 8);
        }
      } else {
        uint64_t t = 0;
        std::memcpy(&t, p, width);
        x = static_cast<int64_t>(t);
      }
      v = static_cast<double>(x);
    } else {
      return "'" + path + "' has unsupported dtype '" + descr + "'";
    }
    out.values[i] = v;
  }
  return "";
}

std::string tessera::npy::writeNpy(const std::string &path, const Array &array,
                                   const std::string &descr) {
  std::string shape = "(";
  for (size_t i = 0; i < array.shape.size(); ++i)
    shape +=
        std::to_string(array.shape[i]) +
        (array.shape.size() == 1 ? ","
                                 : (i + 1 < array.shape.size() ? ", " : ""));
  shape += ")";
  std::string header = "{'descr': '" + descr +
                       "', 'fortran_order': False, 'shape': " + shape + ", }";
  // Pad so that the data starts on a 64-byte boundary, ending with '\n'.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += '\x01';
  out += '\x00';
  out += static_cast<char>(header.size() & 0xff);
  out += static_cast<char>((header.size() >> 8) & 0xff);
  out += header;
  for (double v : array.values) {
    char buf[8];
    size_t n;
    if (descr == "<f4") {
      float f = static_cast<float>(v);
      std::memcpy(buf, &f, n = 4);
    } else if (descr == "<f8") {
      std::memcpy(buf, &v, n = 8);
    } else if (descr == "<f2") {
      uint16_t h = doubleToHalf(v);
      std::memcpy(buf, &h, n = 2);
    } else if (descr == "<i1") {
      int8_t x = static_cast<int8_t>(v);
      std::memcpy(buf, &x, n = 1);
    } else if (descr == "<i4") {
      int32_t x = static_cast<int32_t>(v);
      std::memcpy(buf, &x, n = 4);
    } else if (descr == "<i8") {
      int64_t x = static_cast<int64_t>(v);
      std::memcpy(buf, &x, n = 8);
    } else {
      return "unsupported output dtype '" + descr + "'";
    }
    out.append(buf, n);
  }
  std::ofstream os(path, std::ios::binary);
  if (!os || !os.write(out.data(), out.size()))
    return "cannot write '" + path + "'";
  return "";
}
