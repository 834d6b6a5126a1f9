/**
 * Email address checks as SES applies them: one mailbox per entry, an optional display name, and an
 * address of 7-bit ASCII (SES wants IDN domains in punycode). The messages are SES's own.
 */
import addressparser from 'nodemailer/lib/addressparser';
import { SesError } from './errors.ts';

const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const QUOTED = /^"([\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/;
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

const illegal = () => new SesError('BadRequestException', 'Illegal address');

/** The bare address of a mailbox such as `Byalaget <info@byalaget.se>`; throws BadRequestException. */
export function checkAddress(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw illegal();
  if (/[\r\n]/.test(value)) throw illegal();
  if (!value.includes('@')) throw new SesError('BadRequestException', "Missing final '@domain'");
  const parsed = addressparser(value);
  const mailbox = parsed[0];
  if (parsed.length !== 1 || mailbox === undefined || mailbox.group !== undefined || !mailbox.address)
    throw illegal();
  const address = mailbox.address;
  const at = address.lastIndexOf('@');
  if (at < 0) throw new SesError('BadRequestException', "Missing final '@domain'");
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what SES rejects here
  if (/[\s\x00-\x1f\x7f]/.test(domain))
    throw new SesError('BadRequestException', 'Domain contains control or whitespace');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what SES rejects here
  if (/[\x00-\x1f\x7f]/.test(local))
    throw new SesError('BadRequestException', 'Local address contains control or whitespace');
  if (local.length === 0 || local.length > 64 || !(DOT_ATOM.test(local) || QUOTED.test(local)))
    throw illegal();
  const labels = domain.split('.');
  if (domain.length > 253 || labels.length < 2 || !labels.every((label) => LABEL.test(label)))
    throw illegal();
  return address;
}

/** The bare addresses of a header value that may list several mailboxes (To, Cc of a raw message). */
export function addressesInHeader(value: string): string[] {
  const flattened = addressparser(value, { flatten: true });
  return flattened.map((mailbox) => checkAddress(mailbox.address));
}
