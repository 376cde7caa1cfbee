// render_chart: the SVG a history chart is, escaped, with its accessible title, no script
// and no style attribute (the console's Content-Security-Policy), scaled into its frame.
#include "web/charts.h"

#include <gtest/gtest.h>

#include <regex>

namespace bb::web {
namespace {

std::vector<std::pair<double, double>> points_of(const std::string& svg) {
  std::smatch m;
  EXPECT_TRUE(std::regex_search(svg, m, std::regex("points=\"([^\"]*)\"")));
  std::vector<std::pair<double, double>> out;
  std::string list = m[1];
  std::regex pair("([0-9.]+),([0-9.]+)");
  for (auto it = std::sregex_iterator(list.begin(), list.end(), pair); it != std::sregex_iterator(); ++it)
    out.emplace_back(std::stod((*it)[1]), std::stod((*it)[2]));
  return out;
}

TEST(ChartsTest, LineRisesWithTheValuesInsideTheFrame) {
  Chart c;
  c.title = "sales: stored size";
  c.css_class = "chart-size";
  c.values = {10, 30, 20};
  std::string svg = render_chart(c).str();
  EXPECT_EQ(svg.rfind("<svg class=\"chart chart-size\" viewBox=\"0 0 120 28\"", 0), 0u) << svg;
  EXPECT_NE(svg.find("role=\"img\""), std::string::npos);
  EXPECT_NE(svg.find("<title>sales: stored size: 20.0 (min 10.0, max 30.0)</title>"), std::string::npos) << svg;
  auto points = points_of(svg);
  ASSERT_EQ(points.size(), 3u);
  EXPECT_LT(points[0].first, points[1].first);
  EXPECT_LT(points[1].first, points[2].first);
  // SVG's y grows downwards: the highest value is drawn highest, the lowest lowest.
  EXPECT_LT(points[1].second, points[2].second);
  EXPECT_LT(points[2].second, points[0].second);
  for (auto [x, y] : points) {
    EXPECT_GE(x, 0);
    EXPECT_LE(x, 120);
    EXPECT_GE(y, 0);
    EXPECT_LE(y, 28);
  }
}

TEST(ChartsTest, TitleIsEscapedAndNoScriptOrStyleAttribute) {
  Chart c;
  c.title = "<script>alert(1)</script>";
  c.values = {1, 2};
  std::string svg = render_chart(c).str();
  EXPECT_EQ(svg.find("<script"), std::string::npos) << svg;
  EXPECT_NE(svg.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
  EXPECT_EQ(svg.find("style="), std::string::npos);
  EXPECT_EQ(svg.find(" on"), std::string::npos);
}

TEST(ChartsTest, FlatSingleAndEmptySeries) {
  Chart c;
  c.values = {5, 5, 5};
  auto flat = points_of(render_chart(c).str());
  ASSERT_EQ(flat.size(), 3u);
  EXPECT_EQ(flat[0].second, 14.0);  // a flat series runs through the middle
  EXPECT_EQ(flat[2].second, 14.0);
  c.values = {7};
  auto single = points_of(render_chart(c).str());
  ASSERT_EQ(single.size(), 1u);
  EXPECT_EQ(single[0].first, 60.0);
  c.title = "none yet";
  c.values = {};
  std::string empty = render_chart(c).str();
  EXPECT_EQ(empty.find("polyline"), std::string::npos);
  EXPECT_NE(empty.find("<title>none yet (—)</title>"), std::string::npos) << empty;
}

TEST(ChartsTest, OnlyTheNewestPointsAndLabelsInTheirWords) {
  Chart c;
  c.max_points = 3;
  c.values = {100, 1, 2, 3};
  c.labels = true;
  c.width = 400;
  c.height = 100;
  c.format = [](double v) { return std::to_string(static_cast<int>(v)) + " s"; };
  std::string svg = render_chart(c).str();
  EXPECT_EQ(points_of(svg).size(), 3u);
  EXPECT_NE(svg.find(">3 s</text>"), std::string::npos) << svg;
  EXPECT_NE(svg.find(">1 s</text>"), std::string::npos);
  EXPECT_EQ(svg.find("100 s"), std::string::npos) << "the oldest point is beyond max_points";
}

}  // namespace
}  // namespace bb::web
