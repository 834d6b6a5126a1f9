/** Modules the console's build provides (console/build.ts). */
declare module '*.css';

declare module 'samskapa:methods' {
  import type { MethodOutline } from './types.ts';
  /** Every built-in method with its stages, from shared/methods at build time. */
  export const methods: MethodOutline[];
}
