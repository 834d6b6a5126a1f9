/** Names made safe for ids and S3 keys. */

/** Letters without their diacritics: Härjedalen -> Harjedalen, Åre -> Are, Jämsä -> Jamsa. */
const plain = (text: string) =>
  text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/ß/g, 'ss')
    .replace(/[æÆ]/g, 'ae')
    .replace(/[øØ]/g, 'o');

/** A place id from its name: lowercase, letters and digits joined by single dashes, at most 48 long. */
export function slug(name: string): string {
  const base = plain(name)
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/, '');
  return base || 'place';
}

/**
 * The last part of an uploaded file's name, safe in an S3 key and a URL: letters, digits, dot, dash
 * and underscore; never empty, never hidden, at most 100 characters with its extension kept.
 */
export function safeFileName(name: string): string {
  const last = name.split(/[\\/]/).pop() ?? '';
  const cleaned = plain(last)
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/-+\./g, '.')
    .replace(/\.{2,}/g, '.')
    .replace(/^[.-]+/, '')
    .replace(/[.-]+$/, '');
  if (!cleaned) return 'recording';
  if (cleaned.length <= 100) return cleaned;
  const dot = cleaned.lastIndexOf('.');
  const extension = dot > 0 && cleaned.length - dot <= 10 ? cleaned.slice(dot) : '';
  return cleaned.slice(0, 100 - extension.length).replace(/[.-]+$/, '') + extension;
}
