#include "io/corpus_file.hpp"

#include "core/error.hpp"

namespace b2m::io {

CorpusLayout read_corpus_layout(const H5File& f) {
  CorpusLayout c;
  if (!f.exists("/embeddings")) throw InputError(f.path() + ": no /embeddings dataset");
  const Shape s = f.shape("/embeddings");
  if (s.size() != 2 || s[0] == 0 || s[1] == 0)
    throw InputError(f.path() + ":/embeddings: expected a non-empty [N, d] dataset");
  c.rows = s[0];
  c.dim = s[1];
  c.has_ids = f.exists("/ids");
  if (c.has_ids && f.shape("/ids") != Shape{c.rows})
    throw InputError(f.path() + ":/ids must have one entry per corpus row (" +
                     std::to_string(c.rows) + ")");
  for (const std::string& tag : f.children("/tags")) {
    const std::string path = "/tags/" + tag;
    if (f.shape(path) != Shape{c.rows})
      throw InputError(f.path() + ":" + path + " must have one entry per corpus row (" +
                       std::to_string(c.rows) + ")");
    c.tags.push_back(tag);
    c.tag_names.push_back(f.has_attribute(path, "names") ? f.read_strings_attribute(path, "names")
                                                         : std::vector<std::string>{});
  }
  return c;
}

void read_corpus_rows(const H5File& f, const CorpusLayout& c, std::size_t first, std::size_t n,
                      Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>& columns) {
  columns.resize(static_cast<Eigen::Index>(c.dim), static_cast<Eigen::Index>(n));
  f.read<float>("/embeddings", {first, 0}, {n, n ? c.dim : 0}, columns.data());
}

void check_corpus_rows(const H5File& f,
                       const Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic>& columns,
                       std::size_t first) {
  for (Eigen::Index i = 0; i < columns.cols(); ++i)
    if (!columns.col(i).allFinite())
      throw InputError(f.path() + ":/embeddings: non-finite value in corpus row " +
                       std::to_string(first + static_cast<std::size_t>(i)));
}

void read_corpus_metadata(const H5File& f, const CorpusLayout& c, std::size_t first, std::size_t n,
                          std::vector<std::string>& ids,
                          std::vector<std::vector<std::int32_t>>& tags) {
  ids.clear();
  if (c.has_ids) ids = f.read_strings("/ids", {first}, {n});
  tags.assign(c.tags.size(), std::vector<std::int32_t>(n));
  for (std::size_t t = 0; t < c.tags.size(); ++t)
    f.read<std::int32_t>("/tags/" + c.tags[t], {first}, {n}, tags[t].data());
  if (!c.has_ids)
    for (std::size_t i = 0; i < n; ++i) ids.push_back(std::to_string(first + i));
}

void create_corpus(H5File& f, std::size_t rows, std::size_t dim, std::size_t id_width,
                   const std::vector<std::pair<std::string, std::vector<std::string>>>& tags) {
  f.create<float>("/embeddings", {rows, dim});
  f.create_strings("/ids", {rows}, id_width);
  for (const auto& [tag, names] : tags) {
    f.create<std::int32_t>("/tags/" + tag, {rows});
    f.write_attribute("/tags/" + tag, "names", names);
  }
}

void write_corpus_rows(H5File& f, std::size_t first, const RowMajor<float>& embeddings,
                       const std::vector<std::string>& ids,
                       const std::vector<std::vector<std::int32_t>>& tags) {
  const std::size_t n = ids.size();
  write_rows<float>(f, "/embeddings", first, 0, embeddings);
  f.write_strings("/ids", {first}, {n}, ids);
  const std::vector<std::string> names = f.children("/tags");
  for (std::size_t t = 0; t < names.size(); ++t)
    f.write<std::int32_t>("/tags/" + names[t], {first}, {n}, tags.at(t).data());
}

}  // namespace b2m::io
