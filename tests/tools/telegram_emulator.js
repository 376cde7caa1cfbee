// Starts the Telegram Bot API emulator (npm telegram-test-api 4.2.1) on 127.0.0.1.
// Usage: node telegram_emulator.js PORT   — prints "listening on PORT" once it accepts.
// The package ships no start script of its own (see TESTING-NOTES.md).
'use strict';
const path = require('path');
const TelegramServer = require(path.join(__dirname, 'node_modules', 'telegram-test-api'));

const port = Number(process.argv[2]);
if (!port) {
  console.error('usage: node telegram_emulator.js PORT');
  process.exit(2);
}
const server = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 600 });
server.start().then(() => {
  console.log(`listening on ${port}`);
}).catch((err) => {
  console.error(`cannot start the Telegram emulator on port ${port}: ${err}`);
  process.exit(1);
});
const stop = () => { server.stop().finally(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
