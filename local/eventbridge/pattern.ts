/**
 * The EventBridge event-pattern language, for the local bus: validation as PutRule/TestEventPattern do it,
 * and matching of full events.
 *
 * Semantics follow AWS's matcher (the open-source aws/event-ruler, which EventBridge runs) and are pinned
 * by the AWS-validated vectors in /work/shared/conformance/eventbridge-patterns.json. In short:
 * - Pattern and event are both flattened to dotted paths (`{"a":{"b":…}}` and `{"a.b":…}` are the same field).
 * - An event field's values are its leaves at that path: arrays (of arrays, of objects) are walked, objects
 *   and empty arrays contribute nothing, `null` is a value. A field matches if any value satisfies any of
 *   the pattern's alternatives; all fields of a branch must match; `$or` makes branches.
 * - Strings, numbers, booleans and null never match one another: prefix/suffix/wildcard/equals-ignore-case
 *   only see strings, numeric only sees numbers, anything-but accepts every present value it does not exclude.
 * - Numbers are compared as numbers (300.0 equals 300) to six decimals within ±5e9, as AWS documents.
 *
 * compilePattern does all parsing up front (numbers quantised, wildcards split, CIDRs turned into ranges,
 * ignore-case operands lowercased), leaving matchesPattern only walks and comparisons.
 */

const REASON_PREFIX = 'Event pattern is not valid. Reason: ';

export class InvalidEventPatternError extends Error {
  override readonly name = 'InvalidEventPatternException';
  /** The part after "Reason: ", as AWS words it. */
  readonly reason: string;

  constructor(reason: string) {
    super(`${REASON_PREFIX}${reason}`);
    this.reason = reason;
  }
}

type Leaf = string | number | boolean | null;
type ValueTest = (value: Leaf) => boolean;

/** One field of one branch: a dotted path and the alternatives any of its values may satisfy. */
interface FieldMatcher {
  readonly path: string;
  /** keysFrom[i] lists the keys that can start at segment i: `a`, `a.b`, `a.b.c`, … (dots join, see below). */
  readonly keysFrom: readonly (readonly string[])[];
  readonly tests: readonly ValueTest[];
  /** `{"exists": true}` among the alternatives. */
  readonly matchesPresent: boolean;
  /** `{"exists": false}` among the alternatives. */
  readonly matchesAbsent: boolean;
  /** Wildcards (plain and anything-but) on this field, for AWS's rule-complexity check. */
  readonly wildcards: readonly Wildcard[];
}

type Branch = readonly FieldMatcher[];

/** The compiled form of a pattern: alternative branches (from `$or`), each a conjunction of fields. */
export interface CompiledPattern {
  readonly branches: readonly Branch[];
}

export function compilePattern(pattern: string | unknown): CompiledPattern {
  const parsed = typeof pattern === 'string' ? parseJson(pattern) : pattern;
  if (!isObject(parsed)) fail('Filter is not an object');
  const drafts = compileObject(parsed, undefined, false);
  const branches = drafts.map((draft) => [...draft.values()]);
  checkWildcardComplexity(branches);
  return { branches };
}

export function matchesPattern(compiled: CompiledPattern, event: unknown): boolean {
  return compiled.branches.some((branch) => branch.every((field) => fieldMatches(field, event)));
}

export function testEventPattern(pattern: string | unknown, event: unknown): boolean {
  return matchesPattern(compilePattern(pattern), event);
}

// ---------------------------------------------------------------------------------------------------------
// Matching

function fieldMatches(field: FieldMatcher, event: unknown): boolean {
  const values: Leaf[] = [];
  collectLeaves(event, field.keysFrom, 0, values);
  if (values.length === 0) return field.matchesAbsent;
  if (field.matchesPresent) return true;
  return values.some((value) => field.tests.some((test) => test(value)));
}

/**
 * Collects the leaves of `node` at the path whose segments start at `index`. Because AWS flattens names with
 * dots, the next key may be any run of the remaining segments joined by dots (vectors dot_joining_event and
 * dot_joining_pattern: `{"state.status": …}` and `{"state": {"status": …}}` are the same field).
 */
