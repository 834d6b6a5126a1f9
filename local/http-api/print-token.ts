/**
 * Prints a bearer token the local API accepts, for curl, the AWS CLI or the console:
 *   node local/http-api/print-token.ts --org <orgId> --role <role> [--sub <id>] [--expires-in 12h] [--data-dir .samskapa]
 * It signs with the key in <data-dir>/auth (created if the runtime has not run yet), the same key
 * `npm start` verifies with.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { issueDevelopmentToken } from './auth.ts';

const { values } = parseArgs({
  options: {
    org: { type: 'string' },
    role: { type: 'string' },
    sub: { type: 'string' },
    'expires-in': { type: 'string', default: '12h' },
    'data-dir': { type: 'string', default: '.samskapa' },
  },
});

if (!values.org || !values.role) {
  process.stderr.write(
    'usage: node local/http-api/print-token.ts --org <orgId> --role <role> [--sub <id>] [--expires-in 12h] [--data-dir .samskapa]\n',
  );
  process.exit(2);
}

const token = await issueDevelopmentToken(
  { orgId: values.org, role: values.role, sub: values.sub, expiresIn: values['expires-in'] },
  join(values['data-dir'], 'auth'),
);
process.stdout.write(`${token}\n`);
