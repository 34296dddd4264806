import { sleep } from '../ssh/client';
import { SshTarget } from '../ssh/target';
import { probeTcp } from '../ssh/wait';

/** Whether the SSH port answers within `ms` (a booting VM may refuse for a moment, so it tries a few times). */
export async function answers(target: SshTarget, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if ((await probeTcp(target.host, target.port, Math.max(100, Math.min(3000, left)))) === 'open') return true;
    // Stryker disable next-line EqualityOperator: equivalent: >= differs only in the one millisecond where both end the wait
    if (Date.now() + 200 > deadline) return false;
    await sleep(Math.min(1000, Math.max(0, deadline - Date.now())));
  }
}
