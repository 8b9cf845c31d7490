#include "io/embedding_table.hpp"

#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "core/error.hpp"
#include "io/npy_array.hpp"

namespace b2m::io {
namespace {

std::string trim(const std::string& s) {
  const auto a = s.find_first_not_of(" \t\r\"'");
  const auto b = s.find_last_not_of(" \t\r\"'");
  return a == std::string::npos ? "" : s.substr(a, b - a + 1);
}

std::vector<std::string> split(const std::string& line, char sep) {
  std::vector<std::string> out;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, sep)) out.push_back(trim(field));
  if (!line.empty() && line.back() == sep) out.emplace_back();
  return out;
}

// [clips, dim] or [clips, windows, dim] -> windows and dim; else an error.
void take_shape(EmbeddingTable& t, const std::vector<std::size_t>& shape) {
  if (shape.size() == 2) {
    t.windows = 1;
    t.dim = shape[1];
  } else if (shape.size() == 3) {
    t.windows = shape[1];
    t.dim = shape[2];
  } else {
    throw InputError(t.source + ": a " + std::to_string(shape.size()) +
                     "-D array; [clips, dim] or [clips, windows, dim] is expected");
  }
  if (t.windows == 0 || t.dim == 0) throw InputError(t.source + ": no windows or no dimensions");
}

}  // namespace

std::vector<std::string> read_id_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot read the clip ids " + path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!trim(line).empty()) out.push_back(trim(line));
  return out;
}

EmbeddingTable read_npy_table(const std::string& path, const std::string& ids_path) {
  const NpyReader array(path);
  EmbeddingTable t;
  t.source = path;
  take_shape(t, array.shape());
  t.ids = read_id_list(ids_path);
  if (t.ids.size() != array.rows())
    throw InputError(ids_path + " lists " + std::to_string(t.ids.size()) + " clip ids, but " +
                     path + " has " + std::to_string(array.rows()) + " rows");
  const RowMajor<float> all = array.rows({0, array.rows()});
  t.values.assign(all.data(), all.data() + all.size());
  return t;
}

