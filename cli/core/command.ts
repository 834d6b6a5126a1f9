/**
 * One subcommand of `samskapa`: its options (node:util parseArgs), its help text and what it does.
 * Every command module under cli/commands/ exports one; cli/samskapa.ts dispatches to them.
 */
import { type ParseArgsOptionsConfig, parseArgs } from 'node:util';
import { usageError } from './errors.ts';

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface Command {
  name: string;
  /** One line for `samskapa help`. */
  summary: string;
  /** The synopsis, e.g. `samskapa import <places.csv> [--chunk-size N]`. */
  usage: string;
  /** Option lines and examples for `samskapa help <command>`. */
  help: string;
  options: ParseArgsOptionsConfig;
  /** How many positional arguments it takes. */
  positionals?: { min: number; max: number };
  run(args: Parsed): Promise<number>;
}

/** Accepted by every command. */
export const commonOptions = {
  help: { type: 'boolean', short: 'h' },
  verbose: { type: 'boolean' },
} as const satisfies ParseArgsOptionsConfig;

/** Where the command works: the local runtime (default) or a deployed stack. */
export const targetOptions = {
  data: { type: 'string' },
  stack: { type: 'string' },
  profile: { type: 'string' },
  region: { type: 'string' },
  token: { type: 'string' },
  org: { type: 'string' },
} as const satisfies ParseArgsOptionsConfig;

export const targetHelp = `Where it runs:
  --data DIR       the local runtime whose endpoints.json is in DIR (default .samskapa)
  --org ORG        the organisation on the local runtime (default org-demo)
  --stack NAME     a deployed stack instead (reads its outputs), e.g. samskapa-prod
  --profile P      the AWS profile for --stack (default: the usual AWS credential chain)
  --region R       the AWS region for --stack (default: AWS_REGION or the profile's)
  --token JWT      a Cognito ID token for the API of --stack (or env SAMSKAPA_TOKEN)`;

export function parseCommandLine(command: Command, argv: string[]): Parsed {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...commonOptions, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // parseArgs' messages name the option; add where to look.
    const text = (error as Error).message.split('\n')[0] ?? 'bad arguments';
    const unknown = /^Unknown option '([^']+)'/.exec(text)?.[1];
    const message = unknown ? `unknown option ${unknown}` : text.replace(/\.$/, '');
    throw usageError(`${message}. See: samskapa help ${command.name}`);
  }
  const values = parsed.values as Parsed['values'];
  const { min, max } = command.positionals ?? { min: 0, max: 0 };
  if (!values.help && (parsed.positionals.length < min || parsed.positionals.length > max)) {
    throw usageError(
      parsed.positionals.length > max
        ? `unexpected argument ${parsed.positionals[max]}. Usage: ${command.usage}`
        : `missing argument. Usage: ${command.usage}`,
    );
  }
  return { values, positionals: parsed.positionals };
}

export function helpText(command: Command): string {
  return `${command.summary}\n\nUsage: ${command.usage}\n\n${command.help.trim()}\n\n  --verbose        show details (stack traces) when something fails\n  -h, --help       this help\n`;
}

/** A string option, or undefined. */
export const stringValue = (args: Parsed, name: string): string | undefined => {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
};

export function wholeNumber(args: Parsed, name: string, fallback: number, min: number, max: number): number {
  const raw = stringValue(args, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max)
    throw usageError(`--${name} must be a whole number from ${min} to ${max} (got ${raw})`);
  return value;
}
