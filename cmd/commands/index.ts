import type { CommandModule } from 'yargs';
import { benchCommand } from './bench.js';
import { echoCommand } from './echo.js';
import { idCommand } from './id.js';

/** Every subcommand of the CLI; each lives in its own module in this folder. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [echoCommand, idCommand, benchCommand];
