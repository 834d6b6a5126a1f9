/**
 * The `samskapa` command line: picks the subcommand, parses its options, runs it and turns any
 * failure into one line and an exit code (the stack trace only with --verbose).
 */
import { demoCommand } from '../commands/demo.ts';
import { dlqCommand } from '../commands/dlq.ts';
import { helpCommand, overview, unknownCommand } from '../commands/help.ts';
import { importCommand } from '../commands/import.ts';
import { replayCommand } from '../commands/replay.ts';
import { startCommand } from '../commands/start.ts';
import { statusCommand } from '../commands/status.ts';
import { tailCommand } from '../commands/tail.ts';
import { tokenCommand } from '../commands/token.ts';
import { traceCommand } from '../commands/trace.ts';
import { type Command, helpText, parseCommandLine } from './command.ts';
import { report, usageError } from './errors.ts';

const commands: Command[] = [
  startCommand,
  demoCommand,
  importCommand,
  statusCommand,
  tailCommand,
  traceCommand,
  dlqCommand,
  replayCommand,
  tokenCommand,
];
commands.push(helpCommand(() => commands));

/** Runs `samskapa <argv...>`; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const verbose = argv.includes('--verbose');
  if (name === undefined || name === '--help' || name === '-h') {
    process.stdout.write(overview(commands));
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  try {
    if (!command) throw usageError(unknownCommand(name, commands));
    const args = parseCommandLine(command, rest);
    if (args.values.help) {
      process.stdout.write(helpText(command));
      return 0;
    }
    return await command.run(args);
  } catch (error) {
    return report(error, command?.name ?? '', verbose);
  }
}
