// Roles for a restore on another server.
#include "pg/roles.h"

#include <algorithm>

#include "pg/session.h"

namespace bb {
namespace {

// An identifier at pos as pg_dump's fmtId writes it: bare lowercase, or "quoted ""x""".
bool read_ident(const std::string& s, std::size_t& pos, std::string& out) {
  out.clear();
  if (pos < s.size() && s[pos] == '"') {
    for (++pos; pos < s.size(); ++pos) {
      if (s[pos] != '"') {
        out += s[pos];
      } else if (pos + 1 < s.size() && s[pos + 1] == '"') {
        out += '"';
        ++pos;
      } else {
        ++pos;
        return !out.empty();
      }
    }
    return false;
  }
  while (pos < s.size() && ((s[pos] >= 'a' && s[pos] <= 'z') || (s[pos] >= '0' && s[pos] <= '9') || s[pos] == '_' ||
                            s[pos] == '$' || static_cast<unsigned char>(s[pos]) >= 0x80))
    out += s[pos++];
  return !out.empty();
}

}  // namespace

std::vector<std::pair<std::string, std::string>> parse_role_memberships(const std::string& sql) {
  std::vector<std::pair<std::string, std::string>> out;
  for (std::size_t start = 0; start < sql.size();) {
    std::size_t end = sql.find('\n', start);
    if (end == std::string::npos) end = sql.size();
    std::string line = sql.substr(start, end - start);
    start = end + 1;
    if (line.rfind("GRANT ", 0) != 0) continue;
    std::size_t pos = 6;
    std::string role, member;
    if (!read_ident(line, pos, role) || line.compare(pos, 4, " TO ") != 0) continue;
    pos += 4;
    if (!read_ident(line, pos, member) || pos >= line.size() || (line[pos] != ' ' && line[pos] != ';')) continue;
    out.emplace_back(role, member);
  }
  return out;
}

std::vector<std::string> create_missing_roles(PgSession& s, const std::vector<std::string>& roles,
                                              const std::vector<std::pair<std::string, std::string>>& memberships) {
  auto exists = [&](const std::string& role) {
    return s.scalar("select 1 from pg_roles where rolname = $1", {role}).has_value();
  };
  std::vector<std::string> created;
  for (const auto& role : roles)
    if (!exists(role)) {
      s.exec("create role " + s.quote_ident(role) + " nologin");
      created.push_back(role);
    }
  auto is_new = [&](const std::string& role) {
    return std::find(created.begin(), created.end(), role) != created.end();
  };
  for (const auto& [role, member] : memberships)
    if ((is_new(role) || is_new(member)) && exists(role) && exists(member) &&
        !s.scalar("select 1 from pg_auth_members m join pg_roles r on r.oid = m.roleid join pg_roles u on "
                  "u.oid = m.member where r.rolname = $1 and u.rolname = $2",
                  {role, member}))
      s.exec("grant " + s.quote_ident(role) + " to " + s.quote_ident(member));
  return created;
}

}  // namespace bb
