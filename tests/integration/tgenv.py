"""The Telegram Bot API emulator (npm telegram-test-api, started by
tests/tools/telegram_emulator.js on a free loopback port) and helpers for a test that acts
as a person: say something, press a button, read the bot's messages.
"""

import json
import os
import subprocess
import time
import urllib.request

import pgenv
from bbenv import wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
TOOLS = os.environ.get("BB_TOOLS_DIR") or os.path.join(HERE, "..", "tools")

TOKEN = "4242:AAE-bb-test-secret-token_x"
ADMIN = 111
STRANGER = 222
SOURCE = "buh2_db"
ARCHIVE = "buh2_db_archive"




class Emulator:
    """telegram-test-api on a free loopback port, started by tools/telegram_emulator.js."""

    def __init__(self):
        self.port = None
        self.proc = None

    def __enter__(self):
        for _ in range(5):
            self.port = pgenv.free_port()
            self.proc = subprocess.Popen(["node", os.path.join(TOOLS, "telegram_emulator.js"), str(self.port)],
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            line = self.proc.stdout.readline()
            if line.startswith("listening"):
                return self
            self.proc.kill()
            self.proc.wait()
        raise RuntimeError("the Telegram emulator did not start: %s" % self.proc.stderr.read())

    def __exit__(self, *exc):
        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return False

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def post(self, path, body):
        req = urllib.request.Request(self.url + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            answer = json.loads(resp.read())
        if not answer.get("ok"):
            raise AssertionError("emulator %s answered %r" % (path, answer))
        return answer.get("result")

    # ---- acting as a person --------------------------------------------------------

    @staticmethod
    def _person(user):
        return {"id": user, "first_name": "User %d" % user, "username": "user%d" % user, "is_bot": False}

    def say(self, text, user=ADMIN, chat=None):
        chat = chat or user
        self.post("/sendMessage", {"botToken": TOKEN, "from": self._person(user),
                                   "chat": {"id": chat, "type": "private", "first_name": "User"},
                                   "date": int(time.time()), "text": text})

    def press(self, data, message_id, user=ADMIN, chat=None):
        chat = chat or user
        self.post("/sendCallback", {"botToken": TOKEN, "from": self._person(user), "data": data,
                                    "message": {"message_id": message_id,
                                                "chat": {"id": chat, "type": "private", "first_name": "User"}}})

    def bot_messages(self, chat):
        """The bot's messages in a chat as they are now (edits applied), oldest first."""
        out = []
        for item in self.post("/getUpdatesHistory", {"token": TOKEN}):
            msg = item.get("message") or {}
            if "chat_id" in msg and str(msg["chat_id"]) == str(chat):
                out.append({"id": item["messageId"], "text": msg.get("text", ""),
                            "buttons": [b for row in (msg.get("reply_markup") or {}).get("inline_keyboard", [])
                                        for b in row]})
        return out

    def last_id(self, chat):
        return max([0] + [m["id"] for m in self.bot_messages(chat)])

    def wait_message(self, chat, predicate, what, timeout=60, newer_than=0):
        """The newest bot message in chat (id above newer_than) that satisfies predicate."""
        def find():
            for m in reversed(self.bot_messages(chat)):
                if m["id"] > newer_than and predicate(m):
                    return m
            return None
        return wait_for(find, timeout=timeout, what="bot message: " + what)


def button(message, label):
    for b in message["buttons"]:
        if label in b["text"]:
            return b["callback_data"]
    raise AssertionError("no button %r in %r" % (label, message))


