#include "io/npy.hpp"

#include <cstdint>
#include <string_view>

#include "core/error.hpp"
#include "io/atomic_file.hpp"

namespace b2m::io {

std::string npy_header(const std::string& descr, const std::vector<std::size_t>& shape) {
  std::string dims;
  for (std::size_t d : shape) dims += std::to_string(d) + ", ";
  if (shape.size() > 1) dims.resize(dims.size() - 2);  // "(3,)" for 1-D, "(3, 4)" otherwise
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64.
  const std::size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  const auto length = static_cast<std::uint16_t>(header.size());
  const char prefix[] = {'\x93',
                         'N',
                         'U',
                         'M',
                         'P',
                         'Y',
                         '\x01',
                         '\x00',
                         static_cast<char>(length & 0xff),
                         static_cast<char>(length >> 8)};
  return std::string(prefix, sizeof prefix) + header;
}

void stage_npy(const std::string& path, const double* values,
               const std::vector<std::size_t>& shape) {
  std::size_t count = 1;
  for (std::size_t d : shape) count *= d;
  static_assert(sizeof(double) == 8, "float64 expected");
  stage_file(path,
             {npy_header("<f8", shape),
              std::string_view(reinterpret_cast<const char*>(values), count * sizeof(double))});
}

}  // namespace b2m::io
