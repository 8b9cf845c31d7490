// Summary numbers in JSON, where NaN (no value) travels as null: the
// per-subject summaries are gathered from every rank group as JSON text.
#pragma once

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

namespace b2m::jobs {

[[nodiscard]] inline nlohmann::json json_number(double v) {
  return std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v);
}

[[nodiscard]] inline double number_or_nan(const nlohmann::json& v) {
  return v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>();
}

}  // namespace b2m::jobs
