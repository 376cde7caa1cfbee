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
    "failed", "place in queue", "Archive database", "Back", "You may look; restoring needs the operator role."};

const Texts kRussian{
    "ru", "BackupBuddy", "Вход", "Пользователь", "Пароль", "Войти", "Выйти",
    "Неверный пользователь или пароль.", "Слишком много неудачных попыток; попробуйте позже.", "Базы данных",
    "База данных", "Последняя копия", "Итог", "Размер", "Копии", "успешно", "ОШИБКА", "никогда",
    "В хранилище пока нет копий.", "Копия", "Время (UTC)", "Хранится по правилу", "удалится при следующей чистке",
    "НЕ ДОВЕРЕНА", "Восстановить", "в базу (необязательное имя архива)", "Сделать копию сейчас", "Задача",
    "Состояние", "Ход", "в очереди", "выполняется", "готово", "ошибка", "место в очереди", "Архивная база",
    "Назад", "Вы можете смотреть; восстановление доступно роли operator."};

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
  }
  return "";
}

std::string error_text(const std::exception& error) {
  const auto* ours = dynamic_cast<const Error*>(&error);
  std::string advice = ours ? remedy_text(ours->remedy()) : "";
  return advice.empty() ? std::string(error.what()) : std::string(error.what()) + " — " + advice;
}

}  // namespace bb::web
