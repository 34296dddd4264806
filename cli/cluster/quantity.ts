/** Kubernetes resource quantities as metrics.k8s.io reports them ("250m", "123456789n", "2", "1536Ki"). */

const CPU_UNITS: Record<string, number> = { n: 1e-6, u: 1e-3, m: 1, '': 1000 };
const BYTE_UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 1024,
  Mi: 1024 ** 2,
  Gi: 1024 ** 3,
  Ti: 1024 ** 4,
};

/** CPU in millicores; NaN when the text is not a CPU quantity. */
export function cpuMillicores(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(n|u|m|)$/.exec(text.trim());
  return m ? Number(m[1]) * CPU_UNITS[m[2]] : NaN;
}

/** Memory in bytes; NaN when the text is not a memory quantity. */
export function memoryBytes(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T|)$/.exec(text.trim());
  return m ? Number(m[1]) * BYTE_UNITS[m[2]] : NaN;
}

/** "250m" / "1.5" cores, as kubectl top prints CPU. */
export function formatCpu(millicores: number): string {
  return millicores >= 10000 ? `${(millicores / 1000).toFixed(1)}` : `${Math.round(millicores)}m`;
}

/** "512Mi" / "1.2Gi", as kubectl top prints memory. */
export function formatMemory(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)}Gi` : `${Math.round(bytes / 1024 ** 2)}Mi`;
}
