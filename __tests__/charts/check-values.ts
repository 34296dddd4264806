import { ChartContract, ContractPath } from './chart-contracts';

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function typeMismatch(value: unknown, want: ContractPath): string | undefined {
  const got = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  const ok =
    want.type === 'integer'
      ? Number.isInteger(value)
      : want.type === 'array'
        ? Array.isArray(value) && (!want.items || value.every((item) => !typeMismatch(item, { type: want.items!, cite: want.cite })))
        : want.type === 'map'
          ? isPlainObject(value) && Object.values(value).every((v) => typeof v === 'string')
          : typeof value === want.type;
  if (!ok) return `is ${JSON.stringify(value)} (${got}), the chart defines ${want.type}${want.items ? ` of ${want.items}` : ''}`;
  if (want.enum && !want.enum.includes(value as string)) return `is ${JSON.stringify(value)}, the chart allows ${want.enum.join(', ')}`;
  return undefined;
}

/**
 * Every way `values` leaves the contract: a path the contract does not list (the
 * chart does not define it, or the lab has not read it there), or a value of
 * another type. One line each, naming the path.
 */
export function contractViolations(values: unknown, contract: ChartContract): string[] {
  const found: string[] = [];
  const walk = (node: unknown, path: string[]) => {
    const key = path.join('.');
    const entry = contract.paths[key];
    if (entry) {
      const wrong = typeMismatch(node, entry);
      if (wrong) found.push(`${key} ${wrong} (${contract.source} ${entry.cite})`);
      return;
    }
    if (isPlainObject(node) && Object.keys(node).length > 0) {
      for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
      return;
    }
    if (path.length > 0) found.push(`${key} is not in the contract of ${contract.source}`);
  };
  walk(values, []);
  return found;
}
