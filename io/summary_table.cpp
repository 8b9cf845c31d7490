#include "io/summary_table.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

#include "core/error.hpp"
#include "io/atomic_file.hpp"

namespace b2m::io {
namespace {

std::string printf_number(const std::string& format, double value) {
  char text[64];
  std::snprintf(text, sizeof text, format.c_str(), value);
  return text;
}

std::string stream_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

}  // namespace

nlohmann::json number(double value) {
  return std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value);
}

double number_or_nan(const nlohmann::json& value) {
  return value.is_null() ? std::numeric_limits<double>::quiet_NaN() : value.get<double>();
}

void SummaryTable::add(nlohmann::json row) {
  for (const Column& c : columns_)
    if (!row.contains(c.name))
      throw Error("summary row without the column '" + c.name + "': " + row.dump());
  rows_.push_back(std::move(row));
}

std::string SummaryTable::cell(const nlohmann::json& row, const Column& column, bool tsv) const {
  const nlohmann::json& v = row.at(column.name);
  switch (column.kind) {
    case Column::Kind::text:
      return v.get<std::string>();
    case Column::Kind::count:
      return std::to_string(v.get<long long>());
    case Column::Kind::real:
      return tsv ? stream_number(number_or_nan(v)) : printf_number(column.format, number_or_nan(v));
    case Column::Kind::mean_sd: {
      const double mean = number_or_nan(v.at(0)), sd = number_or_nan(v.at(1));
      if (tsv) return stream_number(mean) + "\t" + stream_number(sd);
      return printf_number(column.format, mean) + " +- " + printf_number(column.format, sd);
    }
  }
  return {};
}

std::string SummaryTable::text() const {
  std::vector<std::vector<std::string>> cells(rows_.size() + 1);
  std::vector<std::size_t> width;
  for (const Column& c : columns_) {
    cells[0].push_back(c.name);
    width.push_back(c.name.size());
  }
  for (std::size_t r = 0; r < rows_.size(); ++r)
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      cells[r + 1].push_back(cell(rows_[r], columns_[c], false));
      width[c] = std::max(width[c], cells[r + 1].back().size());
    }
  std::string out;
  for (const auto& line : cells) {
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const std::string pad(width[c] - line[c].size(), ' ');
      const bool left = columns_[c].kind == Column::Kind::text;
      out += (c ? " " : "") + (left ? line[c] + pad : pad + line[c]);
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    out += '\n';
  }
  return out;
}

std::string SummaryTable::tsv() const {
  std::string out;
  for (std::size_t c = 0; c < columns_.size(); ++c) {
    const Column& column = columns_[c];
    out += (c ? "\t" : "") + (column.kind == Column::Kind::mean_sd
                                  ? column.name + "_mean\t" + column.name + "_sd"
                                  : column.name);
  }
  out += '\n';
  for (const nlohmann::json& row : rows_) {
    for (std::size_t c = 0; c < columns_.size(); ++c)
      out += (c ? "\t" : "") + cell(row, columns_[c], true);
    out += '\n';
  }
  return out;
}

std::string SummaryTable::json() const {
  return nlohmann::json(rows_).dump(2) + "\n";
}

void write_summary(const SummaryTable& table, const std::string& path) {
  const bool json = path.size() >= 5 && path.compare(path.size() - 5, 5, ".json") == 0;
  const std::string text = json ? table.json() : table.tsv();
  write_file_atomically(path, {text});
}

}  // namespace b2m::io
