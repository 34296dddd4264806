import * as os from 'os';
import * as path from 'path';

/**
 * The per-user cache: the Ubuntu image (downloaded once for every lab) and the lock
 * that serializes VBoxManage (VirtualBox runs one VBoxSVC per user, so per-user is
 * the right scope). %LOCALAPPDATA%\kubelab on Windows, else $XDG_CACHE_HOME/kubelab
 * or ~/.cache/kubelab.
 */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') {
    return path.join(env.LOCALAPPDATA || path.join(os.homedir(), 'AppData', 'Local'), 'kubelab');
  }
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kubelab');
}
