import { execFile } from 'child_process';

/**
 * Opens a URL in the default browser with the platform's own launcher, called
 * directly (no shell): `open` on macOS, `xdg-open` on Linux, and on Windows
 * rundll32's URL handler (what `start` does, without cmd).
 */
export function openInBrowser(url: string, platform: NodeJS.Platform = process.platform): Promise<void> {
  const [command, args] =
    platform === 'darwin' ? ['open', [url]] : platform === 'win32' ? ['rundll32', ['url.dll,FileProtocolHandler', url]] : ['xdg-open', [url]];
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { windowsHide: true }, (err) => (err ? reject(err) : resolve()));
    child.unref();
  });
}
