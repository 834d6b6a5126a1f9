import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compilePattern,
  InvalidEventPatternError,
  matchesPattern,
  testEventPattern,
} from '../../local/eventbridge/pattern.ts';

interface ConformanceCase {
  readonly name: string;
  readonly pattern: unknown;
  readonly event: unknown;
  readonly expected: boolean | 'InvalidEventPatternException';
  readonly source: string;
  readonly awsErrorMessage?: string;
  readonly ref?: string;
}

const vectors: readonly ConformanceCase[] = JSON.parse(
  readFileSync(new URL('../../../shared/conformance/eventbridge-patterns.json', import.meta.url), 'utf8'),
);

/** The reason AWS (or we) gave for refusing `pattern`, or undefined if it compiles. */
function refusal(pattern: unknown): string | undefined {
  try {
    compilePattern(pattern);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error.reason;
    throw error;
  }
}

const event = (detail: unknown) => ({
  id: '1',
  source: 'samskapa.test',
  'detail-type': 'Test',
  account: '123456789012',
  region: 'eu-north-1',
  time: '2025-01-01T00:00:00Z',
  resources: [],
  detail,
});

describe('AWS conformance vectors', () => {
  it('holds all 172 cases', () => {
    expect(vectors).toHaveLength(172);
  });

  for (const vector of vectors) {
    it(vector.name, () => {
      if (vector.expected === 'InvalidEventPatternException') {
        expect(() => compilePattern(vector.pattern)).toThrow(InvalidEventPatternError);
        if (vector.awsErrorMessage !== undefined) {
          expect(() => compilePattern(vector.pattern)).toThrow(vector.awsErrorMessage);
        }
        return;
      }
      const compiled = compilePattern(vector.pattern);
      expect(matchesPattern(compiled, vector.event)).toBe(vector.expected);
    });
  }
});

describe('numbers', () => {
  it('compares numbers as numbers: 300.0 in the event equals 300 in the pattern', () => {
    const event300 = JSON.parse('{"detail": {"n": 300.0}}');
    expect(testEventPattern('{"detail": {"n": [300]}}', event300)).toBe(true);
    expect(testEventPattern('{"detail": {"n": [{"numeric": ["=", 300.0]}]}}', event300)).toBe(true);
    expect(testEventPattern('{"detail": {"n": [300.5]}}', event300)).toBe(false);
  });

  it('never lets a number match a string that spells it, either way', () => {
    expect(testEventPattern({ detail: { n: [300] } }, event({ n: '300' }))).toBe(false);
    expect(testEventPattern({ detail: { n: ['300'] } }, event({ n: 300 }))).toBe(false);
  });

  it('compares to six decimals, so floating-point noise does not matter', () => {
    expect(testEventPattern({ detail: { n: [{ numeric: ['=', 0.3] }] } }, event({ n: 0.1 + 0.2 }))).toBe(
      true,
    );
    expect(testEventPattern({ detail: { n: [{ numeric: ['>', 0.3] }] } }, event({ n: 0.300001 }))).toBe(true);
  });

  it('bounds one-sided ranges by ±5e9 and refuses pattern numbers beyond it', () => {
    expect(testEventPattern({ detail: { n: [{ numeric: ['>', 0] }] } }, event({ n: 6e9 }))).toBe(false);
    expect(refusal({ n: [{ numeric: ['<', 6e9] }] })).toBe(
      'Value must be between -5.0E9 and 5.0E9, inclusive',
    );
    expect(refusal({ n: [{ numeric: ['>', 5e9] }] })).toBe('Bottom must be less than top');
    expect(refusal({ n: [{ numeric: ['>=', 5, '<', 5] }] })).toBe('Bottom must be less than top');
  });

  it('still matches an out-of-range number such as an account id literally', () => {
    expect(testEventPattern({ detail: { n: [123456789012] } }, event({ n: 123456789012 }))).toBe(true);
  });

  it('excludes an anything-but list of numbers numerically, and lets everything else through', () => {
    const pattern = compilePattern({ detail: { limit: [{ 'anything-but': [100, 200, 300] }] } });
    expect(matchesPattern(pattern, event(JSON.parse('{"limit": 200.0}')))).toBe(false);
    expect(matchesPattern(pattern, event({ limit: 250 }))).toBe(true);
    expect(matchesPattern(pattern, event({ limit: '200' }))).toBe(true);
    expect(matchesPattern(pattern, event({ limit: [100, 200, 999] }))).toBe(true);
    expect(matchesPattern(pattern, event({}))).toBe(false);
  });

  it('refuses an anything-but list that mixes strings and numbers, or is empty', () => {
    const reason =
      'Inside anything but list, either all values are number or string, mixed type is not supported';
    expect(refusal({ n: [{ 'anything-but': ['a', 1] }] })).toBe(reason);
    expect(refusal({ n: [{ 'anything-but': [] }] })).toBe(reason);
  });
});

