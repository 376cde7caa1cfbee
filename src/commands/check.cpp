// `backupbuddy check`.
#include "commands/check.h"

#include <unistd.h>

#include <functional>
#include <iostream>
#include <set>
#include <nlohmann/json.hpp>

#include "bot/telegram.h"
#include "pg/session.h"
#include "pg/tools.h"
#include "state/state.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/log.h"
#include "util/format.h"

namespace bb {
namespace {

struct Item {
  bool ok;
  std::string text;
  bool warning = false;  // works, but needs attention (shown as [warn]; does not fail check)
};

class Checklist {
 public:
  explicit Checklist(bool json) : json_(json) {}
  // Runs one check; a thrown error becomes a failed item with its message.
  bool run(const std::string& name, const std::function<std::string()>& check) {
    Item item;
    try {
      item = {true, name + ": " + check()};
    } catch (const std::exception& e) {
      item = {false, name + ": " + log::mask_secrets(e.what())};
    }
    add(item);
    return item.ok;
  }
  void add(const Item& item) {
    items_.push_back(item);
    if (!json_) std::cout << (!item.ok ? "[FAIL] " : item.warning ? "[warn] " : "[ok]   ") << item.text << std::endl;
  }
  int finish() const {
    int failed = 0;
    std::vector<std::string> warnings;
    for (const auto& i : items_) {
      failed += i.ok ? 0 : 1;
      if (i.warning) warnings.push_back(i.text);
    }
    if (json_) {
      nlohmann::ordered_json j;
      j["ok"] = failed == 0;
      j["checks"] = nlohmann::ordered_json::array();
      for (const auto& i : items_) j["checks"].push_back({{"ok", i.ok}, {"text", i.text}, {"warning", i.warning}});
      j["warnings"] = warnings;
      std::cout << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << std::endl;
    } else {
      std::string with_warnings =
          warnings.empty() ? "" : ", but see the " + std::to_string(warnings.size()) + " warning(s) above";
      std::cout << (failed == 0 ? "everything needed for a backup works" + with_warnings + "\n"
                                : std::to_string(failed) + " check(s) FAILED — fix them before relying on backups\n");
    }
    return failed == 0 ? kExitOk : kExitFailed;
  }