EmbeddingTable read_csv_table(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw InputError("cannot read " + path);
  EmbeddingTable t;
  t.source = path;
  std::string line;
  if (!std::getline(in, line)) throw InputError(path + ": empty");
  if (line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
  const char sep = line.find('\t') != std::string::npos ? '\t' : ',';
  const std::vector<std::string> header = split(line, sep);
  std::size_t clip_col = header.size(), window_col = header.size();
  std::vector<std::size_t> dims;
  for (std::size_t c = 0; c < header.size(); ++c) {
    std::string name = header[c];
    for (char& ch : name) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    if (name == "clip" || name == "clip_id" || name == "id")
      clip_col = c;
    else if (name == "window")
      window_col = c;
    else
      dims.push_back(c);
  }
  if (clip_col == header.size()) throw InputError(path + ": no 'clip' column in the header");
  if (dims.empty()) throw InputError(path + ": no embedding columns");
  t.dim = dims.size();
  // clip -> window -> values
  std::map<std::string, std::map<std::size_t, std::vector<float>>> rows;
  std::vector<std::string> order;
  for (std::size_t number = 2; std::getline(in, line); ++number) {
    if (trim(line).empty()) continue;
    const std::vector<std::string> f = split(line, sep);
    const std::string where = path + ":" + std::to_string(number);
    if (f.size() != header.size())
      throw InputError(where + ": " + std::to_string(f.size()) + " fields, the header has " +
                       std::to_string(header.size()));
    std::size_t window = 0;
    if (window_col != header.size()) {
      try {
        std::size_t used = 0;
        window = std::stoul(f[window_col], &used);
        if (used != f[window_col].size()) throw std::invalid_argument(f[window_col]);
      } catch (const std::exception&) {
        throw InputError(where + ": window '" + f[window_col] + "' is not a whole number");
      }
    }
    std::vector<float> v;
    for (std::size_t c : dims) {
      try {
        std::size_t used = 0;
        v.push_back(std::stof(f[c], &used));
        if (used != f[c].size()) throw std::invalid_argument(f[c]);
      } catch (const std::exception&) {
        throw InputError(where + ": '" + f[c] + "' (column " + header[c] + ") is not a number");
      }
    }
    auto& windows = rows[f[clip_col]];
    if (windows.empty()) order.push_back(f[clip_col]);
    if (!windows.emplace(window, std::move(v)).second)
      throw InputError(where + ": clip " + f[clip_col] + " window " + std::to_string(window) +
                       " appears twice");
  }
  if (order.empty()) throw InputError(path + ": no rows");
  t.windows = rows.begin()->second.size();
  for (const std::string& id : order) {
    const auto& windows = rows.at(id);
    if (windows.size() != t.windows || windows.rbegin()->first + 1 != t.windows)
      throw InputError(
          path + ": clip " + id + " has windows " + std::to_string(windows.begin()->first) + ".." +
          std::to_string(windows.rbegin()->first) + " (" + std::to_string(windows.size()) +
          "), the first clip 0.." + std::to_string(t.windows - 1));
    t.ids.push_back(id);
    for (const auto& [w, v] : windows) t.values.insert(t.values.end(), v.begin(), v.end());
  }
  return t;
}

EmbeddingTable read_h5_table(const H5File& file, const std::string& dataset) {
  const std::string& path = file.path();
  EmbeddingTable t;
  t.source = path + ":" + dataset;
  if (!file.exists(dataset)) throw InputError(path + ": no dataset " + dataset);
  take_shape(t, file.shape(dataset));
  const std::string parent = dataset.substr(0, dataset.find_last_of('/'));
  const std::string beside = (parent.empty() ? "" : parent) + "/ids";
  if (file.has_attribute(dataset, "ids"))
    t.ids = file.read_strings_attribute(dataset, "ids");
  else if (file.exists(beside))
    t.ids = file.read_strings(beside, {0}, {file.shape(beside).at(0)});
  else
    throw InputError(t.source + ": no clip ids (an attribute 'ids' or a dataset " + beside + ")");
  if (t.ids.size() != file.shape(dataset)[0])
    throw InputError(t.source + ": " + std::to_string(file.shape(dataset)[0]) + " rows but " +
                     std::to_string(t.ids.size()) + " clip ids");
  t.values = file.read_all<float>(dataset);
  return t;
}

ClipEmbeddings select_clips(const EmbeddingTable& table, const std::vector<std::string>& clip_ids,
                            double window_s, double step_s) {
  std::map<std::string, std::size_t> row;
  for (std::size_t i = 0; i < table.ids.size(); ++i)
    if (!row.emplace(table.ids[i], i).second)
      throw InputError(table.source + ": clip " + table.ids[i] + " appears twice");
  std::vector<std::string> missing;
  for (const std::string& id : clip_ids)
    if (!row.count(id)) missing.push_back(id);
  if (!missing.empty()) {
    std::string listed;
    for (std::size_t i = 0; i < std::min<std::size_t>(missing.size(), 5); ++i)
      listed += (i ? ", " : "") + missing[i];
    throw InputError(table.source + ": no embedding for " + std::to_string(missing.size()) +
                     " of the " + std::to_string(clip_ids.size()) + " clips the events play (" +
                     listed + (missing.size() > 5 ? ", ..." : "") + ")");
  }
  ClipEmbeddings out;
  out.source = table.source;
  out.ids = clip_ids;
  out.windows = table.windows;
  out.dim = table.dim;
  out.window_s = window_s;
  out.step_s = step_s;
  const std::size_t per_clip = table.windows * table.dim;
  for (const std::string& id : clip_ids) {
    const float* from = table.values.data() + row.at(id) * per_clip;
    for (std::size_t j = 0; j < per_clip; ++j)
      if (!std::isfinite(from[j]))
        throw InputError(table.source + ": a non-finite value in clip " + id + " (window " +
                         std::to_string(j / table.dim) + ", dimension " +
                         std::to_string(j % table.dim) + ")");
    out.values.insert(out.values.end(), from, from + per_clip);
  }
  return out;
}

}  // namespace b2m::io
