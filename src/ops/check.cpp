// `backupbuddy check`.
#include "ops/check.h"

#include <unistd.h>

#include <functional>
#include <optional>
#include <set>

#include "ops/context.h"
#include "pg/session.h"
#include "pg/tools.h"
#include "state/state.h"
#include "storage/storage.h"
#include "util/error.h"
#include "util/log.h"
#include "util/format.h"

namespace bb {
namespace {

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

CheckItem run_check(const std::string& name, const std::function<std::string()>& check) {
  try {
    return {true, name + ": " + check()};
  } catch (const std::exception& e) {
    const auto* ours = dynamic_cast<const Error*>(&e);
    return {false, name + ": " + log::mask_secrets(e.what()), false, ours ? ours->remedy() : Remedy::kNone};
  }
}

std::vector<CheckItem> run_checks(const Config& config, const std::function<void(const CheckItem&)>& on_item,
                                  const std::vector<NamedCheck>& more) {
  std::vector<CheckItem> items;
  auto add = [&](CheckItem item) {
    if (on_item) on_item(item);
    items.push_back(std::move(item));
    return items.back().ok;
  };
  auto run = [&](const std::string& name, const std::function<std::string()>& check) {
    return add(run_check(name, check));
  };
  add({true, "config: " + (config.source.empty() ? std::string("built-in defaults (no config file found)")
                                                  : config.source)});
  for (const auto& w : config.warnings) add({true, "config: " + w, true});
  RunContext ctx(config);
  PgSession* session = nullptr;
  bool pg_ok = run("PostgreSQL", [&] {
    session = &ctx.session();
    auto super = session->scalar(
        "select case when rolsuper then 'superuser' when pg_has_role(current_user, 'pg_read_all_data', 'member') "
        "then 'member of pg_read_all_data' else 'ordinary role: it must be able to read every table it backs up' end "
        "from pg_roles where rolname = current_user");
    return "server " + session->server_version() + " at " + session->where() + ", user " +
           session->scalar("select current_user").value_or("?") + " (" + super.value_or("?") + ")";
  });
  if (pg_ok) {
    for (const auto& db : config.databases) {
      run("database " + quote_name(db.name), [&] {
        auto size = session->scalar("select pg_size_pretty(pg_database_size(oid)) from pg_database where datname = $1",
                                    {db.name});
        if (!size)
          throw OperationError("does not exist on " + session->where() + " — check the name in [[databases]]");
        PgSession in_db = PgSession::connect(config.postgres, db.name);
        return "exists, " + *size + ", can connect";
      });
    }
    run("pg_dump", [&] {
      const PgTools& tools = ctx.tools();
      return tools.pg_dump + " (" + tools.pg_dump_version + ")";
    });
  }
  run("storage", [&] {
    return storage_probe(ctx.storage(), config.storage.part_size_bytes);
  });
  for (const auto& [name, check] : more) run(name, check);
  run("state directory", [&] {
    std::string dir = state_directory(config.backup.state_dir);
    if (access(dir.c_str(), W_OK) != 0) throw ConfigError(dir + " is not writable — set [backup] state_dir");
    return dir + " (writable)";
  });
  return items;
}

}  // namespace bb