 private:
  bool json_;
  std::vector<Item> items_;
};

// Runs one probe step; a failure names the operation, so a provider's missing feature is
// pinned down ("multipart upload (initiate, upload part, complete): …").
template <typename F>
void probe_step(const std::string& operation, F&& step) {
  try {
    step();
  } catch (const std::exception& e) {
    throw StorageError(operation + ": " + e.what());
  }
}

// The probe's steps, on objects under base (storage_probe cleans up when one fails).
std::string storage_probe_steps(Storage& storage, const std::string& base, std::uint64_t part_size) {
  std::string body = "BackupBuddy storage probe\n";
  probe_step("put (PutObject)", [&] { storage.put(base + "/probe.txt", body); });
  probe_step("get (GetObject)", [&] {
    std::string back = storage.get(base + "/probe.txt");
    if (back != body)
      throw StorageError("read back " + std::to_string(back.size()) + " bytes instead of " +
                         std::to_string(body.size()) + " — the storage returns other data than it stored");
  });
  probe_step("list with a prefix (ListObjectsV2)", [&] {
    bool listed = false;
    for (const auto& o : storage.list(base + "/")) listed = listed || o.key == base + "/probe.txt";
    if (!listed) throw StorageError("the probe object was written but is not listed");
  });
  std::string chunk(1 << 20, 'x');
  probe_step("multipart upload (initiate, upload part, complete)", [&] {
    auto writer = storage.open_writer(base + "/multipart.bin");
    for (std::uint64_t written = 0; written < part_size + 1; written += chunk.size()) writer->write(chunk.data(), chunk.size());
    writer->commit();
    if (!storage.head(base + "/multipart.bin")) throw StorageError("the upload completed but the object is missing");
  });
  probe_step("multipart abort (AbortMultipartUpload)", [&] {
    auto writer = storage.open_writer(base + "/aborted.bin");
    for (std::uint64_t written = 0; written < part_size + 1; written += chunk.size()) writer->write(chunk.data(), chunk.size());
    writer->abort();
    if (storage.head(base + "/aborted.bin")) throw StorageError("an aborted upload left an object behind");
  });
  probe_step("delete of one object", [&] {
    storage.remove({base + "/probe.txt"});
    if (storage.head(base + "/probe.txt")) throw StorageError("the probe object is still there after delete");
  });
  probe_step("delete of a batch (DeleteObjects)", [&] {
    storage.put(base + "/batch-1.txt", body);
    storage.put(base + "/batch-2.txt", body);
    storage.remove({base + "/batch-1.txt", base + "/batch-2.txt", base + "/multipart.bin"});
    if (!storage.list(base + "/").empty()) throw StorageError("objects are still there after a batch delete");
  });
  return storage.describe() +
         ": put, get, list, multipart upload, multipart abort, single and batch delete work";
}

// After a failed probe step: deletes every probe object, the listed ones and those the
// probe may have written (a listing can be the step that failed), one by one if the
// batch delete is what fails. Best effort: a failure is logged, never hides the step's.
void remove_probe_objects(Storage& storage, const std::string& base, const std::vector<std::string>& written) {
  std::set<std::string> keys(written.begin(), written.end());
  try {
    for (const auto& o : storage.list(base + "/")) keys.insert(o.key);
  } catch (const std::exception&) {
  }
  std::vector<std::string> left;
  try {
    storage.remove({keys.begin(), keys.end()});
  } catch (const std::exception&) {
    for (const auto& key : keys) {
      try {
        storage.remove({key});
      } catch (const std::exception&) {
        left.push_back(key);
      }
    }
  }
  if (!left.empty())
    log::warn("check: could not delete " + std::to_string(left.size()) + " probe object(s) under " + base +
              "/ — delete them by hand");
}

// Every operation a backup and a prune use, on keys that parse as no backup (so prune
// never mistakes them for one), cleaned up afterwards, also when a step fails.
std::string storage_probe(Storage& storage, std::uint64_t part_size) {
  char host[128] = "host";
  gethostname(host, sizeof host - 1);
  std::string base = ".backupbuddy-check/" + std::string(host) + "-" + std::to_string(getpid());
  try {
    return storage_probe_steps(storage, base, part_size);
  } catch (...) {
    remove_probe_objects(storage, base,
                         {base + "/probe.txt", base + "/multipart.bin", base + "/aborted.bin", base + "/batch-1.txt",
                          base + "/batch-2.txt"});
    throw;
  }
}

}  // namespace

int cmd_check(const Config& config, bool json) {
  Checklist list(json);
  list.add({true, "config: " + (config.source.empty() ? std::string("built-in defaults (no config file found)")
                                                     : config.source)});
  for (const auto& w : config.warnings) list.add({true, "config: " + w, true});
  std::optional<PgSession> session;
  bool pg_ok = list.run("PostgreSQL", [&] {
    session.emplace(PgSession::connect(config.postgres, config.postgres.maintenance_db));
    auto super = session->scalar(
        "select case when rolsuper then 'superuser' when pg_has_role(current_user, 'pg_read_all_data', 'member') "
        "then 'member of pg_read_all_data' else 'ordinary role: it must be able to read every table it backs up' end "
        "from pg_roles where rolname = current_user");
    return "server " + session->server_version() + " at " + session->where() + ", user " +
           session->scalar("select current_user").value_or("?") + " (" + super.value_or("?") + ")";
  });
  if (pg_ok) {
    for (const auto& db : config.databases) {
      list.run("database " + quote_name(db.name), [&] {
        auto size = session->scalar("select pg_size_pretty(pg_database_size(oid)) from pg_database where datname = $1",
                                    {db.name});
        if (!size)
          throw OperationError("does not exist on " + session->where() + " — check the name in [[databases]]");
        PgSession in_db = PgSession::connect(config.postgres, db.name);
        return "exists, " + *size + ", can connect";
      });
    }
    list.run("pg_dump", [&] {
      PgTools tools = find_pg_tools(config.postgres, session->server_version_num() / 10000);
      return tools.pg_dump + " (" + tools.pg_dump_version + ")";
    });
  }
  list.run("storage", [&] {
    auto storage = make_storage(config.storage);
    return storage_probe(*storage, config.storage.part_size_bytes);
  });
  if (config.telegram.enabled()) {
    list.run("Telegram", [&] {
      bot::TelegramApi api(config.telegram.api_url, config.telegram.token.value);
      bot::BotIdentity me = api.get_me();
      if (config.telegram.admins.empty())
        throw ConfigError("bot @" + me.username + " answers, but [telegram] admins is empty — nobody could use it");
      return "bot @" + me.username + " at " + api.describe() + ", " + std::to_string(config.telegram.admins.size()) +
             " admin(s)";
    });
  }
  list.run("state directory", [&] {
    std::string dir = state_directory(config.backup.state_dir);
    if (access(dir.c_str(), W_OK) != 0) throw ConfigError(dir + " is not writable — set [backup] state_dir");
    return dir + " (writable)";
  });
  return list.finish();
}

}  // namespace bb
