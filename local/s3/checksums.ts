/**
 * The additional checksums S3 verifies on upload (`x-amz-checksum-<algorithm>`, as a header or as an
 * aws-chunked trailer), computed incrementally while a body streams through. Values are base64 of the
 * big-endian digest, as S3 sends them.
 */
import { createHash, type Hash } from 'node:crypto';
import { crc32 } from 'node:zlib';

export const CHECKSUM_ALGORITHMS = ['crc32', 'crc32c', 'crc64nvme', 'sha1', 'sha256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface Checksum {
  update(chunk: Buffer): void;
  /** base64 of the digest */
  digest(): string;
}

export const isChecksumAlgorithm = (name: string): name is ChecksumAlgorithm =>
  (CHECKSUM_ALGORITHMS as readonly string[]).includes(name);

export function createChecksum(algorithm: ChecksumAlgorithm | 'md5'): Checksum {
  switch (algorithm) {
    case 'crc32':
      return crcChecksum(0, (crc, chunk) => crc32(chunk, crc));
    case 'crc32c':
      return crcChecksum(0, crc32c);
    case 'crc64nvme':
      return crc64nvmeChecksum();
    case 'md5':
    case 'sha1':
    case 'sha256':
      return hashChecksum(createHash(algorithm));
  }
}

function hashChecksum(hash: Hash): Checksum {
  return { update: (chunk) => hash.update(chunk), digest: () => hash.digest('base64') };
}

function crcChecksum(initial: number, step: (crc: number, chunk: Buffer) => number): Checksum {
  let crc = initial;
  return {
    update: (chunk) => {
      crc = step(crc, chunk);
    },
    digest: () => {
      const out = Buffer.alloc(4);
      out.writeUInt32BE(crc >>> 0);
      return out.toString('base64');
    },
  };
}

// CRC-32C (Castagnoli), reflected polynomial 0x82F63B78; zlib only has the IEEE CRC-32.
const CRC32C_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32c(previous: number, chunk: Buffer): number {
  let crc = ~previous >>> 0;
  for (const byte of chunk) crc = (CRC32C_TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

// CRC-64/NVME, reflected polynomial 0x9A6C9329AC4BC9B5, kept as two 32-bit halves to avoid BigInt per byte.
const CRC64_TABLE = (() => {
  const hi = new Uint32Array(256);
  const lo = new Uint32Array(256);
  const poly = 0x9a6c9329ac4bc9b5n;
  for (let n = 0; n < 256; n++) {
    let c = BigInt(n);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    hi[n] = Number(c >> 32n);
    lo[n] = Number(c & 0xffffffffn);
  }
  return { hi, lo };
})();

function crc64nvmeChecksum(): Checksum {
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  return {
    update: (chunk) => {
      for (const byte of chunk) {
        const i = (lo ^ byte) & 0xff;
        lo = (((lo >>> 8) | (hi << 24)) ^ (CRC64_TABLE.lo[i] as number)) >>> 0;
        hi = ((hi >>> 8) ^ (CRC64_TABLE.hi[i] as number)) >>> 0;
      }
    },
    digest: () => {
      const out = Buffer.alloc(8);
      out.writeUInt32BE(~hi >>> 0, 0);
      out.writeUInt32BE(~lo >>> 0, 4);
      return out.toString('base64');
    },
  };
}