describe('cidr', () => {
  it('matches IPv6 blocks however the address is written, and never IPv4 addresses', () => {
    const pattern = compilePattern({ detail: { ip: [{ cidr: '2001:db8::/32' }] } });
    expect(matchesPattern(pattern, event({ ip: '2001:db8:ffff::1' }))).toBe(true);
    expect(matchesPattern(pattern, event({ ip: '2001:0DB8:0000:0000:0000:0000:0000:0001' }))).toBe(true);
    expect(matchesPattern(pattern, event({ ip: '2001:db9::1' }))).toBe(false);
    expect(matchesPattern(pattern, event({ ip: '10.0.0.1' }))).toBe(false);
    expect(matchesPattern(pattern, event({ ip: 'not an address' }))).toBe(false);
  });

  it('covers the whole block even when the address has host bits set', () => {
    const pattern = compilePattern({ detail: { ip: [{ cidr: '10.0.0.77/24' }] } });
    expect(matchesPattern(pattern, event({ ip: '10.0.0.0' }))).toBe(true);
    expect(matchesPattern(pattern, event({ ip: '10.0.0.255' }))).toBe(true);
    expect(matchesPattern(pattern, event({ ip: '10.0.1.0' }))).toBe(false);
  });

  it('matches an IP literal in the pattern against the same address in another notation', () => {
    expect(testEventPattern({ detail: { ip: ['2001:db8::1'] } }, event({ ip: '2001:db8:0:0:0:0:0:1' }))).toBe(
      true,
    );
  });

  it('refuses mask lengths AWS refuses', () => {
    expect(refusal({ ip: [{ cidr: '10.0.0.1/32' }] })).toBe('IPv4 mask bits must be < 32');
    expect(refusal({ ip: [{ cidr: '2001:db8::1/128' }] })).toBe('IPv6 mask bits must be < 128');
    expect(refusal({ ip: [{ cidr: '10.0.0.0/-1' }] })).toBe('Malformed CIDR, mask bits must not be negative');
    expect(refusal({ ip: [{ cidr: '10.0.0.256/8' }] })).toBe('Invalid IP address: 10.0.0.256');
  });
});

describe('$or', () => {
  const pattern = compilePattern({
    source: ['samskapa.test'],
    detail: {
      $or: [{ workshop: { state: ['closed'] } }, { 'participant.count': [{ numeric: ['>', 5] }] }],
    },
  });

  it('matches when any alternative matches, nested fields included', () => {
    expect(matchesPattern(pattern, event({ workshop: { state: 'closed' } }))).toBe(true);
    expect(matchesPattern(pattern, event({ participant: { count: 6 } }))).toBe(true);
    expect(matchesPattern(pattern, event({ workshop: { state: 'open' }, participant: { count: 5 } }))).toBe(
      false,
    );
  });

  it('still requires the fields beside the $or', () => {
    const elsewhere = { ...event({ workshop: { state: 'closed' } }), source: 'other' };
    expect(matchesPattern(pattern, elsewhere)).toBe(false);
  });

  it('refuses fewer than two alternatives and operator names as fields inside it', () => {
    expect(refusal({ $or: [{ a: ['x'] }] })).toBe('There must have at least 2 Objects in $or relationship.');
    expect(refusal({ $or: [{ prefix: ['x'] }, { a: ['y'] }] })).toBe(
      'prefix is Ruler reserved fieldName which cannot be used inside $or.',
    );
  });
});

