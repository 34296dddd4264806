const BARS = '▁▂▃▄▅▆▇█';

/**
 * A one-line chart of the last `width` values, each scaled into 0..max as one of
 * eight bar heights; undefined (no reading) is a blank.
 */
export function sparkline(values: readonly (number | undefined)[], max: number, width: number): string {
  return values
    .slice(-width)
    .map((v) => {
      if (v === undefined) return ' ';
      const level = max > 0 ? Math.round((Math.min(Math.max(v, 0), max) / max) * (BARS.length - 1)) : 0;
      return BARS[level];
    })
    .join('');
}
