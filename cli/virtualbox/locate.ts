import * as fs from 'fs';
import * as path from 'path';

/**
 * Finds VBoxManage: on PATH first, then where the VirtualBox installer says it put
 * itself on Windows (VBOX_MSI_INSTALL_PATH, VBOX_INSTALL_PATH), then the default
 * install places (the Windows installer does not add itself to PATH).
 */
export function locateVBoxManage(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  isFile: (file: string) => boolean = defaultIsFile,
): string | undefined {
  const exe = platform === 'win32' ? 'VBoxManage.exe' : 'VBoxManage';
  const pathVar = env.PATH ?? env.Path ?? '';
  const sep = platform === 'win32' ? ';' : ':';
  const join = platform === 'win32' ? path.win32.join : path.posix.join;
  const dirs = [
    ...pathVar.split(sep),
    ...[env.VBOX_MSI_INSTALL_PATH, env.VBOX_INSTALL_PATH].flatMap((v) => (v ? v.split(';') : [])),
    ...(platform === 'win32' ? [join(env.ProgramFiles || 'C:\\Program Files', 'Oracle', 'VirtualBox')] : []),
    ...(platform === 'darwin' ? ['/Applications/VirtualBox.app/Contents/MacOS', '/usr/local/bin'] : []),
  ].filter((d) => d.trim() !== '');
  for (const dir of dirs) {
    const candidate = join(dir.replace(/^"|"$/g, ''), exe);
    if (isFile(candidate)) return candidate;
  }
  return undefined;
}

function defaultIsFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}