function collectLeaves(node: unknown, keysFrom: FieldMatcher['keysFrom'], index: number, out: Leaf[]): void {
  if (Array.isArray(node)) {
    for (const element of node) collectLeaves(element, keysFrom, index, out);
    return;
  }
  const keys = keysFrom[index];
  if (keys === undefined) {
    if (isLeaf(node)) out.push(node);
    return;
  }
  if (!isObject(node)) return;
  keys.forEach((key, offset) => {
    if (Object.hasOwn(node, key)) collectLeaves(node[key], keysFrom, index + offset + 1, out);
  });
}

// ---------------------------------------------------------------------------------------------------------
// Structure: objects, $or, fields

type DraftBranch = Map<string, FieldMatcher>;

/** Field names AWS refuses inside `$or` (event-ruler's reserved words). */
const RESERVED_INSIDE_OR = new Set([
  'exactly',
  'equals-ignore-case',
  'prefix',
  'suffix',
  'anything-but',
  'exists',
  'wildcard',
  'numeric',
  'cidr',
  '=',
  '<',
  '<=',
  '>',
  '>=',
  'regex',
  'not-wildcard',
  'not-equals-ignore-case',
  'date-after',
  'date-on-or-after',
  'date-before',
  'date-on-or-before',
  'in-date-range',
  'ip-address-in-range',
  'ip-address-not-in-range',
]);

function compileObject(
  object: Record<string, unknown>,
  path: string | undefined,
  insideOr: boolean,
): DraftBranch[] {
  const keys = Object.keys(object);
  if (keys.length === 0) fail('Empty objects are not allowed');
  let branches: DraftBranch[] = [new Map()];
  for (const key of keys) {
    const value = object[key];
    if (key === '$or') {
      branches = combine(branches, compileOr(value, path));
      continue;
    }
    if (insideOr && RESERVED_INSIDE_OR.has(key)) {
      fail(`${key} is Ruler reserved fieldName which cannot be used inside $or.`);
    }
    const fieldPath = path === undefined ? key : `${path}.${key}`;
    if (Array.isArray(value)) {
      const field = compileField(fieldPath, value);
      // A path given twice keeps the last one, as AWS documents for repeated keys.
      for (const branch of branches) branch.set(fieldPath, field);
    } else if (isObject(value)) {
      branches = combine(branches, compileObject(value, fieldPath, insideOr));
    } else {
      fail(`"${key}" must be an object or an array`);
    }
  }
  return branches;
}

function compileOr(value: unknown, path: string | undefined): DraftBranch[] {
  if (!Array.isArray(value)) fail('It must be an Array followed with $or.');
  const alternatives: DraftBranch[] = [];
  for (const option of value) {
    if (!isObject(option)) fail('Only JSON object is allowed in array of $or relationship.');
    alternatives.push(...compileObject(option, path, true));
  }
  if (value.length < 2) fail('There must have at least 2 Objects in $or relationship.');
  return alternatives;
}

/** Every branch on the left AND every branch on the right: the cross product of the two lists. */
function combine(left: readonly DraftBranch[], right: readonly DraftBranch[]): DraftBranch[] {
  return left.flatMap((l) => right.map((r) => new Map([...l, ...r])));
}

/** Collects a field's alternatives while its pattern array is compiled. */
interface FieldBuilder {
  tests: ValueTest[];
  matchesPresent: boolean;
  matchesAbsent: boolean;
  wildcards: Wildcard[];
}

function compileField(path: string, alternatives: readonly unknown[]): FieldMatcher {
  const builder: FieldBuilder = { tests: [], matchesPresent: false, matchesAbsent: false, wildcards: [] };
  for (const alternative of alternatives) compileAlternative(alternative, builder);
  if (alternatives.length === 0) fail('Empty arrays are not allowed');
  return { path, keysFrom: keysBySegment(path), ...builder };
}

function compileAlternative(alternative: unknown, field: FieldBuilder): void {
  if (isObject(alternative)) compileMatchExpression(alternative, field);
  else field.tests.push(exactValue(alternative));
}

