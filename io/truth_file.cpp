#include "io/truth_file.hpp"

namespace b2m::io {

void create_truth(H5File& f, const std::vector<std::string>& spaces,
                  const std::vector<ColMajor<float>>& basis, std::size_t voxels,
                  const std::vector<std::pair<std::string, double>>& parameters,
                  const std::string& preset) {
  f.create<std::uint8_t>("/drivers", {voxels});
  f.write_attribute("/drivers", "spaces", spaces);
  f.create<float>("/snr", {voxels});
  f.create<float>("/noise_ceiling", {voxels});
  f.create<float>("/unread", {voxels});
  f.create_group("/parameters");
  f.write_attribute("/parameters", "preset", preset);
  for (const auto& [name, value] : parameters)
    f.write_attribute("/parameters", name, std::vector<double>{value});
  for (std::size_t s = 0; s < spaces.size(); ++s) {
    const std::string g = "/spaces/" + spaces[s];
    write_matrix<float>(f, g + "/basis", basis[s]);
    f.create<float>(g + "/loadings", {static_cast<std::size_t>(basis[s].cols()), voxels});
  }
}

void write_truth(H5File& f, std::size_t first, const TruthBlock& b) {
  const std::size_t w = b.drivers.size();
  f.write<std::uint8_t>("/drivers", {first}, {w}, b.drivers.data());
  f.write<float>("/snr", {first}, {w}, b.snr.data());
  f.write<float>("/noise_ceiling", {first}, {w}, b.noise_ceiling.data());
  f.write<float>("/unread", {first}, {w}, b.unread.data());
  const std::vector<std::string> spaces = f.read_strings_attribute("/drivers", "spaces");
  for (std::size_t s = 0; s < spaces.size(); ++s)
    write_rows<float>(f, "/spaces/" + spaces[s] + "/loadings", 0, first,
                      s < b.loadings.size() ? RowMajor<float>(b.loadings[s]) : RowMajor<float>());
}

}  // namespace b2m::io
