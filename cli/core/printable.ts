/** Text from the API shown on one terminal line: control characters and line breaks become spaces. */
export const printable = (value: unknown): string =>
  String(value)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing them is the point
    .replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ')
    .trim();
