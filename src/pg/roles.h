// Roles a restore needs on another server: reading the memberships out of a stored
// `pg_dumpall --globals-only` script, and creating missing roles without login or password.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace bb {

class PgSession;

// (role, member) of every `GRANT role TO member ...;` line of a pg_dumpall globals script,
// identifiers unquoted. Other lines are ignored; nothing of the script is ever executed.
std::vector<std::pair<std::string, std::string>> parse_role_memberships(const std::string& globals_sql);

// Creates each of `roles` that does not exist (NOLOGIN, no password), then grants the
// memberships of `memberships` where both roles exist and one of them was just created.
// Returns the roles created, in order.
std::vector<std::string> create_missing_roles(PgSession& session, const std::vector<std::string>& roles,
                                              const std::vector<std::pair<std::string, std::string>>& memberships);

}  // namespace bb
