import { Option } from 'commander';
import { KubelabError } from './errors';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/**
 * "90s", "10m", "1.5h", "250ms" in milliseconds; a bare number is seconds, except where the
 * option demands a unit. One clear error otherwise, while the verb's arguments are read.
 */
export function parseDuration(text: string, flag: string, unitRequired: boolean): number {
  const match = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)?$/.exec(text.trim());
  const ms = match ? Number(match[1]) * UNIT_MS[(match[2] ?? 's') as keyof typeof UNIT_MS] : NaN;
  if (!match || !(ms > 0)) throw new KubelabError(`${flag} '${text}' must be a positive duration like 90s or 10m`);
  if (match[2] === undefined && unitRequired) throw new KubelabError(`${flag} '${text}' needs a unit: ${text}m for minutes or ${text}s for seconds`);
  return ms;
}

/** 900000 → "15m", 5000 → "5s": how a default shows in the help. */
export function formatDuration(ms: number): string {
  for (const [unit, size] of [['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

/**
 * A time option, the same in every verb: `<duration>` in the help with its default, the value in
 * milliseconds. `--timeout` once meant minutes in some verbs and seconds in others, so a bare
 * number there is refused instead of silently read in one unit; the other time options were
 * always seconds and still read a bare number so.
 */
export function durationOption(flag: '--timeout' | '--interval' | '--ready-timeout' | '--ssh-wait', description: string, defaultMs: number): Option {
  const unitRequired = flag === '--timeout';
  return new Option(`${flag} <duration>`, `${description} (like 90s or 10m${unitRequired ? '' : '; a bare number is seconds'})`)
    .argParser((text) => parseDuration(text, flag, unitRequired))
    .default(defaultMs, formatDuration(defaultMs));
}
