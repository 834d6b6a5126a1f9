/**
 * Static files (the console) for GET/HEAD paths no route claims. Only files under the root are
 * served: the decoded path is resolved and must stay inside it, so `..` or encoded slashes cannot
 * reach the rest of the disk.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json',
};

/** Resolves a request path to a file under root, or undefined when it is not one. */
export async function staticFileFor(root: string, rawPath: string): Promise<string | undefined> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const base = resolve(root);
  let candidate = resolve(join(base, decoded));
  if (candidate !== base && !candidate.startsWith(base + sep)) return undefined;
  try {
    let info = await stat(candidate);
    if (info.isDirectory()) {
      candidate = join(candidate, 'index.html');
      info = await stat(candidate);
    }
    return info.isFile() ? candidate : undefined;
  } catch {
    return undefined;
  }
}

export async function serveStaticFile(
  file: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const info = await stat(file);
  response.writeHead(200, {
    'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
    'content-length': info.size,
    'cache-control': 'no-cache',
  });
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  await new Promise<void>((done, fail) => {
    const stream = createReadStream(file);
    stream.once('error', fail);
    response.once('close', () => {
      stream.destroy();
      done();
    });
    stream.pipe(response);
  });
}
