import { updateFileLocked } from '../../cli/file-lock';

/** A racer job (see racers.ts): appends one record to a JSON array file through updateFileLocked. */
export function appendRecord(file: string, record: unknown): void {
  updateFileLocked(file, (current) => `${JSON.stringify([...(current ? (JSON.parse(current) as unknown[]) : []), record])}\n`);
}
