/**
 * `samskapa token --org O --role R`: prints a development token the local API accepts (for curl, the
 * AWS CLI's neighbours, the console), signed with the runtime's key in `<data>/auth`. On AWS, users
 * sign in to Cognito instead; there is no token to print.
 */
import { join } from 'node:path';
import { type Command, type Parsed, stringValue } from '../core/command.ts';
import { usageError } from '../core/errors.ts';
import { localDataDir, localOnly } from '../core/target.ts';

/** The roles people sign in with (functions/api/route-table.ts). */
const ROLES = ['coordinator', 'facilitator', 'ops'];

export const tokenCommand: Command = {
  name: 'token',
  summary: 'Print a development token for the local API',
  usage: 'samskapa token --org ORG --role ROLE [--sub ID] [--expires-in 12h] [--data DIR]',
  options: {
    org: { type: 'string' },
    role: { type: 'string' },
    sub: { type: 'string' },
    'expires-in': { type: 'string' },
    data: { type: 'string' },
    stack: { type: 'string' },
  },
  help: `Signs a token with the local runtime's development key (<data>/auth, created if the runtime has
not run yet), with the claims a Cognito user carries: custom:orgId, custom:role, sub.

  --org ORG          the organisation (custom:orgId)
  --role ROLE        ${ROLES.join(', ')}
  --sub ID           the user id (default dev-<role>)
  --expires-in SPAN  e.g. 90s, 15m, 12h, 7d (default 12h)
  --data DIR         the runtime's data folder (default .samskapa)

On a deployed stack, sign in to its Cognito user pool instead (infra/README.md).

Example:
  TOKEN=$(samskapa token --org org-demo --role coordinator)
  curl -H "Authorization: Bearer $TOKEN" "$(node -p "require('./.samskapa/endpoints.json').api")/places"`,
  run: runToken,
};

async function runToken(args: Parsed): Promise<number> {
  localOnly(args, 'token');
  const org = stringValue(args, 'org');
  const role = stringValue(args, 'role');
  if (!org || !role) throw usageError(`--org and --role are required. Usage: ${tokenCommand.usage}`);
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(org))
    throw usageError(`--org must be an id of letters, digits, _ and - (got ${org})`);
  if (!ROLES.includes(role)) throw usageError(`--role must be one of ${ROLES.join(', ')} (got ${role})`);
  const expiresIn = stringValue(args, 'expires-in') ?? '12h';
  if (!/^\d+[smhd]$/.test(expiresIn))
    throw usageError(`--expires-in must be a span such as 90s, 15m, 12h or 7d (got ${expiresIn})`);
  const { issueDevelopmentToken } = await import('../../local/http-api/index.ts');
  const token = await issueDevelopmentToken(
    { orgId: org, role, sub: stringValue(args, 'sub') ?? `dev-${role}`, expiresIn },
    join(localDataDir(args), 'auth'),
  );
  process.stdout.write(`${token}\n`);
  return 0;
}
