// The web console's words, English and Russian ([web] language), and its own wording of
// the core's remedies (front ends word them; the console names its fields, never flags).
#pragma once

#include <exception>
#include <string>

#include "util/error.h"

namespace bb::web {

// Every phrase a page shows.
struct Texts {
  const char* lang;
  const char* title;
  const char* login_heading;
  const char* user;
  const char* password;
  const char* sign_in;
  const char* sign_out;
  const char* bad_login;
  const char* throttled;
  const char* databases;
  const char* database;
  const char* last_backup;
  const char* result;
  const char* size;
  const char* backups;
  const char* ok;
  const char* failed;
  const char* never;
  const char* no_databases;
  const char* backup_id;
  const char* time;
  const char* kept_by;
  const char* next_prune_deletes;
  const char* not_trusted;
  const char* restore;
  const char* restore_into;
  const char* back_up_now;
  const char* job;
  const char* state;
  const char* progress;
  const char* queued;
  const char* running;
  const char* done;
  const char* job_failed;
  const char* position;
  const char* archive;
  const char* back;
  const char* viewer_note;
  const char* archives;
  const char* no_archives;
  const char* source;
  const char* restored_at;
  const char* drop;
  const char* drop_heading;
  const char* drop_explain;
  const char* drop_name_mismatch;
  const char* dropped;
  const char* cancel;
  const char* check;
  const char* check_explain;
  const char* run_check;
  const char* check_operator_only;
  const char* check_all_ok;
  const char* check_failed;
  const char* warning;
  const char* verify;
  const char* verify_explain;
  const char* last_verified;
  const char* next_run;
  const char* not_scheduled;
  const char* history;
  const char* size_history;
  const char* duration_history;
  const char* rows_all_match;
  const char* rows_differ;
  const char* rows_not_checked;
  const char* verified_ok;
  const char* time_zone_note;
  const char* login_expired;
};

// "en" or "ru" (anything else: English).
const Texts& texts_for(const std::string& language);

// The words of the run history and the other stores ([[web.stores]]) (web/fleet.h).
struct RunTexts {
  const char* runs;              // page title
  const char* last_runs;         // dashboard heading: each server's last run
  const char* all_runs;          // link to the run history
  const char* server;
  const char* started;
  const char* outcome;
  const char* duration;
  const char* started_by;
  const char* backed_up_of;      // "{ok} of {total} databases backed up"
  const char* run_failed;        // a run that failed as a whole
  const char* no_runs;
  const char* report;
  const char* store;             // "Store"
  const char* store_unreadable;  // the store could not be read
  const char* no_backups;
};
// "en" or "ru" (anything else: English).
const RunTexts& run_texts_for(const std::string& language);

// The advice for a remedy, in the console's words ("" for none).
std::string remedy_text(Remedy remedy);
// error.what() and, when there is one, " — " and its advice.
std::string error_text(const std::exception& error);

}  // namespace bb::web