function keysBySegment(path: string): string[][] {
  const segments = path.split('.');
  return segments.map((_, start) =>
    segments.slice(start).map((_, length) => segments.slice(start, start + length + 1).join('.')),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Match expressions: `{ "<operator>": <operand> }`

type OperatorCompiler = (operand: unknown, hasMoreKeys: boolean, field: FieldBuilder) => void;

const ONE_KEY_ONLY = 'Only one key allowed in match expression';
// AWS's own wording, also for anything-but (vectors do not show it, event-ruler's compiler does).
const TOO_MANY_ELEMENTS = 'Too many elements in numeric expression';

const OPERATORS = new Map<string, OperatorCompiler>([
  ['prefix', compilePrefix],
  ['suffix', compileSuffix],
  ['equals-ignore-case', compileEqualsIgnoreCase],
  ['wildcard', compileWildcard],
  ['anything-but', compileAnythingBut],
  ['numeric', compileNumeric],
  ['exists', compileExists],
  ['cidr', compileCidr],
]);

function compileMatchExpression(expression: Record<string, unknown>, field: FieldBuilder): void {
  const entries = Object.entries(expression);
  const first = entries[0];
  if (first === undefined) fail('Match expression name not found');
  const [operator, operand] = first;
  const compile = OPERATORS.get(operator);
  // Operators are case-sensitive (vectors operator_case_sensitive_EXC, content_numeric_operatorcasing_EXC).
  if (compile === undefined) fail(`Unrecognized match type ${operator}`);
  compile(operand, entries.length > 1, field);
}

function compilePrefix(operand: unknown, hasMoreKeys: boolean, field: FieldBuilder): void {
  if (isObject(operand)) {
    const prefix = ignoreCaseOperand('prefix', operand).toLowerCase();
    field.tests.push((value) => typeof value === 'string' && value.toLowerCase().startsWith(prefix));
  } else if (typeof operand === 'string') {
    field.tests.push((value) => typeof value === 'string' && value.startsWith(operand));
  } else {
    fail('prefix match pattern must be a string');
  }
  if (hasMoreKeys) fail(ONE_KEY_ONLY);
}

function compileSuffix(operand: unknown, hasMoreKeys: boolean, field: FieldBuilder): void {
  if (isObject(operand)) {
    const suffix = ignoreCaseOperand('suffix', operand).toLowerCase();
    field.tests.push((value) => typeof value === 'string' && value.toLowerCase().endsWith(suffix));
  } else if (typeof operand === 'string') {
    field.tests.push((value) => typeof value === 'string' && value.endsWith(operand));
  } else {
    fail('suffix match pattern must be a string');
  }
  if (hasMoreKeys) fail(ONE_KEY_ONLY);
}

/** The operand of `{"prefix": {"equals-ignore-case": "…"}}` (and of suffix). */
function ignoreCaseOperand(operator: 'prefix' | 'suffix', operand: Record<string, unknown>): string {
  const entries = Object.entries(operand);
  const first = entries[0];
  const title = operator === 'prefix' ? 'Prefix' : 'Suffix';
  if (first === undefined) fail(`${title} expression name not found`);
  const [name, text] = first;
  if (name !== 'equals-ignore-case') fail(`Unsupported ${operator} pattern: ${name}`);
  if (typeof text !== 'string') fail('equals-ignore-case match pattern must be a string');
  if (entries.length > 1) fail(ONE_KEY_ONLY);
  return text;
}

function compileEqualsIgnoreCase(operand: unknown, hasMoreKeys: boolean, field: FieldBuilder): void {
  if (typeof operand !== 'string') fail('equals-ignore-case match pattern must be a string');
  if (hasMoreKeys) fail(ONE_KEY_ONLY);
  const expected = operand.toLowerCase();
  field.tests.push((value) => typeof value === 'string' && value.toLowerCase() === expected);
}

function compileWildcard(operand: unknown, hasMoreKeys: boolean, field: FieldBuilder): void {
  if (typeof operand !== 'string') fail('wildcard match pattern must be a string');
  const wildcard = parseWildcard(operand);
  if (hasMoreKeys) fail(ONE_KEY_ONLY);
  field.wildcards.push(wildcard);
  field.tests.push((value) => typeof value === 'string' && matchesWildcard(wildcard, value));
}

function compileExists(operand: unknown, hasMoreKeys: boolean, field: FieldBuilder): void {
  if (typeof operand !== 'boolean') fail('exists match pattern must be either true or false.');
  if (hasMoreKeys) fail(ONE_KEY_ONLY);
  if (operand) field.matchesPresent = true;
  else field.matchesAbsent = true;
}

function compileCidr(operand: unknown, hasMoreKeys: boolean, field: FieldBuilder): void {
  // AWS names the wrong operator here (vector content_ip_address_type_EXC).
  if (typeof operand !== 'string') fail('prefix match pattern must be a string');
  const range = parseCidr(operand);
  if (hasMoreKeys) fail(ONE_KEY_ONLY);
  field.tests.push((value) => typeof value === 'string' && ipInRange(value, range));
}

// ---------------------------------------------------------------------------------------------------------
// Exact values

function exactValue(value: unknown): ValueTest {
  if (typeof value === 'string') return equalsString(value);
  if (isJsonNumber(value)) return equalsNumber(value);
  if (typeof value === 'boolean' || value === null) return equalsLiteral(value);
  return fail('Match value must be String, number, true, false, or null');
}

function equalsString(expected: string): ValueTest {
  // A pattern string that is an IP address matches the same address however the event writes it, as AWS
  // compares IP literals by their bytes.
  const ip = ipToHex(expected);
  if (ip === undefined) return (value) => value === expected;
  return (value) => value === expected || (typeof value === 'string' && ipToHex(value) === ip);
}

function equalsNumber(expected: number): ValueTest {
  // Numbers match as numbers (vector number_comparison_float: 300.0 in the event, 300 in the pattern);
  // outside AWS's comparable range only the literal can match.
  if (!isComparable(expected)) return (value) => value === expected;
  const scaled = toComparable(expected);
  return (value) => value === expected || (isComparableNumber(value) && toComparable(value) === scaled);
}

function equalsLiteral(expected: boolean | null): ValueTest {
  // `[null]` matches only null, not "null" (vector null_value_NEG) nor an empty array (arrays_empty_null_NEG).
  return (value) => value === expected;
}

// ---------------------------------------------------------------------------------------------------------
// anything-but

type AnythingButKind = 'equals-ignore-case' | 'prefix' | 'suffix' | 'wildcard';

const ANYTHING_BUT_KINDS = new Set<string>(['equals-ignore-case', 'prefix', 'suffix', 'wildcard']);

/**
 * anything-but matches every present value it does not exclude, whatever its type: null, numbers and
 * booleans pass a string exclusion (vectors content_anything_but_string_null and
 * content_anything_prefix_int_value), while a missing field never matches
 * (content_anything_but_string_missing_NEG).
 */
function compileAnythingBut(operand: unknown, hasMoreKeys: boolean, field: FieldBuilder): void {
  const excludes = isObject(operand) ? anythingButByKind(operand, field) : anythingButValues(operand);
  if (hasMoreKeys) fail(TOO_MANY_ELEMENTS);
  field.tests.push((value) => !excludes(value));
}

/** `{"anything-but": "x" | 1 | ["x", "y"] | [1, 2]}`: the excluded strings, or the excluded numbers. */
function anythingButValues(operand: unknown): ValueTest {
  if (Array.isArray(operand)) return anythingButList(operand);
  if (typeof operand === 'string') return (value) => value === operand;
  if (isJsonNumber(operand)) return excludesNumbers([operand]);
  return fail('Value of anything-but must be an array or single string/number value.');
}

function anythingButList(list: readonly unknown[]): ValueTest {
  const strings = new Set<string>();
  const numbers: number[] = [];
  for (const item of list) {
    if (typeof item === 'string') strings.add(item);
    else if (isJsonNumber(item)) numbers.push(item);
    else fail('Inside anything but list, start|null|boolean is not supported.');
  }
  const hasStrings = strings.size > 0;
  const hasNumbers = numbers.length > 0;
  if (hasStrings === hasNumbers) {
    fail('Inside anything but list, either all values are number or string, mixed type is not supported');
  }
  if (hasNumbers) return excludesNumbers(numbers);
  return (value) => typeof value === 'string' && strings.has(value);
}

function excludesNumbers(numbers: readonly number[]): ValueTest {
  for (const number of numbers) assertComparable(number);
  const scaled = new Set(numbers.map(toComparable));
  return (value) => isComparableNumber(value) && scaled.has(toComparable(value));
}

/** `{"anything-but": {"prefix" | "suffix" | "equals-ignore-case" | "wildcard": "x" | ["x", …]}}` */
function anythingButByKind(operand: Record<string, unknown>, field: FieldBuilder): ValueTest {
  const entries = Object.entries(operand);
  const first = entries[0];
  if (first === undefined) fail('Anything-But expression name not found');
  const [kind, inner] = first;
  if (!isAnythingButKind(kind)) fail(`Unsupported anything-but pattern: ${kind}`);
  // Only one level of nesting: {"anything-but": {"prefix": {"equals-ignore-case": …}}} is refused
  // (vector content_anything_prefix_ignorecase_EXC).
  if (!Array.isArray(inner) && typeof inner !== 'string' && !isJsonNumber(inner)) {
    fail('Value of anything-but must be an array or single string/number value.');
  }
  const texts = (Array.isArray(inner) ? inner : [inner]).map((item) => anythingButText(kind, item));
  const excludes = excludesByKind(kind, texts, field);
  if (entries.length > 1) fail(TOO_MANY_ELEMENTS);
  return excludes;
}

function isAnythingButKind(kind: string): kind is AnythingButKind {
  return ANYTHING_BUT_KINDS.has(kind);
}

function anythingButText(kind: AnythingButKind, item: unknown): string {
  if (typeof item !== 'string') {
    if (kind === 'equals-ignore-case') {
      fail('Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.');
    }
    if (kind === 'wildcard') fail('wildcard match pattern must be a string');
    fail('prefix/suffix match pattern must be a string');
  }
  // An empty exclusion would exclude every string (vector content_anything_prefix_empty_EXC).
  if ((kind === 'prefix' || kind === 'suffix') && item === '') fail('Null prefix/suffix not allowed');
  return item;
}

function excludesByKind(kind: AnythingButKind, texts: readonly string[], field: FieldBuilder): ValueTest {
  switch (kind) {
    case 'equals-ignore-case': {
      const lowered = new Set(texts.map((text) => text.toLowerCase()));
      return (value) => typeof value === 'string' && lowered.has(value.toLowerCase());
    }
    case 'prefix':
      return (value) => typeof value === 'string' && texts.some((prefix) => value.startsWith(prefix));
    case 'suffix':
      return (value) => typeof value === 'string' && texts.some((suffix) => value.endsWith(suffix));
    case 'wildcard': {
      const wildcards = texts.map(parseWildcard);
      field.wildcards.push(...wildcards);
      return (value) => typeof value === 'string' && wildcards.some((w) => matchesWildcard(w, value));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// numeric

/**
 * AWS compares numbers to six decimals within ±5e9 (event-ruler's ComparableNumber); a value outside that
 * range is not a number to `numeric` at all.
 */
const NUMERIC_LIMIT = 5e9;
const NUMERIC_SCALE = 1e6;

function isComparable(number: number): boolean {
  return number >= -NUMERIC_LIMIT && number <= NUMERIC_LIMIT;
}

function isComparableNumber(value: Leaf): value is number {
  return typeof value === 'number' && isComparable(value);
}

/** An integer count of millionths: exact for |n| <= 5e9 and immune to 0.1 + 0.2 style noise. */
function toComparable(number: number): number {
  return Math.round(number * NUMERIC_SCALE);
}

function assertComparable(number: number): void {
  if (!isComparable(number)) fail('Value must be between -5.0E9 and 5.0E9, inclusive');
}

interface NumericRange {
  readonly bottom: number;
  readonly openBottom: boolean;
  readonly top: number;
  readonly openTop: boolean;
}

function compileNumeric(operand: unknown, hasMoreKeys: boolean, field: FieldBuilder): void {
  if (!Array.isArray(operand)) fail('Value of numeric must be an array.');
  const range = parseNumericRange(operand);
  if (hasMoreKeys) fail(TOO_MANY_ELEMENTS);
  field.tests.push((value) => isComparableNumber(value) && inNumericRange(toComparable(value), range));
}

function inNumericRange(scaled: number, range: NumericRange): boolean {
  const aboveBottom = range.openBottom ? scaled > range.bottom : scaled >= range.bottom;
  const belowTop = range.openTop ? scaled < range.top : scaled <= range.top;
  return aboveBottom && belowTop;
}

/**
 * `["=", x]`, `["<" | "<=", x]`, `[">" | ">=", x]` or `[">" | ">=", x, "<" | "<=", y]`, read left to right
 * with AWS's messages. One-sided ranges are closed by ±5e9, so `["<", -5e9]` is an empty, refused range.
 */
function parseNumericRange(terms: readonly unknown[]): NumericRange {
  const [operator, value] = terms;
  if (typeof operator !== 'string') fail(`Invalid member in numeric match: ${jsonTokenText(operator)}`);
  const mustBeNumber = (term: unknown, name: string): number =>
    isJsonNumber(term) ? term : fail(`Value of ${name} must be numeric`);
  switch (operator) {
    case '=': {
      const equal = mustBeNumber(value, 'equals');
      if (terms.length > 2) fail(TOO_MANY_ELEMENTS);
      assertComparable(equal);
      return { bottom: toComparable(equal), openBottom: false, top: toComparable(equal), openTop: false };
    }
    case '<':
    case '<=': {
      const top = mustBeNumber(value, operator);
      if (terms.length > 2) fail(TOO_MANY_ELEMENTS);
      return numericRange(-NUMERIC_LIMIT, false, top, operator === '<');
    }
    case '>':
    case '>=': {
      const bottom = mustBeNumber(value, operator);
      if (terms.length === 2) return numericRange(bottom, operator === '>', NUMERIC_LIMIT, false);
      const [, , topOperator, top] = terms;
      if (typeof topOperator !== 'string') fail(`Bad value in numeric range: ${jsonTokenText(topOperator)}`);
      if (topOperator !== '<' && topOperator !== '<=') fail(`Bad numeric range operator: ${topOperator}`);
      const topValue = mustBeNumber(top, topOperator);
      if (terms.length > 4) fail('Too many terms in numeric range expression');
      return numericRange(bottom, operator === '>', topValue, topOperator === '<');
    }
    default:
      return fail(`Unrecognized numeric range operator: ${operator}`);
  }
}

function numericRange(bottom: number, openBottom: boolean, top: number, openTop: boolean): NumericRange {
  if (bottom >= top) fail('Bottom must be less than top');
  assertComparable(bottom);
  assertComparable(top);
  return { bottom: toComparable(bottom), openBottom, top: toComparable(top), openTop };
}

/** How AWS's JSON parser prints the token it choked on; the end of the array is `]`. */
function jsonTokenText(term: unknown): string {
  if (term === undefined) return ']';
  if (Array.isArray(term)) return '[';
  if (isObject(term)) return '{';
  return String(term);
}

// ---------------------------------------------------------------------------------------------------------
// wildcard

/** A wildcard split at its unescaped `*`: `a*b\*c*` is ["a", "b*c", ""]. One piece means no `*`. */
interface Wildcard {
  readonly pieces: readonly string[];
}

/**
 * `*` matches any run of characters; `\*` and `\\` are a literal star and backslash; any other backslash
 * and two stars in a row are refused (vector content_wildcard_repeating_star_EXC). Positions in messages
 * are UTF-8 byte offsets in the value with its JSON quotes, as AWS reports them.
 */
function parseWildcard(text: string): Wildcard {
  const pieces: string[] = [];
  let piece = '';
  const position = (index: number): number => 1 + Buffer.byteLength(text.slice(0, index));
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    const next = text[index + 1];
    if (char === '*') {
      if (next === '*') fail(`Consecutive wildcard characters at pos ${position(index)}`);
      pieces.push(piece);
      piece = '';
    } else if (char === '\\') {
      if (next !== '*' && next !== '\\') fail(`Invalid escape character at pos ${position(index)}`);
      piece += next;
      index++;
    } else {
      piece += char;
    }
  }
  pieces.push(piece);
  return { pieces };
}

/** Glob matching without backtracking: anchored first and last pieces, leftmost fit for the middle ones. */
function matchesWildcard({ pieces }: Wildcard, value: string): boolean {
  const first = pieces[0] ?? '';
  if (pieces.length === 1) return value === first;
  const last = pieces[pieces.length - 1] ?? '';
  const end = value.length - last.length;
  if (end < first.length || !value.startsWith(first) || !value.endsWith(last)) return false;
  let from = first.length;
  for (const middle of pieces.slice(1, -1)) {
    const at = value.indexOf(middle, from);
    if (at === -1 || at + middle.length > end) return false;
    from = at + middle.length;
  }
  return true;
}

/**
 * AWS refuses a rule whose wildcards could keep too many partial matches alive at once on one field:
 * "*:*:*:*:*:event-bus/*" (vector content_wildcard_complex_EXC) but not "arn:aws:events:us-east-1:*:event-bus/*"
 * (content_wildcard_simplified). AWS measures this with event-ruler's MachineComplexityEvaluator over its byte
 * machine. We approximate it: the most automaton states one input can keep live across all wildcards of a
 * field (JSON quotes included), with a limit that reproduces what AWS is reported to do: six stars in one
 * wildcard, or four `*.ext` suffixes on one field, are refused; five stars, or three suffixes, pass.
 */
const WILDCARD_COMPLEXITY_LIMIT = 10;
const TOO_COMPLEX =
  'Rule is too complex - try using fewer wildcard characters or fewer repeating character sequences after a wildcard character';

function checkWildcardComplexity(branches: readonly Branch[]): void {
  const wildcardsByPath = new Map<string, Set<Wildcard>>();
  for (const field of branches.flat()) {
    const wildcards = wildcardsByPath.get(field.path) ?? new Set();
    for (const wildcard of field.wildcards) wildcards.add(wildcard);
    wildcardsByPath.set(field.path, wildcards);
  }
  for (const wildcards of wildcardsByPath.values()) {
    if (wildcards.size > 0 && wildcardComplexity([...wildcards]) > WILDCARD_COMPLEXITY_LIMIT)
      fail(TOO_COMPLEX);
  }
}

const STAR = Symbol('star');
/** Stands for every character that no wildcard of the field spells out. */
const ANY_OTHER = Symbol('any other character');
type WildcardToken = string | typeof STAR;

/**
 * Each wildcard is an automaton whose position i waits for token i; a star position loops on any character
 * and, since a star may match nothing, also makes the next position live. States are "wildcard:position"
 * keys. Explores every reachable set of live states and returns the largest, stopping once past the limit.
 */
function wildcardComplexity(wildcards: readonly Wildcard[]): number {
  const programs = wildcards.map(toTokens);
  const symbols: (string | typeof ANY_OTHER)[] = [
    ...new Set(programs.flat().filter((token): token is string => token !== STAR)),
    ANY_OTHER,
  ];

  const enter = (live: Set<string>, program: number, position: number): void => {
    const tokens = programs[program] ?? [];
    for (let at = position; at < tokens.length; at++) {
      live.add(`${program}:${at}`);
      if (tokens[at] !== STAR) break;
    }
  };
  const step = (live: ReadonlySet<string>, symbol: string | typeof ANY_OTHER): Set<string> => {
    const next = new Set<string>();
    for (const state of live) {
      const [program = 0, position = 0] = state.split(':').map(Number);
      const token = programs[program]?.[position];
      if (token === STAR) enter(next, program, position);
      else if (token === symbol) enter(next, program, position + 1);
    }
    return next;
  };

  const start = new Set<string>();
  for (const program of programs.keys()) enter(start, program, 0);
  const seen = new Set<string>();
  const pending = [start];
  let worst = 0;
  for (let live = pending.pop(); live !== undefined; live = pending.pop()) {
    for (const symbol of symbols) {
      const next = step(live, symbol);
      worst = Math.max(worst, next.size);
      if (worst > WILDCARD_COMPLEXITY_LIMIT) return worst;
      const key = [...next].sort().join(',');
      if (next.size > 0 && !seen.has(key)) {
        seen.add(key);
        pending.push(next);
      }
    }
  }
  return worst;
}

function toTokens({ pieces }: Wildcard): WildcardToken[] {
  const inner = pieces.flatMap((piece, index): WildcardToken[] =>
    index === 0 ? [...piece] : [STAR, ...piece],
  );
  return ['"', ...inner, '"'];
}

// ---------------------------------------------------------------------------------------------------------
// cidr and IP addresses

/** An IP range as fixed-width uppercase hex, so byte order is string order. */
interface IpRange {
  readonly bottom: string;
  readonly top: string;
}

function ipInRange(value: string, range: IpRange): boolean {
  const ip = ipToHex(value);
  return ip !== undefined && ip.length === range.bottom.length && ip >= range.bottom && ip <= range.top;
}

function parseCidr(cidr: string): IpRange {
  const parts = javaSplit(cidr, '/');
  if (parts.length !== 2) fail("Malformed CIDR, one '/' required");
  const [address = '', maskText = ''] = parts;
  const maskBits = parseJavaInt(maskText) ?? fail('Malformed CIDR, mask bits must be an integer');
  if (maskBits < 0) fail('Malformed CIDR, mask bits must not be negative');
  const bytes = parseIpStrictly(address);
  // AWS's limits, one below what one might expect: /32 and /128 are refused.
  if (bytes.length === 4 && maskBits > 31) fail('IPv4 mask bits must be < 32');
  if (bytes.length === 16 && maskBits > 127) fail('IPv6 mask bits must be < 128');
  return { bottom: toHex(withHostBits(bytes, maskBits, 0)), top: toHex(withHostBits(bytes, maskBits, 1)) };
}

/** String.split as Java does it: trailing empty strings are dropped ("10.0.0.0/" has one part). */
function javaSplit(text: string, separator: string): string[] {
  const parts = text.split(separator);
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Integer.parseInt: an optional sign, decimal digits, and a 32-bit result. */
function parseJavaInt(text: string): number | undefined {
  if (!/^[+-]?\d+$/.test(text)) return undefined;
  const number = Number(text);
  return number >= -(2 ** 31) && number < 2 ** 31 ? number : undefined;
}

/** The address with every bit after the first `maskBits` set to `bit`: the lowest or highest in the block. */
function withHostBits(bytes: readonly number[], maskBits: number, bit: 0 | 1): number[] {
  return bytes.map((byte, index) => {
    const hostBits = Math.min(8, Math.max(0, (index + 1) * 8 - maskBits));
    const hostMask = (1 << hostBits) - 1;
    return bit === 1 ? byte | hostMask : byte & ~hostMask & 0xff;
  });
}

const IPV4_SHAPE = /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/;
const IPV6_SHAPE = /^[0-9a-fA-F:]*:[0-9a-fA-F:]*$/;

function parseIpStrictly(address: string): number[] {
  if (!IPV4_SHAPE.test(address) && !IPV6_SHAPE.test(address)) fail(`Nonstandard IP address: ${address}`);
  return parseIp(address) ?? fail(`Invalid IP address: ${address}`);
}

function ipToHex(text: string): string | undefined {
  const bytes = parseIp(text);
  return bytes === undefined ? undefined : toHex(bytes);
}

function toHex(bytes: readonly number[]): string {
  return bytes.map((byte) => byte.toString(16).toUpperCase().padStart(2, '0')).join('');
}

/** 4 bytes for IPv4 (and IPv4-mapped IPv6, as Java returns it), 16 for IPv6, undefined if not an address. */
function parseIp(text: string): number[] | undefined {
  if (IPV4_SHAPE.test(text)) return parseIpv4(text);
  if (IPV6_SHAPE.test(text)) return parseIpv6(text);
  return undefined;
}

function parseIpv4(text: string): number[] | undefined {
  const bytes = text.split('.').map(Number);
  return bytes.every((byte) => byte <= 255) ? bytes : undefined;
}

function parseIpv6(text: string): number[] | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const [head = '', tail = ''] = halves;
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [
    ...headGroups,
    ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'),
    ...tailGroups,
  ];
  if (!groups.every((group) => /^[0-9a-fA-F]{1,4}$/.test(group))) return undefined;
  const bytes = groups.flatMap((group) => {
    const word = Number.parseInt(group, 16);
    return [word >> 8, word & 0xff];
  });
  const ipv4Mapped =
    bytes.slice(0, 10).every((byte) => byte === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  return ipv4Mapped ? bytes.slice(12) : bytes;
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

function fail(reason: string): never {
  throw new InvalidEventPatternError(reason);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return fail('Filter is not valid JSON');
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isJsonNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isLeaf(value: unknown): value is Leaf {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || isJsonNumber(value);
}
