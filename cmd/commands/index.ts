import type { CommandModule } from 'yargs';
import { benchCommand } from './bench.js';
import { connectCommand } from './connect.js';
import { echoCommand } from './echo.js';
import { idCommand } from './id.js';
import { listenCommand } from './listen.js';
import { peersCommand } from './peers.js';
import { pingCommand } from './ping.js';
import { pipeCommand } from './pipe.js';
import { runCommand } from './run.js';
import { sendCommand } from './send.js';
import { statsCommand } from './stats.js';
import { statusCommand } from './status.js';

/** Every subcommand of the CLI; each lives in its own module in this folder. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  runCommand,
  idCommand,
  statusCommand,
  peersCommand,
  statsCommand,
  sendCommand,
  pingCommand,
  connectCommand,
  pipeCommand,
  listenCommand,
  echoCommand,
  benchCommand,
];
