// render_chart: inline SVG line charts.
#include "web/charts.h"

#include <algorithm>
#include <cstdio>

namespace bb::web {
namespace {

// A coordinate with one decimal, so the markup stays short and stable.
std::string coordinate(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.1f", v);
  return buffer;
}

}  // namespace

Html render_chart(const Chart& chart) {
  auto words = [&](double v) { return chart.format ? chart.format(v) : coordinate(v); };
  std::size_t first = chart.values.size() > chart.max_points ? chart.values.size() - chart.max_points : 0;
  std::vector<double> values(chart.values.begin() + static_cast<std::ptrdiff_t>(first), chart.values.end());
  std::string width = std::to_string(chart.width), height = std::to_string(chart.height);
  Html svg;
  svg << "<svg class=\"chart "_html << chart.css_class << "\" viewBox=\"0 0 "_html << width << " "_html << height
      << "\" width=\""_html << width << "\" height=\""_html << height
      << "\" role=\"img\"><title>"_html << chart.title;
  if (values.empty()) {
    svg << " (—)</title><rect class=\"chart-frame\" x=\"0.5\" y=\"0.5\" width=\""_html
        << coordinate(chart.width - 1) << "\" height=\""_html << coordinate(chart.height - 1)
        << "\" fill=\"none\" stroke=\"#c8ccd4\"/></svg>"_html;
    return svg;
  }
  auto [low_it, high_it] = std::minmax_element(values.begin(), values.end());
  double low = *low_it, high = *high_it;
  svg << ": "_html << words(values.back()) << " (min "_html << words(low) << ", max "_html << words(high)
      << ")</title>"_html;
  // Labels take a band on the left of a larger chart.
  double left = chart.labels ? 64 : 2, right = chart.width - 2.0, top = 4, bottom = chart.height - 4.0;
  double span = high - low;
  auto x_of = [&](std::size_t i) {
    return values.size() == 1 ? (left + right) / 2 : left + (right - left) * static_cast<double>(i) / (values.size() - 1);
  };
  auto y_of = [&](double v) { return span <= 0 ? (top + bottom) / 2 : bottom - (bottom - top) * (v - low) / span; };
  if (chart.labels) {
    svg << "<text class=\"chart-label\" x=\"2\" y=\""_html << coordinate(top + 8) << "\" font-size=\"10\" fill=\"#5b6475\">"_html
        << words(high) << "</text><text class=\"chart-label\" x=\"2\" y=\""_html << coordinate(bottom)
        << "\" font-size=\"10\" fill=\"#5b6475\">"_html << words(low) << "</text><line x1=\""_html << coordinate(left)
        << "\" y1=\""_html << coordinate(bottom) << "\" x2=\""_html << coordinate(right) << "\" y2=\""_html
        << coordinate(bottom) << "\" stroke=\"#e1e4ea\"/>"_html;
  }
  std::string points;
  for (std::size_t i = 0; i < values.size(); ++i)
    points += (i ? " " : "") + coordinate(x_of(i)) + "," + coordinate(y_of(values[i]));
  svg << "<polyline class=\"chart-line\" fill=\"none\" stroke=\"#2557d6\" stroke-width=\"1.5\" points=\""_html << points
      << "\"/><circle class=\"chart-last\" r=\"2\" fill=\"#2557d6\" cx=\""_html << coordinate(x_of(values.size() - 1))
      << "\" cy=\""_html << coordinate(y_of(values.back())) << "\"/></svg>"_html;
  return svg;
}

}  // namespace bb::web
