// Bot messages: the ru and en tables and the formatting of times, sizes and durations.
#include "bot/messages.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <iterator>

#include "util/format.h"

namespace bb::bot {
namespace {

struct Entry {
  Msg msg;
  const char* text;
};

// Russian: plain words for an accountant; no technical terms where a plain one exists.
constexpr Entry kRussian[] = {
    {Msg::kHelp,
     "Я помогаю получить копию базы данных «как она была» на нужную дату. Рабочая база при этом не "
     "затрагивается: копия восстанавливается в отдельную архивную базу.\n\n"
     "/start — восстановить базу на дату\n"
     "/list — какие базы сохранены и когда последняя копия\n"
     "/status — как прошло последнее резервное копирование\n"
     "/archives — архивные базы (их можно удалить)\n"
     "/backup ИМЯ — сделать резервную копию базы сейчас\n"
     "/help — эта подсказка"},
    {Msg::kChooseDatabase, "Какую базу восстановить? Выберите:"},
    {Msg::kNoDatabases, "Резервных копий пока нет ни одной базы."},
    {Msg::kChooseBackup,
     "База {db}. Выберите, на какой момент её восстановить (сначала самые новые; страница {page} из {pages}):"},
    {Msg::kNoBackupsOf, "У базы {db} нет резервных копий."},
    {Msg::kBackupButton, "{time} · {size}"},
    {Msg::kPrevPage, "‹ новее"},
    {Msg::kNextPage, "старше ›"},
    {Msg::kConfirmRestoreReplace,
     "Восстановить {db} по состоянию на {time} в базу {target}? Предыдущий архив будет заменён."},
    {Msg::kConfirmRestoreNew, "Восстановить {db} по состоянию на {time} в базу {target}?"},
    {Msg::kYesRestore, "Да, восстановить"},
    {Msg::kNo, "Нет"},
    {Msg::kCancelled, "Хорошо, ничего не делаю."},
    {Msg::kQueued, "Запрос принят. Сейчас выполняется другая задача; ваша очередь: {position}. Я напишу здесь, когда начну."},
    {Msg::kRestoreStarting, "Начинаю восстанавливать {db} по состоянию на {time} в базу {target}…"},
    {Msg::kRestoreProgress, "Восстанавливаю {db} ({time}) в базу {target}: {done} из {total} ({percent}%)…"},
    {Msg::kRestoreProgressUnknownTotal, "Восстанавливаю {db} ({time}) в базу {target}: обработано {done}…"},
    {Msg::kRestoreDone, "Готово: база {target} содержит {db} по состоянию на {time} (восстановлено за {duration})."},
    {Msg::kRestoreRowsChecked, "Проверено: таблиц — {tables}, строк — {rows}, всё как в копии."},
    {Msg::kRestoreRowsNotChecked, "Число строк не сверялось: в этой копии оно не записано."},
    {Msg::kRestoreFailed,
     "Не удалось восстановить {db} по состоянию на {time}. Причина: {reason}\nРабочая база не затронута, "
     "новая база не создана. Если повторится, передайте это сообщение администратору."},
    {Msg::kBackupChoose, "Резервную копию какой базы сделать сейчас?"},
    {Msg::kBackupNotConfigured, "Базы {db} нет в списке для резервного копирования. Можно: {list}."},
    {Msg::kNoConfiguredDatabases, "В настройках не указано ни одной базы для резервного копирования."},
    {Msg::kBackupStarting, "Начинаю резервное копирование базы {db}…"},
    {Msg::kBackupProgress, "Копирую базу {db}: {done} из примерно {total} ({percent}%)…"},
    {Msg::kBackupProgressUnknownTotal, "Копирую базу {db}: обработано {done}…"},
    {Msg::kBackupDone, "Готово: резервная копия базы {db} на {time} сохранена ({size}, за {duration})."},
    {Msg::kBackupFailed, "Не удалось сделать резервную копию базы {db}. Причина: {reason}"},
    {Msg::kBackupBusy, "Сейчас уже идёт резервное копирование (его запустил другой процесс). Попробуйте чуть позже."},
    {Msg::kJobCancelled, "Бот остановлен, задача отменена: {what}. Ничего не изменено."},
    {Msg::kJobRestoreWhat, "восстановление {db} на {time}"},
    {Msg::kJobBackupWhat, "резервное копирование {db}"},
    {Msg::kListHeader, "Сохранённые базы:"},
    {Msg::kListLine, "• {db}: копий {count}, последняя {time}"},
    {Msg::kStatusHeader, "Последнее резервное копирование:"},
    {Msg::kStatusLine, "• {db}: {backup}; {verify}"},
    {Msg::kStatusNever, "копий ещё не было"},
    {Msg::kStatusOk, "{time} — успешно, {size}"},
    {Msg::kStatusFailed, "{time} — ошибка: {reason}"},
    {Msg::kStatusVerifiedOk, "проверка {time} — в порядке"},
    {Msg::kStatusVerifiedFailed, "проверка {time} — ошибка: {reason}"},
    {Msg::kStatusNotVerified, "проверки ещё не было"},
    {Msg::kStatusEmpty, "Пока нет сведений о резервном копировании."},
    {Msg::kArchivesHeader, "Архивные базы, созданные мной:"},
    {Msg::kArchiveLine, "• {name}: {db} по состоянию на {time}"},
    {Msg::kArchivesNone, "Архивных баз нет."},
    {Msg::kDropButton, "Удалить {name}"},
    {Msg::kConfirmDrop, "Удалить архивную базу {name} (копия {db} на {time})? Рабочая база не затрагивается."},
    {Msg::kYesDrop, "Да, удалить"},
    {Msg::kDropped, "Архивная база {name} удалена."},
    {Msg::kDropFailed, "Не удалось удалить {name}. Причина: {reason}"},
    {Msg::kUnknownButton, "Эта кнопка недействительна. Отправьте /start, чтобы начать заново."},
    {Msg::kStaleButton, "Эта кнопка уже использована. Отправьте /start, чтобы начать заново."},
    {Msg::kError, "Что-то пошло не так. Причина: {reason}"},
    {Msg::kRemedyTargetName, "попросите администратора выбрать другое имя для архивной базы"},
    {Msg::kRemedyShorterTargetName, "попросите администратора выбрать более короткое имя для архивной базы"},
    {Msg::kRemedyRestoreWithoutDisk, "попросите администратора освободить место на диске для восстановления"},
    {Msg::kRemedyRestoreWithoutOwners,
     "попросите администратора создать эти роли (или разрешить их создание при восстановлении) или восстанавливать без исходных владельцев"},
    {Msg::kRemedySeeBackups, "выберите копию из списка: /start"},
    {Msg::kRemedySeeArchives, "список архивных баз: /archives"},
    {Msg::kRemedyOtherArchives, "эта база относится к другой настройке BackupBuddy; обратитесь к администратору"},
    {Msg::kRemedyNameDatabases, "попросите администратора указать, какие базы сохранять"},
    {Msg::kRemedyTestChannels, "попросите администратора проверить каналы уведомлений"},
    {Msg::kUnitBytes, "Б"},
    {Msg::kUnitKB, "КБ"},
    {Msg::kUnitMB, "МБ"},
    {Msg::kUnitGB, "ГБ"},
    {Msg::kUnitTB, "ТБ"},
    {Msg::kDurationSeconds, "{s} с"},
    {Msg::kDurationMinutes, "{m} мин {s} с"},
    {Msg::kDurationHours, "{h} ч {m} мин"},
};

constexpr Entry kEnglish[] = {
    {Msg::kHelp,
     "I help you get a copy of a database as it was at a chosen time. The working database is never "
     "touched: the copy is restored into a separate archive database.\n\n"
     "/start — restore a database as of a date\n"
     "/list — which databases are saved and their newest copy\n"
     "/status — how the last backups went\n"
     "/archives — archive databases (you can delete them)\n"
     "/backup NAME — back up a database now\n"
     "/help — this text"},
    {Msg::kChooseDatabase, "Which database should I restore? Choose one:"},
    {Msg::kNoDatabases, "There are no backups of any database yet."},
    {Msg::kChooseBackup, "Database {db}. Choose the moment to restore (newest first; page {page} of {pages}):"},
    {Msg::kNoBackupsOf, "Database {db} has no backups."},
    {Msg::kBackupButton, "{time} · {size}"},
    {Msg::kPrevPage, "‹ newer"},
    {Msg::kNextPage, "older ›"},
    {Msg::kConfirmRestoreReplace,
     "Restore {db} as of {time} into {target}? The previous archive will be replaced."},
    {Msg::kConfirmRestoreNew, "Restore {db} as of {time} into {target}?"},
    {Msg::kYesRestore, "Yes, restore"},
    {Msg::kNo, "No"},
    {Msg::kCancelled, "OK, nothing was done."},
    {Msg::kQueued, "Request accepted. Another task is running; you are number {position} in the queue. I will write here when I start."},
    {Msg::kRestoreStarting, "Starting to restore {db} as of {time} into {target}…"},
    {Msg::kRestoreProgress, "Restoring {db} ({time}) into {target}: {done} of {total} ({percent}%)…"},
    {Msg::kRestoreProgressUnknownTotal, "Restoring {db} ({time}) into {target}: {done} done…"},
    {Msg::kRestoreDone, "Ready: database {target} holds {db} as of {time} (restored in {duration})."},
    {Msg::kRestoreRowsChecked, "{tables} tables, {rows} rows, all as in the backup."},
    {Msg::kRestoreRowsNotChecked, "Rows not checked: the backup has no row counts."},
    {Msg::kRestoreFailed,
     "Could not restore {db} as of {time}. Reason: {reason}\nThe working database was not touched and no new "
     "database was created. If this happens again, forward this message to your administrator."},
    {Msg::kBackupChoose, "Which database should I back up now?"},
    {Msg::kBackupNotConfigured, "{db} is not on the list of databases to back up. You can choose: {list}."},
    {Msg::kNoConfiguredDatabases, "No databases to back up are configured."},
    {Msg::kBackupStarting, "Starting to back up {db}…"},
    {Msg::kBackupProgress, "Backing up {db}: {done} of about {total} ({percent}%)…"},
    {Msg::kBackupProgressUnknownTotal, "Backing up {db}: {done} done…"},
    {Msg::kBackupDone, "Ready: a backup of {db} as of {time} is saved ({size}, took {duration})."},
    {Msg::kBackupFailed, "Could not back up {db}. Reason: {reason}"},
    {Msg::kBackupBusy, "A backup is already running (started by another process). Please try again a bit later."},
    {Msg::kJobCancelled, "The bot was stopped and this task was cancelled: {what}. Nothing was changed."},
    {Msg::kJobRestoreWhat, "restoring {db} as of {time}"},
    {Msg::kJobBackupWhat, "backing up {db}"},
    {Msg::kListHeader, "Saved databases:"},
    {Msg::kListLine, "• {db}: {count} copies, newest {time}"},
    {Msg::kStatusHeader, "Last backups:"},
    {Msg::kStatusLine, "• {db}: {backup}; {verify}"},
    {Msg::kStatusNever, "no backup yet"},
    {Msg::kStatusOk, "{time} — OK, {size}"},
    {Msg::kStatusFailed, "{time} — failed: {reason}"},
    {Msg::kStatusVerifiedOk, "checked {time} — OK"},
    {Msg::kStatusVerifiedFailed, "checked {time} — failed: {reason}"},
    {Msg::kStatusNotVerified, "not checked yet"},
    {Msg::kStatusEmpty, "No backup has been recorded yet."},
    {Msg::kArchivesHeader, "Archive databases I created:"},
    {Msg::kArchiveLine, "• {name}: {db} as of {time}"},
    {Msg::kArchivesNone, "There are no archive databases."},
    {Msg::kDropButton, "Delete {name}"},
    {Msg::kConfirmDrop, "Delete the archive database {name} (a copy of {db} as of {time})? The working database is not touched."},
    {Msg::kYesDrop, "Yes, delete"},
    {Msg::kDropped, "The archive database {name} was deleted."},
    {Msg::kDropFailed, "Could not delete {name}. Reason: {reason}"},
    {Msg::kUnknownButton, "This button is not valid. Send /start to begin again."},
    {Msg::kStaleButton, "This button was already used. Send /start to begin again."},
    {Msg::kError, "Something went wrong. Reason: {reason}"},
    {Msg::kRemedyTargetName, "ask the administrator to choose another name for the archive database"},
    {Msg::kRemedyShorterTargetName, "ask the administrator to choose a shorter name for the archive database"},
    {Msg::kRemedyRestoreWithoutDisk, "ask the administrator to free disk space for the restore"},
    {Msg::kRemedyRestoreWithoutOwners, "ask the administrator to create these roles (or to let restores create them) or to restore without the original owners"},
    {Msg::kRemedySeeBackups, "choose a backup from the list: /start"},
    {Msg::kRemedySeeArchives, "the archive databases: /archives"},
    {Msg::kRemedyOtherArchives, "it belongs to another BackupBuddy configuration; ask the administrator"},
    {Msg::kRemedyNameDatabases, "ask the administrator to configure which databases to back up"},
    {Msg::kRemedyTestChannels, "ask the administrator to check the notification channels"},
    {Msg::kUnitBytes, "B"},
    {Msg::kUnitKB, "KB"},
    {Msg::kUnitMB, "MB"},
    {Msg::kUnitGB, "GB"},
    {Msg::kUnitTB, "TB"},
    {Msg::kDurationSeconds, "{s} s"},
    {Msg::kDurationMinutes, "{m} min {s} s"},
    {Msg::kDurationHours, "{h} h {m} min"},
};

using Table = std::array<std::string_view, static_cast<std::size_t>(Msg::kCount)>;

template <std::size_t N>
Table build(const Entry (&entries)[N]) {
  Table t{};
  for (const auto& e : entries) t[static_cast<std::size_t>(e.msg)] = e.text;
  return t;
}

const Table& table(Language lang) {
  static const Table ru = build(kRussian);
  static const Table en = build(kEnglish);
  return lang == Language::kRu ? ru : en;
}

}  // namespace

std::optional<Language> parse_language(const std::string& text) {
  if (text == "ru") return Language::kRu;
  if (text == "en") return Language::kEn;
  return std::nullopt;
}

std::string_view message_template(Language lang, Msg msg) {
  auto i = static_cast<std::size_t>(msg);
  if (i >= static_cast<std::size_t>(Msg::kCount)) return {};
  return table(lang)[i];
}

std::string render(Language lang, Msg msg, std::initializer_list<std::pair<std::string_view, std::string>> values) {
  return fill_placeholders(message_template(lang, msg), values);
}

std::string remedy_text(Language lang, Remedy remedy) {
  switch (remedy) {
    case Remedy::kNone: return "";
    case Remedy::kChooseTargetName: return std::string(message_template(lang, Msg::kRemedyTargetName));
    case Remedy::kShorterTargetName: return std::string(message_template(lang, Msg::kRemedyShorterTargetName));
    case Remedy::kRestoreWithoutDisk: return std::string(message_template(lang, Msg::kRemedyRestoreWithoutDisk));
    case Remedy::kRestoreWithoutOwners: return std::string(message_template(lang, Msg::kRemedyRestoreWithoutOwners));
    case Remedy::kSeeBackups: return std::string(message_template(lang, Msg::kRemedySeeBackups));
    case Remedy::kSeeArchives: return std::string(message_template(lang, Msg::kRemedySeeArchives));
    case Remedy::kIncludeOtherArchives: return std::string(message_template(lang, Msg::kRemedyOtherArchives));
    case Remedy::kNameDatabases: return std::string(message_template(lang, Msg::kRemedyNameDatabases));
    case Remedy::kTestChannels: return std::string(message_template(lang, Msg::kRemedyTestChannels));
  }
  return "";
}

std::string error_reason(Language lang, const std::exception& error) {
  const auto* ours = dynamic_cast<const Error*>(&error);
  std::string remedy = ours ? remedy_text(lang, ours->remedy()) : "";
  return remedy.empty() ? std::string(error.what()) : std::string(error.what()) + " — " + remedy;
}

std::string format_bot_time(Language lang, TimePoint time, const date::time_zone* zone) {
  std::string local = format_local(time, zone);  // "YYYY-MM-DD HH:MM"
  if (lang != Language::kRu || local.size() < 16) return local;
  return local.substr(8, 2) + "." + local.substr(5, 2) + "." + local.substr(0, 4) + local.substr(10);
}

std::string format_bot_size(Language lang, std::uint64_t bytes) {
  static constexpr Msg kUnits[] = {Msg::kUnitBytes, Msg::kUnitKB, Msg::kUnitMB, Msg::kUnitGB, Msg::kUnitTB};
  double value = static_cast<double>(bytes);
  std::size_t unit = 0;
  while (value >= 1024 && unit + 1 < std::size(kUnits)) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  if (unit == 0 || value >= 10)
    std::snprintf(buf, sizeof buf, "%.0f", value);
  else
    std::snprintf(buf, sizeof buf, "%.1f", value);
  std::string number = buf;
  if (lang == Language::kRu)
    for (auto& c : number)
      if (c == '.') c = ',';
  return number + " " + std::string(message_template(lang, kUnits[unit]));
}

std::string format_bot_duration(Language lang, double seconds) {
  auto total = static_cast<long long>(std::llround(std::max(0.0, seconds)));
  if (total < 60) return render(lang, Msg::kDurationSeconds, {{"s", std::to_string(total)}});
  if (total < 3600)
    return render(lang, Msg::kDurationMinutes, {{"m", std::to_string(total / 60)}, {"s", std::to_string(total % 60)}});
  return render(lang, Msg::kDurationHours,
                {{"h", std::to_string(total / 3600)}, {"m", std::to_string((total % 3600) / 60)}});
}

}  // namespace bb::bot
