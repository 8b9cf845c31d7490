#include "io/npy.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "core/error.hpp"

namespace b2m::io {

void write_npy(const std::string& path, const std::vector<double>& values,
               const std::vector<std::size_t>& shape) {
  std::size_t count = 1;
  std::string dims;
  for (std::size_t d : shape) {
    count *= d;
    dims += std::to_string(d) + ", ";
  }
  if (count != values.size())
    throw ConfigError("write_npy " + path + ": " + std::to_string(values.size()) +
                      " values for a shape of " + std::to_string(count));
  if (shape.size() > 1) dims.resize(dims.size() - 2);  // "(3,)" for 1-D, "(3, 4)" otherwise
  std::string header = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + dims + "), }";
  // Magic (6) + version (2) + length (2) + header + '\n' is a multiple of 64.
  const std::size_t total = (10 + header.size() + 1 + 63) / 64 * 64;
  header.append(total - 10 - header.size() - 1, ' ');
  header += '\n';
  const std::string partial = path + ".partial";
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::error_code made;
  if (!parent.empty()) std::filesystem::create_directories(parent, made);
  if (made) throw Error("cannot create the directory of " + path + ": " + made.message());
  {
    std::ofstream out(partial, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("cannot write " + partial + ": " + std::strerror(errno));
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
    out.write(prefix, sizeof prefix);
    out << header;
    static_assert(sizeof(double) == 8, "float64 expected");
    out.write(reinterpret_cast<const char*>(values.data()),
              static_cast<std::streamsize>(values.size() * sizeof(double)));
    out.flush();
    if (!out) {
      out.close();
      std::remove(partial.c_str());
      throw Error("writing " + partial + " failed: " + std::strerror(errno));
    }
  }
  std::error_code ec;
  std::filesystem::rename(partial, path, ec);
  if (ec) throw Error("cannot rename " + partial + " to " + path + ": " + ec.message());
}

}  // namespace b2m::io
