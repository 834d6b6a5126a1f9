/**
 * Physical names on AWS: the local runtime's name behind the stack's prefix (`samskapa-dev-`), so an
 * operator recognises `samskapa-dev-stageEngine` as the local `stageEngine`. Too long a name fails
 * synth with the name in the message instead of failing the deployment later.
 */
export function physicalName(prefix: string, name: string, maxLength: number): string {
  const full = `${prefix}${name}`;
  if (full.length > maxLength) {
    throw new Error(
      `the AWS name '${full}' is ${full.length} characters; at most ${maxLength} are allowed. ` +
        'Use a shorter stage or a shorter name in functions/topology.ts.',
    );
  }
  return full;
}