describe('wildcard', () => {
  it('treats \\* as a literal star and \\\\ as a literal backslash', () => {
    const pattern = compilePattern({ detail: { key: [{ wildcard: 'reports/\\*/\\\\*.pdf' }] } });
    expect(matchesPattern(pattern, event({ key: 'reports/*/\\2025.pdf' }))).toBe(true);
    expect(matchesPattern(pattern, event({ key: 'reports/2025/\\2025.pdf' }))).toBe(false);
  });

  it('refuses other escapes, with AWS byte positions counted from the opening quote', () => {
    expect(refusal({ key: [{ wildcard: 'a\\b' }] })).toBe('Invalid escape character at pos 2');
    expect(refusal({ key: [{ wildcard: 'å**' }] })).toBe('Consecutive wildcard characters at pos 3');
  });

  it('matches stars against empty runs and only whole strings', () => {
    const pattern = compilePattern({ detail: { key: [{ wildcard: 'a*b*c' }] } });
    expect(matchesPattern(pattern, event({ key: 'abc' }))).toBe(true);
    expect(matchesPattern(pattern, event({ key: 'a-b-b-c' }))).toBe(true);
    expect(matchesPattern(pattern, event({ key: 'abcd' }))).toBe(false);
    expect(matchesPattern(pattern, event({ key: 7 }))).toBe(false);
  });

  it('refuses rules whose wildcards are too complex for one field', () => {
    const tooComplex =
      'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';
    expect(refusal({ key: [{ wildcard: '*a*b*c*d*' }] })).toBeUndefined();
    expect(refusal({ key: [{ wildcard: '*a*b*c*d*e*' }] })).toBe(tooComplex);
    expect(refusal({ key: ['*.png', '*.jpg', '*.gif'].map((wildcard) => ({ wildcard })) })).toBeUndefined();
    expect(refusal({ key: ['*.bif', '*.tiff', '*.tif', '*.svs'].map((wildcard) => ({ wildcard })) })).toBe(
      tooComplex,
    );
  });
});

describe('structure', () => {
  it('reads a leaf inside an array of objects, and treats an object as absent', () => {
    const steps = event({ steps: [{ name: 'interviews' }, { name: 'workshop' }] });
    expect(testEventPattern({ detail: { steps: { name: ['workshop'] } } }, steps)).toBe(true);
    expect(testEventPattern({ detail: { steps: [{ exists: true }] } }, steps)).toBe(false);
    expect(testEventPattern({ detail: { steps: [{ exists: false }] } }, steps)).toBe(true);
  });

  it('keeps the last of a repeated key, as AWS documents', () => {
    const pattern = '{"detail": {"state": [{"prefix": "us-"}], "state": [{"anything-but": "us-east"}]}}';
    expect(testEventPattern(pattern, event({ state: 'eu-west' }))).toBe(true);
  });

  it('refuses text that is not a JSON object, with AWS error naming', () => {
    expect(refusal('{"source": [')).toBe('Filter is not valid JSON');
    expect(refusal('["source"]')).toBe('Filter is not an object');
    expect(refusal({})).toBe('Empty objects are not allowed');
    const error = (() => {
      try {
        compilePattern({ source: 'samskapa.test' });
      } catch (thrown) {
        return thrown;
      }
    })();
    expect(error).toBeInstanceOf(InvalidEventPatternError);
    expect(error).toMatchObject({
      name: 'InvalidEventPatternException',
      message: 'Event pattern is not valid. Reason: "source" must be an object or an array',
    });
  });
});

describe('compile once, match many', () => {
  it('matches 10,000 events against one compiled pattern', () => {
    const compiled = compilePattern({
      source: [{ prefix: 'samskapa.' }],
      detail: {
        sector: ['association', 'business', 'municipality'],
        participants: [{ numeric: ['>=', 10, '<', 100] }],
        place: [{ 'anything-but': { wildcard: '*-test' } }],
      },
    });
    const sectors = ['association', 'business', 'municipality', 'school'];
    let matched = 0;
    let expected = 0;
    for (let index = 0; index < 10_000; index++) {
      const sector = sectors[index % sectors.length];
      const participants = index % 150;
      const place = index % 7 === 0 ? `place-${index}-test` : `place-${index}`;
      if (sector !== 'school' && participants >= 10 && participants < 100 && index % 7 !== 0) expected++;
      if (matchesPattern(compiled, event({ sector, participants, place }))) matched++;
    }
    expect(expected).toBeGreaterThan(0);
    expect(matched).toBe(expected);
  });
});
