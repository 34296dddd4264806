import { numberHint, slashHint } from '../../config/write-it-right';
import { problemsOf } from '../support/config-problems';

/**
 * The second half of a config message: how to write what was meant. Each case is a lab config
 * as a user writes it and the whole line kubelab prints for it; the sizes are worked out by hand
 * (1 GB = 1024 MB, 1 TB = 1024 GB, 1024 KB = 1 MB).
 */
const node = (patch: object) => ({ nodes: [{ name: 'cp1', role: 'server', ip: '192.168.56.10', ...patch }] });

const CPUS = 'cpus must be a whole number from 1 to 64';
const MEMORY = 'memoryMb must be a whole number from 1 to 1048576 (MB)';
const DISK = 'diskGb must be a whole number from 10 to 2048 (GB; the Ubuntu image and K3s need at least 10)';

describe('a number written as text', () => {
  test.each<[string, unknown, string]>([
    ['"2"', '2', `nodes[0].cpus = "2": ${CPUS}; write the number without quotes: cpus: 2`],
    ['" 12 " (spaces around it)', ' 12 ', `nodes[0].cpus = " 12 ": ${CPUS}; write the number without quotes: cpus: 12`],
    ['"2G": cpus have no unit', '2G', `nodes[0].cpus = "2G": ${CPUS}`],
    ['"x2"', 'x2', `nodes[0].cpus = "x2": ${CPUS}`],
    ['"2x"', '2x', `nodes[0].cpus = "2x": ${CPUS}`],
    ['100, a number out of range', 100, `nodes[0].cpus = 100: ${CPUS}`],
  ])('cpus %s', (_what, cpus, line) => {
    expect(problemsOf(node({ cpus }))).toEqual([line]);
  });
});

describe('a size with a unit, for a key in MB or GB', () => {
  test.each<[string, object, string]>([
    ['memory "2G"', { memoryMb: '2G' }, `nodes[0].memoryMb = "2G": ${MEMORY}; write it in MB as a plain number: memoryMb: 2048`],
    ['memory " 2 gb " (lower case, spaces)', { memoryMb: ' 2 gb ' }, `nodes[0].memoryMb = " 2 gb ": ${MEMORY}; write it in MB as a plain number: memoryMb: 2048`],
    ['memory "2.5GiB"', { memoryMb: '2.5GiB' }, `nodes[0].memoryMb = "2.5GiB": ${MEMORY}; write it in MB as a plain number: memoryMb: 2560`],
    ['memory "2.25G"', { memoryMb: '2.25G' }, `nodes[0].memoryMb = "2.25G": ${MEMORY}; write it in MB as a plain number: memoryMb: 2304`],
    ['memory "4096MB"', { memoryMb: '4096MB' }, `nodes[0].memoryMb = "4096MB": ${MEMORY}; write it in MB as a plain number: memoryMb: 4096`],
    ['memory "2097152k"', { memoryMb: '2097152k' }, `nodes[0].memoryMb = "2097152k": ${MEMORY}; write it in MB as a plain number: memoryMb: 2048`],
    ['memory "about 2G"', { memoryMb: 'about 2G' }, `nodes[0].memoryMb = "about 2G": ${MEMORY}`],
    ['memory "2Gs"', { memoryMb: '2Gs' }, `nodes[0].memoryMb = "2Gs": ${MEMORY}`],
    ['disk "20480M"', { diskGb: '20480M' }, `nodes[0].diskGb = "20480M": ${DISK}; write it in GB as a plain number: diskGb: 20`],
    ['disk "1T"', { diskGb: '1T' }, `nodes[0].diskGb = "1T": ${DISK}; write it in GB as a plain number: diskGb: 1024`],
    ['disk "20 GB"', { diskGb: '20 GB' }, `nodes[0].diskGb = "20 GB": ${DISK}; write it in GB as a plain number: diskGb: 20`],
  ])('%s', (_what, patch, line) => {
    expect(problemsOf(node(patch))).toEqual([line]);
  });
});

describe('a memory size written as a fraction of a GB', () => {
  test.each<[string, object, string]>([
    ['memory 2.5 is 2.5 GB', { memoryMb: 2.5 }, `nodes[0].memoryMb = 2.5: ${MEMORY}; write it in MB as a plain number: memoryMb: 2560`],
    ['memory 0.5 is 0.5 GB', { memoryMb: 0.5 }, `nodes[0].memoryMb = 0.5: ${MEMORY}; write it in MB as a plain number: memoryMb: 512`],
    ['memory -2.5 is no size at all', { memoryMb: -2.5 }, `nodes[0].memoryMb = -2.5: ${MEMORY}`],
    ['memory 1500.5 is MB with a fraction, not GB', { memoryMb: 1500.5 }, `nodes[0].memoryMb = 1500.5: ${MEMORY}`],
    ['disk 2.5: a disk in GB has no smaller unit to mistake', { diskGb: 2.5 }, `nodes[0].diskGb = 2.5: ${DISK}`],
  ])('%s', (_what, patch, line) => {
    expect(problemsOf(node(patch))).toEqual([line]);
  });

  test('a whole number of MB is never read as GB', () => {
    // The schema lets 1 to 1023 MB through to its own minimum check, so ask directly.
    expect(numberHint('memoryMb', 512, 'MB')).toBe('');
  });
});

describe('true or false in quotes', () => {
  test.each<[unknown, string]>([
    ['true', 'components.ingress.enabled = "true": must be true or false; write it without quotes: enabled: true'],
    ['false', 'components.ingress.enabled = "false": must be true or false; write it without quotes: enabled: false'],
    ['yes', 'components.ingress.enabled = "yes": must be true or false'],
  ])('enabled: %p', (enabled, line) => {
    expect(problemsOf({ components: { ingress: { enabled } } })).toEqual([line]);
  });
});

describe('a Windows path where a path with / belongs', () => {
  const keyFile = (path: string) => node({ ip: undefined, host: { address: '192.168.1.50', user: 'ubuntu', keyFile: path } });
  const RULE = "keyFile must be a path relative to the lab state dir .kubelab/ (like ssh/id_ed25519) of letters, digits and . _ / + = -, without '..' or a leading '/': secrets stay in .kubelab/";

  test('every backslash becomes a slash', () => {
    expect(problemsOf(keyFile('ssh\\keys\\pi'))).toEqual([`nodes[0].host.keyFile = "ssh\\\\keys\\\\pi": ${RULE}; write / instead of \\: keyFile: ssh/keys/pi`]);
  });

  test('no hint when the slashed path would be refused too', () => {
    expect(problemsOf(keyFile('ssh\\..\\pi'))).toEqual([`nodes[0].host.keyFile = "ssh\\\\..\\\\pi": ${RULE}`]);
    expect(problemsOf(keyFile('../pi'))).toEqual([`nodes[0].host.keyFile = "../pi": ${RULE}`]);
  });

  test('no hint for a value that is not text, or has no backslash', () => {
    // The schema asks only about refused values; asked directly, a path that is fine already gets no hint either.
    expect(slashHint('keyFile', 42, () => true)).toBe('');
    expect(slashHint('keyFile', 'ssh/key', () => true)).toBe('');
  });
});
