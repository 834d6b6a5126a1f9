/** `samskapa help [command]`: the commands, or one command's options and examples. */
import { type Command, helpText, type Parsed } from '../core/command.ts';
import { usageError } from '../core/errors.ts';

export function helpCommand(all: () => readonly Command[]): Command {
  const command: Command = {
    name: 'help',
    summary: 'Show the commands, or the options and examples of one',
    usage: 'samskapa help [command]',
    positionals: { min: 0, max: 1 },
    options: {},
    help: 'Example:\n  samskapa help import',
    run: async (args: Parsed) => {
      const name = args.positionals[0];
      if (name === undefined) {
        process.stdout.write(overview(all()));
        return 0;
      }
      const found = all().find((c) => c.name === name);
      if (!found) throw usageError(unknownCommand(name, all()));
      process.stdout.write(helpText(found));
      return 0;
    },
  };
  return command;
}

export function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return `samskapa: the participation pipeline, locally and on AWS

Usage: samskapa <command> [options]

Commands:
${commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

By default the commands work with the local runtime (\`npm start\`), found through
.samskapa/endpoints.json (--data DIR for another folder); --stack NAME works with a deployed stack
(with --profile, --region and a Cognito ID token in --token or SAMSKAPA_TOKEN).
\`samskapa help <command>\` (or \`samskapa <command> --help\`) shows its options and examples.
`;
}

export function unknownCommand(name: string, commands: readonly Command[]): string {
  return `unknown command '${name}'; the commands are ${commands.map((c) => c.name).join(', ')} (samskapa help)`;
}
