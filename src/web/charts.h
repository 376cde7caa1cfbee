// History charts as inline SVG: a line over a series of values (stored bytes or backup
// duration per backup, oldest first). Pure, no script: SVG presentation attributes and
// classes for the stylesheet (a Content-Security-Policy may forbid style attributes), an
// accessible <title> (role="img"), every text escaped through Html.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "web/html.h"

namespace bb::web {

// What to draw.
struct Chart {
  std::string title;                // the accessible name, e.g. "sales: stored size per backup"
  std::string css_class;            // added to "chart", e.g. "chart-size"
  std::vector<double> values;       // oldest first; at most max_points newest are drawn
  int width = 120;                  // user units of the viewBox
  int height = 28;
  bool labels = false;              // a larger chart: the highest and lowest value as text
  std::function<std::string(double)> format;  // words a value for labels and the title (default: the number)
  std::size_t max_points = 60;
};

// The chart as one <svg> element. No values: an empty frame whose title says so.
Html render_chart(const Chart& chart);

}  // namespace bb::web
