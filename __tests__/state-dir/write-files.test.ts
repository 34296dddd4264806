import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFileAtomic, writeFileOnce, writeSecretFile } from '../../cli/state-dir';

// The fs module object itself (the `import * as` one above only reads through to it), so a call can be made to fail.
const realFs: typeof fs = require('fs');

const posixOnly = process.platform === 'win32' ? describe.skip : describe;

describe('writing files into the state dir', () => {
  let dir: string;
  let savedUmask: number;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubelab-write-'));
    savedUmask = process.umask(0o077);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.umask(savedUmask);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const file = () => path.join(dir, '.kubelab', 'k3s', 'token');
  const leftovers = () => fs.readdirSync(path.dirname(file())).filter((n) => n !== path.basename(file()));

  test('writeFileOnce makes the file once: later calls neither call make() nor change it', () => {
    expect(writeFileOnce(file(), () => 'first')).toBe(true);
    const make = jest.fn(() => 'second');
    expect(writeFileOnce(file(), make)).toBe(false);
    expect(make).not.toHaveBeenCalled();
    expect(fs.readFileSync(file(), 'utf8')).toBe('first');
    expect(leftovers()).toEqual([]);
  });

  test('writeFileOnce that loses the race (the name appeared meanwhile) keeps the winner and leaves no temp file', () => {
    const link = jest.spyOn(realFs, 'linkSync').mockImplementation(() => {
      realFs.writeFileSync(file(), 'winner');
      throw Object.assign(new Error('EEXIST: file already exists'), { code: 'EEXIST' });
    });
    expect(writeFileOnce(file(), () => 'loser')).toBe(false);
    expect(link).toHaveBeenCalledTimes(1);
    expect(fs.readFileSync(file(), 'utf8')).toBe('winner');
    expect(leftovers()).toEqual([]);
  });

  test.each(['EPERM', 'ENOTSUP', 'ENOSYS'])('a file system without hard links (%s) gets one line naming the file, the folder and what to do', (code) => {
    jest.spyOn(realFs, 'linkSync').mockImplementation(() => {
      throw Object.assign(new Error(code), { code });
    });
    expect(() => writeFileOnce(file(), () => 'x')).toThrow(
      `cannot create ${file()}: the file system of ${path.dirname(file())} refuses hard links (${code}); keep the project on a local disk (NTFS, APFS, ext4)`,
    );
    expect(fs.existsSync(file())).toBe(false);
    expect(leftovers()).toEqual([]);
  });

  test('content that cannot be made: that error, not a complaint about the temp file never written', () => {
    expect(() =>
      writeFileOnce(file(), () => {
        throw new Error('cannot make the token');
      }),
    ).toThrow('cannot make the token');
    expect(fs.existsSync(file())).toBe(false);
  });

  test('any other failure is passed on as it is', () => {
    jest.spyOn(realFs, 'linkSync').mockImplementation(() => {
      throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
    });
    expect(() => writeFileOnce(file(), () => 'x')).toThrow('EIO: i/o error');
    expect(leftovers()).toEqual([]);
  });

  posixOnly('modes', () => {
    test('exactly the mode asked for, whatever the umask (077 here) or the mode of the file replaced', () => {
      writeFileAtomic(file(), 'a');
      expect(fs.statSync(file()).mode & 0o777).toBe(0o644);
      writeSecretFile(file(), 'b');
      expect(fs.statSync(file()).mode & 0o777).toBe(0o600);
      expect(fs.readFileSync(file(), 'utf8')).toBe('b');
      writeFileAtomic(file(), 'c', 0o640);
      expect(fs.statSync(file()).mode & 0o777).toBe(0o640);
      const once = path.join(path.dirname(file()), 'once');
      writeFileOnce(once, () => 'x', 0o644);
      expect(fs.statSync(once).mode & 0o777).toBe(0o644);
      writeFileOnce(path.join(path.dirname(file()), 'secret'), () => 'x');
      expect(fs.statSync(path.join(path.dirname(file()), 'secret')).mode & 0o777).toBe(0o600);
      expect(fs.readdirSync(path.dirname(file())).sort()).toEqual(['once', 'secret', 'token']);
    });
  });

  posixOnly('a secret is never readable by others, not even before its mode is set', () => {
    test.each([
      ['writeSecretFile', (f: string) => writeSecretFile(f, 'secret')],
      ['writeFileOnce', (f: string) => writeFileOnce(f, () => 'secret')],
    ])('%s', (_, write) => {
      process.umask(0o000);
      const seen: string[] = [];
      const chmod = realFs.chmodSync;
      jest.spyOn(realFs, 'chmodSync').mockImplementation((p, mode) => {
        if (realFs.statSync(p).isFile()) seen.push((realFs.statSync(p).mode & 0o777).toString(8));
        chmod(p, mode);
      });
      write(file());
      expect(seen).toEqual(['600']);
    });
  });

  test('a write that fails halfway leaves the old file whole', () => {
    writeFileAtomic(file(), 'old');
    jest.spyOn(realFs, 'renameSync').mockImplementation(() => {
      throw new Error('crash before the rename');
    });
    expect(() => writeFileAtomic(file(), 'new')).toThrow('crash before the rename');
    expect(fs.readFileSync(file(), 'utf8')).toBe('old');
  });
});
