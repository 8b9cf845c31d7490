// A stage's summary: one row per unit of work (a subject, a subject x space
// pair, a prediction file) in typed columns, rendered as the aligned text
// table a stage prints, or as TSV or JSON for a --summary file. Rows are
// JSON objects keyed by the columns' names (NaN travels as null), so they
// can be recorded in an output file and gathered from other ranks as text.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace b2m::io {

struct Column {
  enum class Kind {
    text,     // a string, left-aligned
    count,    // an integer
    real,     // a number: printf `format` in the text table (e.g. "%.3f"); NaN prints "nan"
    mean_sd,  // [mean, sd]: "mean +- sd", each with `format`
  };
  std::string name;
  Kind kind = Kind::text;
  std::string format = "%.3f";
};

// Columns of each kind.
[[nodiscard]] inline Column text(std::string name) {
  return {std::move(name)};
}
[[nodiscard]] inline Column count(std::string name) {
  return {std::move(name), Column::Kind::count};
}
[[nodiscard]] inline Column real(std::string name, std::string format = "%.3f") {
  return {std::move(name), Column::Kind::real, std::move(format)};
}
[[nodiscard]] inline Column mean_sd(std::string name) {
  return {std::move(name), Column::Kind::mean_sd};
}

// A number for a row: NaN (no value) becomes null.
[[nodiscard]] nlohmann::json number(double value);
// A row's number: null reads as NaN.
[[nodiscard]] double number_or_nan(const nlohmann::json& value);

class SummaryTable {
 public:
  explicit SummaryTable(std::vector<Column> columns) : columns_(std::move(columns)) {}

  // A row: an object with a value for every column (extra keys are kept
  // but not shown).
  void add(nlohmann::json row);
  [[nodiscard]] const std::vector<nlohmann::json>& rows() const { return rows_; }
  [[nodiscard]] const std::vector<Column>& columns() const { return columns_; }

  // Columns padded to their widest cell, one space apart.
  [[nodiscard]] std::string text() const;
  // A header line of column names, then one line per row, tab-separated;
  // numbers as C++ streams print them by default (6 significant digits).
  [[nodiscard]] std::string tsv() const;
  // An array of the row objects.
  [[nodiscard]] std::string json() const;

 private:
  [[nodiscard]] std::string cell(const nlohmann::json& row, const Column& column, bool tsv) const;
  std::vector<Column> columns_;
  std::vector<nlohmann::json> rows_;
};

// Writes the table to `path` atomically (atomic_file.hpp): JSON if the name
// ends in ".json", else TSV.
void write_summary(const SummaryTable& table, const std::string& path);

}  // namespace b2m::io
