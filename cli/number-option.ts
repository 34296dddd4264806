import { KubelabError } from './errors';

/** A command-line option that must be a positive number (seconds, minutes, …); one clear error otherwise. */
export function positiveNumber(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new KubelabError(`${flag} '${text}' must be a positive number, like 10`);
  return value;
}

/**
 * The commander parser for such an option, so a bad value stops the verb while its
 * arguments are read, before it connects to or changes anything.
 */
export const positiveNumberOf = (flag: string) => (text: string) => positiveNumber(text, flag);
