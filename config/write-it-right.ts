/**
 * The second half of a config message: how to write the value right, from what was written.
 * Each returns "" when it has nothing better to say than the rule itself.
 */

const SIZE = /^(\d+(?:\.\d+)?)\s*(k|m|g|t)(i?b)?$/i;
const FACTOR: Record<string, number> = { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 };

/**
 * A whole number written as text ("2", "2G", "4096MB") or, for memory, as a fraction of a GB (2.5):
 * the number the key wants, in `unit` (MB or GB) when the key has one.
 */
export function numberHint(key: string, input: unknown, unit?: 'MB' | 'GB'): string {
  if (typeof input === 'string' && /^\s*\d+\s*$/.test(input)) return `; write the number without quotes: ${key}: ${Number(input)}`;
  if (unit === undefined) return '';
  const inUnit = (mb: number) => Math.round(unit === 'MB' ? mb : mb / 1024);
  const size = typeof input === 'string' ? SIZE.exec(input.trim()) : null;
  if (size) return `; write it in ${unit} as a plain number: ${key}: ${inUnit(Number(size[1]) * FACTOR[size[2].toLowerCase()])}`;
  // 2.5 for a memory size is GB written where MB belongs: no lab VM has 2.5 MB.
  const fraction = typeof input === 'number' && unit === 'MB' && !Number.isInteger(input);
  // Stryker disable next-line EqualityOperator: >= 0 and <= 1024 are equivalent: both bounds are whole numbers, which never get here
  if (fraction && input > 0 && input < 1024) {
    return `; write it in MB as a plain number: ${key}: ${Math.round(input * 1024)}`;
  }
  return '';
}

/** "true" / "false" in quotes is text in YAML, not a switch. */
export function booleanHint(key: string, input: unknown): string {
  return input === 'true' || input === 'false' ? `; write it without quotes: ${key}: ${input}` : '';
}

/** A Windows path (ssh\key) where kubelab wants a path with forward slashes, which work on every OS. */
export function slashHint(key: string, input: unknown, fixed: (p: string) => boolean): string {
  if (typeof input !== 'string' || !input.includes('\\')) return '';
  const right = input.replace(/\\/g, '/');
  return fixed(right) ? `; write / instead of \\: ${key}: ${right}` : '';
}
