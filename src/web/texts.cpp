// The console's words.
#include "web/texts.h"

namespace bb::web {
namespace {

const Texts kEnglish{
    "en", "BackupBuddy", "Sign in", "User", "Password", "Sign in", "Sign out",
    "Wrong user or password.", "Too many failed sign-ins; try again later.", "Databases", "Database",
    "Last backup", "Result", "Size", "Backups", "ok", "FAILED", "never", "No backups in the store yet.",
    "Backup", "Time (UTC)", "Kept by", "deleted by the next prune", "NOT TRUSTED", "Restore",
    "into (optional archive name)", "Back up now", "Job", "State", "Progress", "queued", "running", "done",
    "failed", "place in queue", "Archive database", "Back", "You may look; restoring needs the operator role.",
    "Archives",
    "No archive databases made by BackupBuddy.",
    "Source",
    "Restored at",
    "Drop",
    "Drop archive database",
    "This drops the database and everything in it. Type its name to confirm.",
    "The name typed is not the archive's name; nothing was dropped.",
    "Dropped",
    "Cancel",
    "Check",
    "Checks the configuration, PostgreSQL, pg_dump, the storage (writes, reads and deletes a probe object) and the notification channels.",
    "Run the check",
    "Running the check needs the operator role.",
    "Everything a backup needs works.",
    "check(s) failed: fix them before relying on backups.",
    "warning",
    "Verify",
    "Re-reads the newest backup: checksum and dump structure.",
    "Last verification",
    "Next run",
    "not scheduled",
    "History",
    "stored size per backup",
    "backup duration per backup",
    "{tables} tables, {rows} rows, all as in the backup",
    "rows differ from the backup in",
    "rows not checked",
    "backup {id}: {tables} tables, {rows} rows, intact",
    "Times in UTC; next runs in the schedule's time zone",
    "The sign-in form expired; please sign in again."};

const Texts kRussian{
    "ru", "BackupBuddy", "Вход", "Пользователь", "Пароль", "Войти", "Выйти",
    "Неверный пользователь или пароль.", "Слишком много неудачных попыток; попробуйте позже.", "Базы данных",
    "База данных", "Последняя копия", "Итог", "Размер", "Копии", "успешно", "ОШИБКА", "никогда",
    "В хранилище пока нет копий.", "Копия", "Время (UTC)", "Хранится по правилу", "удалится при следующей чистке",
    "НЕ ДОВЕРЕНА", "Восстановить", "в базу (необязательное имя архива)", "Сделать копию сейчас", "Задача",
    "Состояние", "Ход", "в очереди", "выполняется", "готово", "ошибка", "место в очереди", "Архивная база",
    "Назад", "Вы можете смотреть; восстановление доступно роли operator.",
    "Архивы",
    "Архивных баз, созданных BackupBuddy, нет.",
    "Источник",
    "Восстановлена",
    "Удалить",
    "Удаление архивной базы",
    "База и всё, что в ней, будут удалены. Введите её имя для подтверждения.",
    "Введённое имя не совпадает с именем архива; ничего не удалено.",
    "Удалена",
    "Отмена",
    "Проверка",
    "Проверяет настройки, PostgreSQL, pg_dump, хранилище (пишет, читает и удаляет пробный объект) и каналы уведомлений.",
    "Запустить проверку",
    "Запуск проверки доступен роли operator.",
    "Всё, что нужно для копирования, работает.",
    "проверок не пройдено: исправьте, прежде чем полагаться на копии.",
    "внимание",
    "Проверить копию",
    "Перечитывает последнюю копию: контрольная сумма и структура дампа.",
    "Последняя проверка",
    "Следующий запуск",
    "не запланирован",
    "История",
    "размер копий",
    "длительность копирования",
    "{tables} таблиц, {rows} строк, всё как в копии",
    "строки расходятся с копией в таблицах",
    "строки не проверены",
    "копия {id}: {tables} таблиц, {rows} строк, цела",
    "Время в UTC; следующие запуски в часовом поясе расписания",
    "Форма входа устарела; войдите ещё раз."};

}  // namespace

const Texts& texts_for(const std::string& language) { return language == "ru" ? kRussian : kEnglish; }

const RunTexts& run_texts_for(const std::string& language) {
  static const RunTexts english{
      "Runs", "Last run of each server", "All runs", "Server", "Started (UTC)", "Outcome", "Duration",
      "Started by", "{ok} of {total} databases backed up", "run failed", "No runs recorded in this store yet.",
      "Report", "Store", "cannot be read", "No backups in this store."};
  static const RunTexts russian{
      "Запуски", "Последний запуск каждого сервера", "Все запуски", "Сервер", "Начало (UTC)", "Итог",
      "Длительность", "Кто запустил", "сохранено баз: {ok} из {total}", "запуск не удался",
      "В этом хранилище пока нет записей о запусках.", "Отчёт", "Хранилище", "не читается",
      "В этом хранилище нет копий."};
  return language == "ru" ? russian : english;
}

std::string remedy_text(Remedy remedy) {
  switch (remedy) {
    case Remedy::kNone: return "";
    case Remedy::kChooseTargetName: return "choose another archive name (\"into\")";
    case Remedy::kShorterTargetName: return "choose a shorter archive name (\"into\")";
    case Remedy::kRestoreWithoutDisk:
      return "ask the administrator to give the server's temporary folder room for the dump";
    case Remedy::kRestoreWithoutOwners:
      return "ask the administrator to create the roles, or to set [restore] owner";
    case Remedy::kSeeBackups: return "the database's page lists the backups there are";
    case Remedy::kSeeArchives: return "GET /api/v1/archives lists the archives there are";
    case Remedy::kIncludeOtherArchives: return "it belongs to another configuration's databases; drop it there";
    case Remedy::kNameDatabases: return "name a configured database";
    case Remedy::kTestChannels:
      return "`backupbuddy check --notify` on the server sends a test message on every channel";
  }
  return "";
}

std::string error_text(const std::exception& error) {
  const auto* ours = dynamic_cast<const Error*>(&error);
  std::string advice = ours ? remedy_text(ours->remedy()) : "";
  return advice.empty() ? std::string(error.what()) : std::string(error.what()) + " — " + advice;
}

}  // namespace bb::web
