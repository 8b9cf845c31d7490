#include "io/provenance.hpp"

#include <ctime>

#include "core/version.hpp"
#include "io/checksum.hpp"
#include "mpi/agree.hpp"

namespace b2m::io {
namespace {

nlohmann::json inputs_json(const std::vector<InputFile>& inputs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& in : inputs) out.push_back({{"path", in.path}, {"xxh3_128", in.checksum}});
  return out;
}

std::string utc_now() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace

std::string Provenance::fingerprint() const {
  nlohmann::json all = {{"version", kVersion}, {"parameters", parameters}};
  nlohmann::json checksums = nlohmann::json::array();
  for (const auto& in : inputs) checksums.push_back(in.checksum);
  all["inputs"] = checksums;
  return all.dump();
}

std::vector<InputFile> checksum_inputs(const std::vector<std::string>& paths,
                                       const mpi::Comm& comm) {
  // Path i is read by rank i mod size: a stage over thousands of clips
  // reads gigabytes, which one rank alone would read while the rest wait.
  const auto ranks = std::size_t(comm.size()), rank = std::size_t(comm.rank());
  std::vector<std::string> sums(paths.size());
  mpi::agree_on(comm, [&] {
    for (std::size_t i = rank; i < paths.size(); i += ranks) sums[i] = file_checksum(paths[i]);
  });
  std::vector<InputFile> out;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    comm.bcast(sums[i], int(i % ranks));
    out.push_back({paths[i], sums[i]});
  }
  return out;
}

std::string join_command_line(int argc, const char* const* argv) {
  std::string out;
  for (int i = 0; i < argc; ++i) {
    std::string arg = argv[i];
    const bool plain =
        !arg.empty() && arg.find_first_of(" \t\n'\"\\$`*?;&|<>()") == std::string::npos;
    if (!out.empty()) out += ' ';
    if (plain) {
      out += arg;
    } else {
      out += '\'';
      for (char c : arg) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
      out += '\'';
    }
  }
  return out;
}

void write_provenance(H5File& file, const Provenance& provenance) {
  file.write_attribute("/", "b2m_version", std::string(kVersion));
  file.write_attribute("/", "command_line", provenance.command_line);
  file.write_attribute("/", "parameters", provenance.parameters.dump());
  file.write_attribute("/", "inputs", inputs_json(provenance.inputs).dump());
  file.write_attribute("/", "fingerprint", provenance.fingerprint());
  // Every rank must write identical attribute values: take rank 0's clock.
  std::string now = utc_now();
  file.comm().bcast(now, 0);
  file.write_attribute("/", "created", now);
}

}  // namespace b2m::io
