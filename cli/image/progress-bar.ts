/**
 * A download progress bar: redrawn in place on a terminal, one line per 10 % otherwise
 * (Terraform captures provisioner output line by line).
 */
export function progressBar(label: string, write: (text: string) => void, isTty: boolean): (received: number, total: number | undefined) => void {
  let lastTenth = -1;
  let lastDraw = 0;
  return (received, total) => {
    const mb = (n: number) => (n / 1048576).toFixed(0);
    if (!total) {
      if (isTty && Date.now() - lastDraw > 200) {
        lastDraw = Date.now();
        write(`\r${label} ${mb(received)} MB`);
      }
      return;
    }
    const fraction = Math.min(1, received / total);
    if (isTty) {
      if (Date.now() - lastDraw < 200 && fraction < 1) return;
      lastDraw = Date.now();
      const width = 30;
      const filled = Math.round(fraction * width);
      write(`\r${label} [${'#'.repeat(filled)}${' '.repeat(width - filled)}] ${(fraction * 100).toFixed(0).padStart(3)}% ${mb(received)}/${mb(total)} MB${fraction === 1 ? '\n' : ''}`);
    } else {
      const tenth = Math.floor(fraction * 10);
      if (tenth === lastTenth) return;
      lastTenth = tenth;
      write(`${label} ${tenth * 10}% (${mb(received)}/${mb(total)} MB)\n`);
    }
  };
}
